"""The analysis pipeline under load, with the offline classifier, through the real gateway.

Prints: end-to-end latency (analyzeWaste sent → terminal event received by a gateway
subscriber), worker throughput (jobs/s for one worker process) with the worker's CPU time
per job beyond the classifier's own, and progress-event latency (published to Redis →
received by a gateway subscriber), p50/p99.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import redis
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from bench.common import bench_stack, cpu_seconds, jpeg, summary, upload
from devstack.testing import graphql, running_processes, sign_up_via
from waste.classifiers import HintClassifier, Unclassified
from waste.events import ProgressEvent, channel
from waste.pipeline import _prepare as prepare
from waste.state import AnalysisState, AnalysisStatus, AnalysisStep

E2E_RUNS = 30
THROUGHPUT_JOBS = 200
EVENTS = 500
PREPARE_RUNS = 50
PROGRESS = """subscription ($id: ID!) { analysisProgress(analysisId: $id) {
  status stage progress message analysis { id } } }"""
ANALYZE = "mutation ($i: AnalyzeWasteInput!) { analyzeWaste(input: $i) { id } }"


class Subscriber:
    """One gateway WebSocket subscription, read on a thread, timestamps kept."""

    def __init__(self, gateway: str, token: str, analysis_id: str) -> None:
        self.socket = connect(
            gateway.replace("http://", "ws://"), subprotocols=["graphql-transport-ws"]
        )
        self.socket.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        assert json.loads(self.socket.recv(10))["type"] == "connection_ack"
        self.received: list[tuple[float, dict]] = []
        self.first = threading.Event()
        self.done = threading.Event()
        self.socket.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": PROGRESS, "variables": {"id": analysis_id}},
                }
            )
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                message = json.loads(self.socket.recv())
            except ConnectionClosed:
                self.done.set()
                return
            now = time.perf_counter()
            if message["type"] == "next":
                self.received.append((now, message["payload"]["data"]["analysisProgress"]))
                self.first.set()
            if message["type"] in ("complete", "error"):
                self.done.set()
                self.socket.close()
                return


def end_to_end(gateway: str, token: str) -> None:
    samples = []
    for i in range(E2E_RUNS):
        upload_id = upload(gateway, token, jpeg(i))
        start = time.perf_counter()
        analysis_id = graphql(
            gateway, ANALYZE, {"i": {"uploadId": upload_id, "hint": "생수병"}}, token=token
        )["data"]["analyzeWaste"]["id"]
        subscriber = Subscriber(gateway, token, analysis_id)
        subscriber.done.wait(30)
        samples.append((subscriber.received[-1][0] - start) * 1000)
    print(f"end to end (analyzeWaste → terminal event at a gateway subscriber): {summary(samples)}")


def _hints() -> list[str]:
    # Distinct hints: no job is answered from the analysis cache.
    return [f"생수병 {i}" for i in range(THROUGHPUT_JOBS)]


def classifier_cpu_ms() -> float:
    """CPU time of one offline-classifier call, in this process, on the worker's hints."""
    classifier = HintClassifier()

    async def classify_all() -> None:
        for hint in _hints():
            with contextlib.suppress(Unclassified):  # unsure is an answer too
                await classifier.classify(image=b"", content_type="image/jpeg", hint=hint)

    asyncio.run(classify_all())  # warm-up: the first calls fill caches
    start = time.process_time()
    asyncio.run(classify_all())
    return (time.process_time() - start) * 1000 / THROUGHPUT_JOBS


def preprocess_cpu_ms() -> float:
    """CPU time of the pipeline's image preparation (decode, shrink, JPEG) of the bench's
    photo, in this process: the part of the overhead that is image work, not plumbing."""
    image = jpeg(10_000)
    prepare(image)  # warm-up
    start = time.process_time()
    for _ in range(PREPARE_RUNS):
        prepare(image)
    return (time.process_time() - start) * 1000 / PREPARE_RUNS


def _analyze(gateway: str, token: str, upload_id: str, hint: str) -> str:
    variables = {"i": {"uploadId": upload_id, "hint": hint}}
    return graphql(gateway, ANALYZE, variables, token=token)["data"]["analyzeWaste"]["id"]


def _idle_cpu_rate(worker_pid: int, seconds: float = 3.0) -> float:
    """CPU seconds per second the idle worker spends (polling, metrics), to subtract."""
    before = cpu_seconds(worker_pid)
    time.sleep(seconds)
    return (cpu_seconds(worker_pid) - before) / seconds


def throughput(gateway: str, token: str, waste_db: str, worker_pid: int) -> None:
    upload_id = upload(gateway, token, jpeg(10_000))
    idle_rate = _idle_cpu_rate(worker_pid)
    os.killpg(worker_pid, signal.SIGSTOP)  # queue everything first, then let the worker go
    try:
        ids = [_analyze(gateway, token, upload_id, hint) for hint in _hints()]
    finally:
        cpu_before = cpu_seconds(worker_pid)
        start = time.perf_counter()
        os.killpg(worker_pid, signal.SIGCONT)
    with psycopg.connect(waste_db) as conn:
        while conn.execute(
            "SELECT count(*) FROM analyses WHERE id = ANY(%s::uuid[]) AND status "
            "IN ('SUCCEEDED','UNCLASSIFIED','FAILED')",
            (ids,),
        ).fetchone()[0] < len(ids):
            time.sleep(0.02)
    elapsed = time.perf_counter() - start
    cpu = cpu_seconds(worker_pid) - cpu_before - idle_rate * elapsed
    per_job_ms = cpu * 1000 / THROUGHPUT_JOBS
    classifier_ms = classifier_cpu_ms()
    preprocess_ms = preprocess_cpu_ms()
    print(
        f"worker throughput: {THROUGHPUT_JOBS} jobs in {elapsed:.2f} s = "
        f"{THROUGHPUT_JOBS / elapsed:.1f} jobs/s (one worker process, offline classifier)"
    )
    print(
        f"worker CPU per job: {per_job_ms:.2f} ms (idle {idle_rate * 1000:.1f} ms/s taken "
        f"off); the classifier alone: {classifier_ms:.2f} ms per call; overhead beyond the "
        f"classifier: {per_job_ms - classifier_ms:.2f} ms per job"
    )
    # The offline classifier reads the hint only, so the worker does not prepare the photo;
    # a vision classifier adds this per job.
    print(
        f"image preparation for a vision classifier (decode, shrink, JPEG): {preprocess_ms:.2f} ms"
    )


def event_latency(gateway: str, token: str, redis_url: str, worker_pid: int) -> None:
    upload_id = upload(gateway, token, jpeg(20_000))
    client = redis.Redis.from_url(redis_url)
    os.killpg(worker_pid, signal.SIGSTOP)  # the job stays QUEUED: only our events arrive
    try:
        analysis_id = graphql(
            gateway, ANALYZE, {"i": {"uploadId": upload_id, "hint": "캔"}}, token=token
        )["data"]["analyzeWaste"]["id"]
        subscriber = Subscriber(gateway, token, analysis_id)
        subscriber.first.wait(10)
        # Published events are told apart by progress (i % 101): the public stage of
        # every one of them is the same (STARTED).
        sent: list[float] = []
        for i in range(EVENTS):
            sent.append(time.perf_counter())
            # As the worker publishes: the state as written (user and time are not shown).
            event = ProgressEvent(
                AnalysisState(
                    id=uuid.UUID(analysis_id),
                    user_id=uuid.UUID(int=0),
                    status=AnalysisStatus.RUNNING,
                    stage=AnalysisStep.START,
                    progress=i % 101,
                    created_at=datetime.now(UTC),
                )
            )
            client.publish(channel(analysis_id), event.encode())
            time.sleep(0.005)
        time.sleep(1)
    finally:
        os.killpg(worker_pid, signal.SIGCONT)
    samples, cursor = [], 0
    for at, p in subscriber.received:
        if p["status"] != "RUNNING":
            continue  # the stored state sent first
        while cursor < EVENTS and cursor % 101 != p["progress"]:
            cursor += 1  # an event this subscriber never got
        if cursor < EVENTS:
            samples.append((at - sent[cursor]) * 1000)
            cursor += 1
    print(
        f"progress events (Redis publish → gateway subscriber): {summary(samples)}; "
        f"{len(samples)}/{EVENTS} received"
    )


def main() -> None:
    with (
        bench_stack() as stack,
        tempfile.TemporaryDirectory() as logs,
        running_processes(stack, Path(logs)) as processes,
    ):
        token = sign_up_via(stack.gateway_url)["accessToken"]
        waste = next(s for s in stack.subgraphs if s.name == "waste")
        worker = processes["waste-worker"].popen.pid
        end_to_end(stack.gateway_url, token)
        throughput(stack.gateway_url, token, stack.role_url(waste), worker)
        event_latency(stack.gateway_url, token, stack.servers.redis_url, worker)


if __name__ == "__main__":
    main()
