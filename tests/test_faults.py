"""Fault suite: the real Redis and Postgres die and come back under a running stack.

Runs against a stack of its OWN (embedded servers on their own ports, its own database and
processes), so killing them disturbs no other test. `pytest -m fault` runs only this.
Bounded: the whole module finishes in well under two minutes.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.embedded import EmbeddedPostgres, EmbeddedValkey, Servers, free_port, free_port_block
from devstack.paths import data_dir
from devstack.stack import Stack
from devstack.subgraphs import load_subgraphs
from devstack.testing import (
    TEST_SETTINGS,
    RunningStack,
    graphql,
    new_email,
    running_processes,
    sign_up_via,
)

pytestmark = [pytest.mark.fault, pytest.mark.timeout(150)]

CREATE_UPLOAD = """mutation ($input: CreateImageUploadInput!) {
  createImageUpload(input: $input) { uploadId uploadUrl } }"""
ANALYZE = """mutation ($input: AnalyzeWasteInput!) { analyzeWaste(input: $input) { id status } }"""
ANALYSIS = "query ($id: ID!) { analysis(id: $id) { id status } }"
LOG_IN = "mutation ($i: LogInInput!) { logIn(input: $i) { accessToken } }"
SIGN_UP = "mutation ($i: SignUpInput!) { signUp(input: $i) { accessToken } }"
TERMINAL = {"SUCCEEDED", "UNCLASSIFIED", "FAILED"}
# An analysis on an idle stack takes well under this; "normal time" after recovery.
NORMAL_SECONDS = 10


@dataclass
class FaultStack:
    running: RunningStack
    postgres: EmbeddedPostgres
    redis: EmbeddedValkey

    @property
    def gateway(self) -> str:
        return self.running.gateway_url

    def ready(self, name: str) -> int:
        url = self.running.subgraph_url(name).removesuffix("/graphql") + "/ready"
        return httpx.get(url, timeout=10).status_code


@pytest.fixture(scope="module")
def faults(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultStack]:
    # In the project's data dir, not pytest's tmp: pytest keeps its base dir private (0700),
    # which the embedded Postgres' own OS user (when run as root) could not enter.
    root = data_dir() / "faults" / uuid.uuid4().hex[:8]
    # Durable, as in production: a crash must not take committed rows with it.
    postgres = EmbeddedPostgres(root / "postgres", free_port(), durable=True)
    redis = EmbeddedValkey(root / "valkey", free_port())
    postgres.start()
    redis.start()
    try:
        base = free_port_block(8)
        wanted = {"auth", "users", "waste"}  # what sign-up and analyses need
        stack = Stack(
            servers=Servers(
                postgres.url,
                redis.url,
                embedded_postgres=True,
                embedded_redis=True,
                redis_users=redis.user_urls,  # each process as its own ACL user
            ),
            database="bunri_faults",
            subgraphs=[s for s in load_subgraphs(base_port=base) if s.name in wanted],
            gateway_port=base + 7,
            data_dir=root,
            env_overrides=TEST_SETTINGS,
        )
        stack.prepare(fresh=True)
        logs = tmp_path_factory.mktemp("fault-logs")  # kept after the run, for a post-mortem
        with running_processes(stack, logs) as processes:
            yield FaultStack(RunningStack(stack, processes), postgres, redis)
    finally:
        redis.stop()
        postgres.stop()
        shutil.rmtree(root, ignore_errors=True)


def _jpeg(seed: int) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 24), (seed % 256, 80, 160)).save(out, format="JPEG")
    return out.getvalue()


def _upload(faults: FaultStack, token: str, seed: int) -> str:
    data = _jpeg(seed)
    body = graphql(
        faults.gateway, CREATE_UPLOAD,
        {"input": {"contentType": "image/jpeg", "byteSize": len(data)}}, token=token,
    )  # fmt: skip
    reserved = body["data"]["createImageUpload"]
    put = httpx.put(
        reserved["uploadUrl"], content=data, headers={"Content-Type": "image/jpeg"}, timeout=30
    )
    assert put.status_code == 200, put.text
    return reserved["uploadId"]


def _analyze(faults: FaultStack, token: str, seed: int) -> str:
    upload_id = _upload(faults, token, seed)
    body = graphql(
        faults.gateway, ANALYZE, {"input": {"uploadId": upload_id, "hint": "생수병"}}, token=token
    )
    assert "errors" not in body, body
    return body["data"]["analyzeWaste"]["id"]


def _status(faults: FaultStack, token: str, analysis_id: str) -> str | None:
    body = graphql(faults.gateway, ANALYSIS, {"id": analysis_id}, token=token)
    return (body.get("data") or {}).get("analysis", {}) and body["data"]["analysis"]["status"]


def _all_finish(faults: FaultStack, token: str, ids: list[str], within: float) -> None:
    deadline = time.monotonic() + within
    pending = set(ids)
    while pending:
        pending = {i for i in pending if _status(faults, token, i) not in TERMINAL}
        assert time.monotonic() < deadline, f"stuck: {pending}"
        time.sleep(0.2)
    for analysis_id in ids:
        assert _status(faults, token, analysis_id) == "SUCCEEDED"


def _unavailable(body: dict[str, Any]) -> None:
    """Every error of the answer is the stable retryable one."""
    assert body.get("errors"), body
    for error in body["errors"]:
        assert error["extensions"]["code"] == "SERVICE_UNAVAILABLE", body
        assert error["extensions"]["retryAfter"] > 0


def _wait_ready(faults: FaultStack, names: tuple[str, ...] = ("auth", "users", "waste")) -> None:
    deadline = time.monotonic() + 30
    while any(faults.ready(name) != 200 for name in names):
        assert time.monotonic() < deadline, "not ready again"
        time.sleep(0.2)


@contextmanager
def _worker_paused(faults: FaultStack) -> Iterator[None]:
    pid = faults.running.processes["waste-worker"].popen.pid
    os.killpg(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(pid, signal.SIGCONT)


def _errors_logged(faults: FaultStack) -> list[str]:
    """ERROR lines of the API processes (each would be a traceback for a client error)."""
    lines = []
    for name in ("auth", "users", "waste"):
        log = Path(faults.running.processes[name].log_path).read_text(errors="replace")
        lines += [line for line in log.splitlines() if '"level": "ERROR"' in line]
    return lines


def test_redis_dies_and_returns(faults: FaultStack) -> None:
    credentials = {"email": new_email(), "password": "correct horse battery staple 42"}
    token = sign_up_via(faults.gateway, email=credentials["email"])["accessToken"]
    with _worker_paused(faults):  # jobs wait in Redis's queue when it dies
        in_flight = [_analyze(faults, token, seed) for seed in (1, 2)]
        faults.redis.crash()
    # Redis is down: a stable retryable answer, /ready says so, nothing logged as a bug.
    for body in (
        graphql(faults.gateway, SIGN_UP, {"i": {**credentials, "email": new_email(),
                                                 "nickname": "outage"}}),
        graphql(faults.gateway, LOG_IN, {"i": credentials}),
        graphql(faults.gateway, CREATE_UPLOAD,
                {"input": {"contentType": "image/jpeg", "byteSize": 10}}, token=token),
    ):  # fmt: skip
        _unavailable(body)
    assert faults.ready("waste") == 503
    faults.redis.start()
    _wait_ready(faults)
    # The first requests after recovery succeed ...
    fresh = sign_up_via(faults.gateway)
    assert graphql(faults.gateway, LOG_IN, {"i": credentials})["data"]["logIn"]["accessToken"]
    started = time.monotonic()
    after = _analyze(faults, fresh["accessToken"], 3)
    # ... an analysis started now ends in normal time, and the jobs whose messages died with
    # Redis are not lost: the reconciler re-sends them.
    _all_finish(faults, fresh["accessToken"], [after], within=NORMAL_SECONDS)
    assert time.monotonic() - started < NORMAL_SECONDS
    _all_finish(faults, token, in_flight, within=NORMAL_SECONDS)
    assert _errors_logged(faults) == []


def test_postgres_dies_and_returns(faults: FaultStack) -> None:
    credentials = {"email": new_email(), "password": "correct horse battery staple 42"}
    token = sign_up_via(faults.gateway, email=credentials["email"])["accessToken"]
    with _worker_paused(faults):
        in_flight = [_analyze(faults, token, seed) for seed in (4, 5)]
        faults.postgres.crash()
    for body in (
        graphql(faults.gateway, ANALYSIS, {"id": in_flight[0]}, token=token),
        graphql(faults.gateway, LOG_IN, {"i": credentials}),
        graphql(faults.gateway, SIGN_UP, {"i": {**credentials, "email": new_email(),
                                                 "nickname": "outage"}}),
    ):  # fmt: skip
        _unavailable(body)
    assert faults.ready("waste") == 503
    faults.postgres.start()
    _wait_ready(faults)
    # Pooled connections died with the server: replaced, no request fails on them.
    first = graphql(faults.gateway, ANALYSIS, {"id": in_flight[0]}, token=token)
    assert "errors" not in first, first
    assert graphql(faults.gateway, LOG_IN, {"i": credentials})["data"]["logIn"]["accessToken"]
    started = time.monotonic()
    after = _analyze(faults, token, 6)
    _all_finish(faults, token, [after], within=NORMAL_SECONDS)
    assert time.monotonic() - started < NORMAL_SECONDS
    _all_finish(faults, token, in_flight, within=NORMAL_SECONDS * 2)
    assert _errors_logged(faults) == []
