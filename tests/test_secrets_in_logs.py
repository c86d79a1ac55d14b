"""No password, token, secret or signed URL in any log line of any process, including the
gateway's error logs when a subgraph fetch fails (auth not listening)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from devstack.embedded import free_port
from devstack.paths import SUPERGRAPH_SDL
from devstack.testing import RunningProcess, RunningStack, graphql, new_email, sign_up

SIGN_UP = """mutation ($input: SignUpInput!) { signUp(input: $input) { accessToken } }"""
LOG_IN = """mutation ($input: LogInInput!) { logIn(input: $input) { accessToken } }"""
REFRESH = """mutation ($token: String!) { refreshSession(refreshToken: $token) { accessToken } }"""


@pytest.fixture(scope="module")
def gateway_without_auth(
    running: RunningStack, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, RunningProcess]]:
    """A gateway whose auth subgraph is not listening: every auth fetch fails."""
    port = free_port()
    spec = running.stack.gateway_process(
        SUPERGRAPH_SDL,
        name="gateway-no-auth",
        port=port,
        extra_env={"BUNRI_SUBGRAPH_URL_AUTH": f"http://127.0.0.1:{free_port()}/graphql"},
    )
    process = RunningProcess(spec, tmp_path_factory.mktemp("gateway-no-auth"))
    try:
        process.wait_healthy()
        yield f"http://127.0.0.1:{port}/graphql", process
    finally:
        process.stop()


def test_failed_auth_fetches_log_no_credentials(
    running: RunningStack, gateway_without_auth: tuple[str, RunningProcess]
) -> None:
    url, gateway = gateway_without_auth
    account = sign_up(running)  # through the working gateway: real, valid credentials
    secrets = [account["password"], account["refreshToken"], account["accessToken"]]
    for query, variables in (
        (SIGN_UP, {"input": {"email": new_email(), "password": "hunter2-" + "x" * 12,
                             "nickname": "n"}}),
        (LOG_IN, {"input": {"email": account["email"], "password": account["password"]}}),
        (REFRESH, {"token": account["refreshToken"]}),
    ):  # fmt: skip
        body = graphql(url, query, variables, token=account["accessToken"])
        assert body["errors"], body
        # The client is told it failed, with no echo of what it sent.
        assert account["password"] not in str(body) and "hunter2" not in str(body)
        assert account["refreshToken"] not in str(body)
    time.sleep(0.5)
    log = gateway.log_path.read_text(errors="replace")
    assert "auth" in log.lower()  # the failure was logged ...
    for secret in [*secrets, "hunter2", running.stack.gateway_secret]:
        assert secret not in log  # ... without what the client sent


def test_no_process_logs_a_secret(running: RunningStack) -> None:
    account = sign_up(running)
    token = account["accessToken"]
    for password in (account["password"], "wrong " + account["password"]):
        credentials = {"email": account["email"], "password": password}
        graphql(running.gateway_url, LOG_IN, {"input": credentials})
    refreshed = graphql(running.gateway_url, REFRESH, {"token": account["refreshToken"]})
    reused = graphql(running.gateway_url, REFRESH, {"token": account["refreshToken"]})
    assert "errors" not in refreshed and reused["errors"]
    reserved = graphql(
        running.gateway_url,
        "mutation ($input: CreateImageUploadInput!) { createImageUpload(input: $input) "
        "{ uploadUrl } }",
        {"input": {"contentType": "image/jpeg", "byteSize": 10}},
        token=token,
    )["data"]["createImageUpload"]
    # A failing upload (not an image) goes down the error paths too.
    httpx.put(reserved["uploadUrl"], content=b"0123456789", headers={"Content-Type": "image/jpeg"})
    signature = [
        value
        for values in parse_qs(urlsplit(reserved["uploadUrl"]).query).values()
        for value in values
        if len(value) >= 16
    ]
    assert signature, reserved["uploadUrl"]
    time.sleep(0.5)
    secrets = {
        "password": account["password"],
        "access token": token,
        "refresh token": account["refreshToken"],
        "gateway secret": running.stack.gateway_secret,
        "upload signing key": running.stack.upload_signing_key,
    } | {f"upload URL signature {i}": value for i, value in enumerate(signature)}
    for name, process in running.processes.items():
        log = process.log_path.read_text(errors="replace")
        for what, secret in secrets.items():
            assert secret not in log, f"{name} logged the {what}"
