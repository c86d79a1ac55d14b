"""Every subgraph: probes open, everything else only through the gateway."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from devstack.subgraphs import load_subgraphs
from devstack.testing import RunningStack

NAMES = [s.name for s in load_subgraphs()]


@pytest.mark.parametrize("name", NAMES)
def test_probes_answer_without_the_gateway_secret(running: RunningStack, name: str) -> None:
    base = running.subgraph_url(name).removesuffix("/graphql")
    assert httpx.get(f"{base}/health").json()["status"] == "ok"
    ready = httpx.get(f"{base}/ready").json()
    assert ready == {"status": "ok", "checks": {"postgres": "ok", "redis": "ok"}}


@pytest.mark.parametrize("name", NAMES)
def test_graphql_without_the_gateway_secret_is_forbidden(running: RunningStack, name: str) -> None:
    query = {"query": "{ _service { sdl } }"}
    for headers in ({}, {"x-bunri-gateway-secret": "guess"}):
        response = httpx.post(running.subgraph_url(name), json=query, headers=headers)
        assert response.status_code == 403
        assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize("name", NAMES)
def test_served_sdl_is_the_committed_one(running: RunningStack, name: str) -> None:
    body = running.query_subgraph(name, "{ _service { sdl } }")
    committed = running.subgraph(name).schema_file.read_text()
    assert body["data"]["_service"]["sdl"].strip() == committed.strip()


@pytest.mark.parametrize("name", NAMES)
def test_request_id_is_echoed_and_made_when_missing(running: RunningStack, name: str) -> None:
    url = running.subgraph_url(name).removesuffix("/graphql") + "/health"
    assert httpx.get(url, headers={"x-request-id": "abc-123"}).headers["x-request-id"] == "abc-123"
    assert len(httpx.get(url).headers["x-request-id"]) == 32


def test_unknown_field_is_a_validation_error_with_a_code(running: RunningStack) -> None:
    body = running.query_subgraph("recycling", "{ nope }")
    [error] = body["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_too_deep_a_query_is_refused(running: RunningStack) -> None:
    deep = "{ wasteCategories { " + "children { " * 15 + "code" + " }" * 15 + " } }"
    body = running.query_subgraph("recycling", deep)
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "depth" in body["errors"][0]["message"]


def test_logs_are_json_lines_carrying_the_request_id(running: RunningStack) -> None:
    response = httpx.post(
        running.subgraph_url("recycling"),
        json={"query": "{ wasteCategories { code } }"},
        headers={**running.subgraph_headers, "x-request-id": "trace-me-4242"},
    )
    assert response.status_code == 200
    log = running.processes["recycling"].log_path
    deadline = time.monotonic() + 5  # the access line is written once the response is sent
    while True:
        text = log.read_text()
        lines = [json.loads(line) for line in text.splitlines() if "trace-me-4242" in line]
        if lines or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert lines, "no log line carries the request id"
    entry = lines[-1]
    assert entry["request_id"] == "trace-me-4242" and entry["service"] == "recycling"
    assert entry["status"] == 200 and entry["level"] == "INFO" and "duration_ms" in entry
