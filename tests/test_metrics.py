"""Prometheus metrics of the running stack: per operation, database pool, queues, workers."""

from __future__ import annotations

import asyncio
import os
import signal

from prometheus_client import REGISTRY
from sqlalchemy import text

from bunri_shared.db import create_engine
from devstack.testing import RunningStack, graphql, sign_up

from .telemetry_flow import final_status, samples, start_analysis, value, wait_for

# Three different questions: a repeated one is answered from the response caches.
CATEGORIES = [
    f'query SortingCategories {{ wasteCategories(parentCode: "{code}") {{ code }} }}'
    for code in ("RECYCLABLE", "PAPER", "NO_SUCH_CODE")
]


def test_operations_are_counted_by_name_and_outcome(running: RunningStack) -> None:
    metrics = running.metrics_url("recycling")
    before = value(metrics, "bunri_graphql_operations_total", service="recycling")
    for query in CATEGORIES:
        body = graphql(running.gateway_url, query)
        assert "errors" not in body, body
    found = [
        labels
        for name, labels, v in samples(metrics)
        if name == "bunri_graphql_operations_total"
        and "SortingCategories" in labels["operation_name"]
    ]
    assert found, "the gateway's operation name reaches the subgraph's metrics"
    assert found[0]["outcome"] == "ok" and found[0]["operation_type"] == "query"
    assert value(metrics, "bunri_graphql_operations_total", service="recycling") >= before + 3
    # The latency histogram has the same operation.
    name = found[0]["operation_name"]
    count = value(metrics, "bunri_graphql_operation_seconds_count", operation_name=name)
    assert count >= 3

    # A query the subgraph refuses counts under its code.
    refused = running.query_subgraph("recycling", "query Broken { noSuchField }")
    assert refused["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    outcomes = {
        labels["outcome"]
        for name, labels, _ in samples(metrics)
        if name == "bunri_graphql_operations_total" and labels["operation_name"] in ("Broken",)
    }
    assert outcomes == {"GRAPHQL_VALIDATION_FAILED"}


def test_the_request_histogram_that_was_never_observed_is_gone(running: RunningStack) -> None:
    names = {name for name, _, _ in samples(running.metrics_url("auth"))}
    assert not any(name.startswith("bunri_graphql_request_seconds") for name in names)


def test_database_pool_is_measured(running: RunningStack) -> None:
    metrics = running.metrics_url("locations")
    graphql(running.gateway_url, CATEGORIES[0])
    assert value(metrics, "bunri_db_pool_max", service="locations") == 20  # 10 + 10 overflow
    names = {name for name, _, _ in samples(metrics)}
    assert {"bunri_db_pool_in_use", "bunri_db_pool_waits_total"} <= names


def test_queue_depth_rises_while_the_worker_is_stopped_and_falls_after(
    running: RunningStack,
) -> None:
    metrics = running.metrics_url("waste")
    token = sign_up(running)["accessToken"]
    pid = running.processes["waste-worker"].popen.pid
    os.killpg(pid, signal.SIGSTOP)
    try:
        ids = [start_analysis(running, token) for _ in range(3)]
        depth = value(metrics, "bunri_queue_messages", queue="waste")
        assert depth >= 3
        assert wait_for(
            lambda: value(metrics, "bunri_queue_oldest_message_age_seconds", queue="waste") > 1,
            timeout=10,
        )
        assert value(metrics, "bunri_queue_scrape_ok", queue="waste") == 1
    finally:
        os.killpg(pid, signal.SIGCONT)
    assert wait_for(lambda: value(metrics, "bunri_queue_messages", queue="waste") == 0)
    # The backlog is gone; the reconciler's retention message (every 2 s in tests) may
    # already be the next one in the queue, a few milliseconds old.
    assert wait_for(
        lambda: value(metrics, "bunri_queue_oldest_message_age_seconds", queue="waste") < 1
    )
    for analysis_id in ids:
        assert final_status(running, token, analysis_id) == "SUCCEEDED"


def test_workers_export_dramatiq_and_analysis_metrics(running: RunningStack) -> None:
    token = sign_up(running)["accessToken"]
    worker = running.worker_metrics_url("waste")
    before = value(worker, "bunri_analyses_total", status="SUCCEEDED")
    analysis_id = start_analysis(running, token)
    assert final_status(running, token, analysis_id) == "SUCCEEDED"
    assert wait_for(lambda: value(worker, "bunri_analyses_total", status="SUCCEEDED") > before)
    assert value(worker, "dramatiq_messages_total", actor_name="analyze_waste") >= 1
    assert (
        value(worker, "dramatiq_message_duration_milliseconds_count", actor_name="analyze_waste")
        >= 1
    )
    # The points award ran on the users worker, measured there.
    users = running.worker_metrics_url("users")
    assert wait_for(lambda: value(users, "dramatiq_messages_total", actor_name="award_points"))
    # The worker's SQL goes to the same files as its jobs.
    assert value(worker, "bunri_db_statements_total", service="waste") > 0


def test_gateway_metrics_show_fetches_per_subgraph(running: RunningStack) -> None:
    gateway = running.gateway_url.removesuffix("/graphql") + "/metrics"
    body = graphql(running.gateway_url, CATEGORIES[0])
    assert "errors" not in body, body

    def subgraphs_seen() -> set[str]:
        return {
            labels.get("subgraphName", "")
            for name, labels, _ in samples(gateway)
            if name == "graphql_gateway_subgraph_execute_duration_count"
        }

    assert wait_for(lambda: "recycling" in subgraphs_seen(), timeout=5), [
        (n, labels) for n, labels, _ in samples(gateway) if "subgraph" in n
    ]
    assert value(gateway, "graphql_gateway_fetch_duration_count") >= 1
    names = {name for name, _, _ in samples(gateway)}
    assert "graphql_yoga_http_duration_count" in names
    # Errors per subgraph: a subgraph that answers with an error is counted under its name.
    refused = graphql(
        running.gateway_url,
        'mutation Anonymous { analyzeWaste(input: {uploadId: "x"}) { id } }',
    )
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", refused
    errors = [
        labels
        for name, labels, v in samples(gateway)
        if name == "graphql_gateway_subgraph_execute_errors_total" and v > 0
    ]
    wanted = {"subgraphName": "waste", "operationName": "Anonymous"}.items()
    assert any(wanted <= labels.items() for labels in errors), errors


async def test_a_checkout_that_waits_for_a_connection_is_counted(running: RunningStack) -> None:
    """The pool (one connection, no overflow) against the real Postgres: the second
    checkout waits until the first connection comes back, and is counted and timed."""
    engine = create_engine(
        running.role_url("locations"), schema="locations", pool_size=1, max_overflow=0
    )
    labels = {"service": "locations"}

    def metric(name: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0

    waits, timed = "bunri_db_pool_waits_total", "bunri_db_pool_wait_seconds_count"
    waited = "bunri_db_pool_wait_seconds_sum"
    before = {name: metric(name) for name in (waits, timed, waited)}
    try:
        async with engine.connect() as first:
            await first.execute(text("SELECT 1"))
            assert REGISTRY.get_sample_value("bunri_db_pool_in_use", labels) >= 1
            second = asyncio.create_task(engine.connect().__aenter__())
            await asyncio.sleep(0.3)
            assert not second.done()  # waiting for the only connection
        connection = await asyncio.wait_for(second, timeout=10)
        await connection.close()
    finally:
        await engine.dispose()
    # One wait, counted, and one duration in the histogram: what a dashboard shows of an
    # exhausted pool. (How long it lasted is the scheduler's business, not asserted.)
    assert metric(waits) == before[waits] + 1
    assert metric(timed) == before[timed] + 1
    assert metric(waited) > before[waited]


def test_gateway_counts_operations_refused_for_their_cost(running: RunningStack) -> None:
    gateway = running.gateway_url.removesuffix("/graphql") + "/metrics"
    before = value(gateway, "bunri_gateway_cost_refused_total")
    near = "dropOffPointsNear(latitude: 37.55, longitude: 126.95, radiusMeters: 100000, first: 50)"
    costly = (
        "query Costly { wasteCategories { " + near + " { point { acceptedCategories { "
        + near + " { point { name } } } } } } }"
    )  # fmt: skip
    refused = graphql(running.gateway_url, costly)
    assert refused["errors"][0]["extensions"]["code"] == "COST_LIMIT_EXCEEDED", refused
    assert value(gateway, "bunri_gateway_cost_refused_total") == before + 1
    graphql(running.gateway_url, CATEGORIES[0])  # an affordable one is not counted
    assert value(gateway, "bunri_gateway_cost_refused_total") == before + 1
