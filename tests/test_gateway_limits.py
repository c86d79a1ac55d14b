"""The gateway's own limits: document size and shape, request bodies, production profile
(no introspection, no suggestions, no GraphiQL) and WebSocket hygiene."""

from __future__ import annotations

import io
import json
import os
import signal
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from devstack.embedded import free_port
from devstack.paths import SUPERGRAPH_SDL
from devstack.testing import RunningProcess, RunningStack, graphql, sign_up

CAPS = {"BUNRI_MAX_SUBSCRIPTIONS_PER_CONNECTION": "2", "BUNRI_MAX_SUBSCRIPTIONS_PER_ADDRESS": "3"}


@pytest.fixture(scope="module")
def production_gateway(
    running: RunningStack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A second gateway over the same subgraphs, configured as the production image is."""
    port = free_port()
    spec = running.stack.gateway_process(
        SUPERGRAPH_SDL,
        name="gateway-production",
        port=port,
        extra_env={"BUNRI_GRAPHIQL": "false", **CAPS},
    )
    process = RunningProcess(spec, tmp_path_factory.mktemp("production-gateway"))
    try:
        process.wait_healthy()
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        # It stops serving at once on SIGTERM (its log says so); node itself lingers ~3 s
        # more, which no test needs to wait for.
        process.stop(grace=0.5)


def _code(body: dict[str, Any]) -> str:
    return body["errors"][0]["extensions"]["code"]


def test_too_deep_a_document_is_refused(running: RunningStack) -> None:
    nested = "code"
    for _ in range(12):
        nested = f"children {{ {nested} }}"
    body = graphql(running.gateway_url, f"{{ wasteCategories {{ {nested} }} }}")
    assert _code(body) == "GRAPHQL_VALIDATION_FAILED"
    assert "depth" in body["errors"][0]["message"].lower()


def test_too_many_aliases_are_refused(running: RunningStack) -> None:
    aliases = " ".join(f'a{i}: wasteCategory(code: "PAPER") {{ code }}' for i in range(21))
    body = graphql(running.gateway_url, f"{{ {aliases} }}")
    assert _code(body) == "GRAPHQL_VALIDATION_FAILED"
    assert "alias" in body["errors"][0]["message"].lower()
    twenty = aliases.rsplit(" a20:", 1)[0]
    assert "errors" not in graphql(running.gateway_url, f"{{ {twenty} }}")


def test_too_many_tokens_are_refused(running: RunningStack) -> None:
    fields = " ".join(["__typename"] * 3100)
    body = graphql(running.gateway_url, f"{{ {fields} }}")
    assert _code(body) in ("GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED")
    assert "token" in body["errors"][0]["message"].lower()


def test_a_body_over_two_megabytes_is_refused_unread(running: RunningStack) -> None:
    padding = "#" + "x" * 2_000_100 + "\n"
    response = httpx.post(
        running.gateway_url,
        content=json.dumps({"query": padding + "{ __typename }"}),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    # A body of unknown length is not buffered either.
    chunked = httpx.post(
        running.gateway_url,
        content=iter([b'{"query": "{ __typename }"}']),
        headers={"Content-Type": "application/json"},
    )
    assert chunked.status_code == 411


def test_production_profile_hides_the_schema(production_gateway: str) -> None:
    body = graphql(production_gateway, "{ __schema { queryType { name } } }")
    assert "errors" in body and body.get("data") is None
    typo = graphql(production_gateway, "{ wasteCategorie { code } }")
    assert _code(typo) == "GRAPHQL_VALIDATION_FAILED"
    assert "Did you mean" not in typo["errors"][0]["message"]
    page = httpx.get(production_gateway, headers={"Accept": "text/html"})
    assert "graphiql" not in page.text.lower()
    # ... while it serves the API as usual, within the same budget.
    assert "errors" not in graphql(production_gateway, "{ wasteCategories { code } }")


def test_development_profile_keeps_suggestions(running: RunningStack) -> None:
    typo = graphql(running.gateway_url, "{ wasteCategorie { code } }")
    assert "Did you mean" in typo["errors"][0]["message"]


# ---------------------------------------------------------------- WebSocket hygiene

PROGRESS = "subscription ($id: ID!) { analysisProgress(analysisId: $id) { status progress } }"


def _ws(url: str, **kwargs: Any) -> ClientConnection:
    return connect(
        url.replace("http://", "ws://", 1), subprotocols=["graphql-transport-ws"], **kwargs
    )


def _init(socket: ClientConnection, token: str) -> None:
    payload = {"authorization": f"Bearer {token}"}
    socket.send(json.dumps({"type": "connection_init", "payload": payload}))
    assert json.loads(socket.recv(timeout=10))["type"] == "connection_ack"


def _subscribe(socket: ClientConnection, id_: str, analysis_id: str) -> None:
    payload = {"query": PROGRESS, "variables": {"id": analysis_id}}
    socket.send(json.dumps({"id": id_, "type": "subscribe", "payload": payload}))


def _next_for(socket: ClientConnection, id_: str) -> dict[str, Any]:
    while True:
        message = json.loads(socket.recv(timeout=15))
        if message.get("id") == id_:
            return message


def _refusal_code(message: dict[str, Any]) -> str:
    """A refused subscription: one `next` with errors (then complete), or an `error`."""
    payload = message["payload"]
    errors = payload if message["type"] == "error" else payload["errors"]
    return errors[0]["extensions"]["code"]


@pytest.fixture
def queued_analysis(running: RunningStack) -> Iterator[tuple[str, str]]:
    """(token, analysis id) of an analysis that stays QUEUED: the worker is stopped."""
    token = sign_up(running)["accessToken"]
    image = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 200, 90)).save(image, format="JPEG")
    data = image.getvalue()
    reserved = graphql(
        running.gateway_url,
        "mutation ($input: CreateImageUploadInput!) { createImageUpload(input: $input) "
        "{ uploadId uploadUrl } }",
        {"input": {"contentType": "image/jpeg", "byteSize": len(data)}},
        token=token,
    )["data"]["createImageUpload"]
    put = httpx.put(reserved["uploadUrl"], content=data, headers={"Content-Type": "image/jpeg"})
    assert put.status_code == 200, put.text
    worker = running.processes["waste-worker"].popen.pid
    os.killpg(worker, signal.SIGSTOP)
    try:
        analysis = graphql(
            running.gateway_url,
            "mutation ($input: AnalyzeWasteInput!) { analyzeWaste(input: $input) { id } }",
            {"input": {"uploadId": reserved["uploadId"], "hint": "캔"}},
            token=token,
        )["data"]["analyzeWaste"]
        yield token, analysis["id"]
    finally:
        os.killpg(worker, signal.SIGCONT)


def test_a_foreign_origin_is_closed(
    running: RunningStack, queued_analysis: tuple[str, str]
) -> None:
    token, analysis_id = queued_analysis
    with _ws(running.gateway_url, origin="http://evil.example") as socket:
        _init(socket, token)
        _subscribe(socket, "1", analysis_id)
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                socket.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
    # An allowed origin (a local dev server) gets its events.
    with _ws(running.gateway_url, origin="http://localhost:5173") as socket:
        _init(socket, token)
        _subscribe(socket, "1", analysis_id)
        assert _next_for(socket, "1")["type"] == "next"


def test_a_socket_that_never_initialises_is_closed(running: RunningStack) -> None:
    with _ws(running.gateway_url) as socket, pytest.raises(ConnectionClosed) as closed:
        socket.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4408


def test_open_subscriptions_are_capped_per_connection_and_address(
    production_gateway: str, queued_analysis: tuple[str, str]
) -> None:
    token, analysis_id = queued_analysis
    with _ws(production_gateway) as first, _ws(production_gateway) as second:
        _init(first, token)
        _init(second, token)
        for id_ in ("1", "2"):
            _subscribe(first, id_, analysis_id)
            assert _next_for(first, id_)["type"] == "next"
        _subscribe(first, "3", analysis_id)
        refused = _next_for(first, "3")
        assert _refusal_code(refused) == "RATE_LIMITED", refused
        _subscribe(second, "1", analysis_id)
        assert _next_for(second, "1")["type"] == "next"
        _subscribe(second, "2", analysis_id)  # the address holds 3 already
        refused = _next_for(second, "2")
        assert _refusal_code(refused) == "RATE_LIMITED", refused
        # Ending one frees its place.
        first.send(json.dumps({"id": "1", "type": "complete"}))
        _subscribe(second, "3", analysis_id)
        assert _next_for(second, "3")["type"] == "next"
