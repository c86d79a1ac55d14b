"""One analysis followed from the client to the workers: one trace, joined logs.

Every process of the test stack exports its spans to an in-test OTLP receiver
(devstack.otlp); spans cross real process boundaries: client → gateway (Node) → waste
(HTTP) → Redis → waste worker (Dramatiq message) → Redis → users worker.
"""

from __future__ import annotations

import json
import secrets

from devstack.otlp import OtlpReceiver, ReceivedSpan
from devstack.testing import RunningStack, sign_up

from .telemetry_flow import final_status, start_analysis, wait_for

STAGES = ("analysis.start", "analysis.load", "analysis.hash", "analysis.preprocess")
SERVER, CLIENT, PRODUCER, CONSUMER = 2, 3, 4, 5


def _one(spans: list[ReceivedSpan], service: str, name: str) -> ReceivedSpan:
    found = [s for s in spans if s.service == service and s.name == name]
    assert len(found) == 1, (service, name, sorted({(s.service, s.name) for s in spans}))
    return found[0]


def test_one_analysis_is_one_trace_from_gateway_to_workers(
    running: RunningStack, otlp_receiver: OtlpReceiver
) -> None:
    token = sign_up(running)["accessToken"]
    trace_id, client_span = secrets.token_hex(16), secrets.token_hex(8)
    request_id = f"trace-test-{secrets.token_hex(4)}"
    analysis_id = start_analysis(
        running,
        token,
        headers={"traceparent": f"00-{trace_id}-{client_span}-01", "x-request-id": request_id},
    )
    assert final_status(running, token, analysis_id) == "SUCCEEDED"

    def complete() -> list[ReceivedSpan] | None:
        spans = otlp_receiver.trace(trace_id)
        names = {(s.service, s.name) for s in spans}
        wanted = {("users-worker", "award_points process"), ("waste-worker", "classify")}
        return spans if wanted <= names and any(s.service == "gateway" for s in spans) else None

    spans = wait_for(complete, timeout=20)
    assert spans, sorted({(s.service, s.name) for s in otlp_receiver.trace(trace_id)})
    by_id = {s.span_id: s for s in spans}

    # The gateway continued the client's trace: its root span's parent is the client's.
    gateway = [s for s in spans if s.service == "gateway"]
    assert [s for s in gateway if s.parent_span_id == client_span], gateway
    # The waste subgraph's server span is a child of a gateway span (traceparent passed on).
    waste_server = [s for s in spans if s.service == "waste" and s.kind == SERVER]
    assert waste_server and all(by_id[s.parent_span_id].service == "gateway" for s in waste_server)
    # …and its GraphQL operation, SQL and the message it sent are inside that request.
    assert any(s.service == "waste" and s.name == "GraphQL AnalyzeWaste" for s in spans)
    send = _one(spans, "waste", "analyze_waste send")
    assert send.kind == PRODUCER

    # The worker's job continues from the message; each stage is a child of the job.
    job = _one(spans, "waste-worker", "analyze_waste process")
    assert job.kind == CONSUMER and job.parent_span_id == send.span_id
    assert job.attributes["messaging.destination.name"] == "waste"
    for stage in (*STAGES, "analysis.finalise"):
        assert _one(spans, "waste-worker", stage).parent_span_id == job.span_id, stage
    classify = _one(spans, "waste-worker", "classify")
    assert classify.kind == CLIENT and classify.parent_span_id == job.span_id
    assert classify.attributes["bunri.classifier"] == "offline-hint"
    # SQL (SQLAlchemy) and Redis (progress events) calls of the job are spans too.
    job_calls = [s for s in spans if s.service == "waste-worker" and s.kind == CLIENT]
    systems = {
        str(s.attributes.get("db.system", s.attributes.get("db.system.name"))) for s in job_calls
    }
    assert {"postgresql", "redis"} <= systems, systems

    # The points award: sent inside the job, run by the users worker in the same trace.
    award_send = _one(spans, "waste-worker", "award_points send")
    award = _one(spans, "users-worker", "award_points process")
    assert award.parent_span_id == award_send.span_id
    assert by_id[award_send.parent_span_id].name == "analysis.finalise"

    # Every parent link points at a span of this trace (the client's span aside).
    assert {s.parent_span_id for s in spans} - set(by_id) <= {client_span}

    # Logs of each process carry the trace id and the client's request id.
    for process in ("waste", "waste-worker", "users-worker"):
        lines = [
            json.loads(line)
            for line in running.processes[process].log_path.read_text().splitlines()
            if line.startswith("{") and trace_id in line
        ]
        assert lines, f"{process} logged nothing under trace {trace_id}"
        assert all(line["trace_id"] == trace_id and line["span_id"] for line in lines)
        assert {line["request_id"] for line in lines} == {request_id}, process
