"""Pytest plugin: the real stack for tests (servers, database, processes, gateway).

Loaded from the repo's conftest.py. Session-scoped: one fresh database per run, the five
subgraphs, their workers and the gateway started once as real processes.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from bunri_shared.middleware import GatewaySecretMiddleware
from devstack.embedded import Servers, free_port, free_port_block, local_servers
from devstack.otlp import OtlpReceiver
from devstack.paths import SUPERGRAPH_SDL, data_dir
from devstack.stack import ProcessSpec, Stack, process_env
from devstack.subgraphs import Subgraph, load_subgraphs

# The gateway's default browser origins (router/gateway.config.ts DEV_ORIGINS).
DEV_ORIGINS = (
    "http://localhost:3000",
    "http://localhost:5173",
    "http://localhost:8081",
    "http://localhost:19006",
    "http://127.0.0.1:3000",
    "http://127.0.0.1:5173",
)

TEST_DATABASE = os.environ.get("BUNRI_TEST_DB_NAME", "bunri_test")
# Short windows so limits can be seen to expire; every test comes from 127.0.0.1.
TEST_SETTINGS = {
    "BUNRI_LOGIN_FREE_FAILURES_PER_PAIR": "3",
    "BUNRI_LOGIN_FREE_FAILURES_PER_ADDRESS": "8",
    "BUNRI_LOGIN_DELAY_BASE_SECONDS": "1",
    "BUNRI_LOGIN_DELAY_MAX_SECONDS": "4",
    "BUNRI_LOGIN_FAILURE_MEMORY_SECONDS": "10",
    "BUNRI_LOGIN_FAILURES_PER_ACCOUNT": "10",
    "BUNRI_LOGIN_ACCOUNT_WINDOW_SECONDS": "60",
    "BUNRI_SIGNUPS_PER_ADDRESS_PER_HOUR": "10000",
    # Orphaned analyses are noticed within seconds, not half a minute.
    "BUNRI_STALE_AFTER_SECONDS": "2",
    "BUNRI_RECONCILE_INTERVAL_SECONDS": "0.5",
    "BUNRI_JWKS_REFRESH_COOLDOWN_SECONDS": "1",
    # Keys turn stale within seconds, so an auth outage can outlast them in a test.
    "BUNRI_JWKS_TTL_SECONDS": "2",
    "BUNRI_REFRESH_GRACE_SECONDS": "2",
    "BUNRI_RETENTION_INTERVAL_SECONDS": "2",
    # Dead-lettered points awards are re-driven within a second.
    "BUNRI_REDRIVE_INTERVAL_SECONDS": "0.5",
    # Dramatiq's own setting (read by every worker): an idle worker polls its queues every
    # 0.1 s rather than every second, so a message waits less for pick-up and a stop's
    # joins are shorter. Production keeps Dramatiq's default (1 s).
    "dramatiq_worker_timeout": "100",
    # The upload limit is reached in a few dozen requests, not 120 (a storage-quota test
    # reserves 22 uploads as one user).
    "BUNRI_UPLOADS_PER_USER_PER_HOUR": "30",
}


class RunningProcess:
    def __init__(self, spec: ProcessSpec, log_dir: Path) -> None:
        self.spec = spec
        self.log_path = log_dir / f"{spec.name}.log"
        self._terminated = False
        self._log = self.log_path.open("wb")
        self.popen = subprocess.Popen(
            spec.argv,
            env=process_env(spec),
            cwd=spec.cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log_tail(self, size: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-size:]

    def wait_healthy(self, timeout: float = 120) -> None:
        if self.spec.health_url is None:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.spec.name} exited:\n{self.log_tail()}")
            try:
                if httpx.get(self.spec.health_url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"{self.spec.name} not healthy in {timeout}s:\n{self.log_tail()}")

    def terminate(self) -> None:
        """Ask it to stop (SIGTERM: a graceful stop), without waiting. Once only: a second
        SIGTERM tells Dramatiq to kill its workers at once."""
        if not self._terminated and self.popen.poll() is None:
            self.popen.terminate()
            self._terminated = True

    def stop(self, *, grace: float = 10) -> None:
        """Stop it gracefully; killed if it takes longer than `grace` seconds."""
        self.terminate()
        try:
            self.popen.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            # The whole group: a Dramatiq main process killed alone leaves its workers running.
            with suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()
        self._log.close()


def stop_all(processes: Iterable[RunningProcess]) -> None:
    """Stop them side by side: each gets its whole grace period, but the waits overlap."""
    processes = list(processes)
    for process in processes:
        process.terminate()
    for process in processes:
        process.stop()


class RunningStack:
    """The stack under test: addresses of every part, and its processes."""

    def __init__(self, stack: Stack, processes: dict[str, RunningProcess]) -> None:
        self.stack = stack
        self.processes = processes

    def subgraph(self, name: str) -> Subgraph:
        return next(s for s in self.stack.subgraphs if s.name == name)

    def subgraph_url(self, name: str) -> str:
        return self.subgraph(name).local_url()

    def metrics_url(self, name: str) -> str:
        return self.subgraph_url(name).removesuffix("/graphql") + "/metrics"

    def worker_metrics_url(self, name: str) -> str:
        """The worker's /metrics (Dramatiq's exposition server answers on any path)."""
        return self.stack.worker_metrics_url(self.subgraph(name)) + "metrics"

    @property
    def gateway_url(self) -> str:
        return self.stack.gateway_url

    @property
    def subgraph_headers(self) -> dict[str, str]:
        """What the gateway adds; a test talking to a subgraph directly must add it too."""
        return {GatewaySecretMiddleware.header: self.stack.gateway_secret}

    def query_subgraph(
        self, name: str, query: str, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Ask one subgraph directly, as the gateway would."""
        return graphql(self.subgraph_url(name), query, variables, headers=self.subgraph_headers)

    def statements(self, name: str) -> float:
        """SQL statements the subgraph has sent so far (from its /metrics)."""
        return statement_count(self.metrics_url(name), name)

    def role_url(self, name: str) -> str:
        return self.stack.role_url(self.subgraph(name))


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    root = data_dir() / "test"
    with local_servers(root, pg_port=free_port(), redis_port=free_port()) as found:
        yield found


@pytest.fixture(scope="session")
def port_base() -> int:
    """Ports base…base+7: subgraphs and gateway; base+8: the example web app; base+9…:
    the workers' metrics. One block: ports chosen separately could collide before bound."""
    return free_port_block(16)


@pytest.fixture(scope="session")
def web_origin(port_base: int) -> str:
    """Where browser tests serve the example web app; allowed by the stack's CORS lists."""
    return f"http://127.0.0.1:{port_base + 8}"


@pytest.fixture(scope="session")
def otlp_receiver() -> Iterator[OtlpReceiver]:
    """Where every process of the test stack exports its spans (OTLP/HTTP)."""
    receiver = OtlpReceiver().start()
    yield receiver
    receiver.stop()


def trace_settings(receiver: OtlpReceiver) -> dict[str, str]:
    """Tracing on, every span kept, exported within a fraction of a second."""
    return {
        "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
        "OTEL_TRACES_SAMPLER": "parentbased_always_on",
        "OTEL_BSP_SCHEDULE_DELAY": "200",
    }


@pytest.fixture(scope="session")
def stack(servers: Servers, port_base: int, web_origin: str, otlp_receiver: OtlpReceiver) -> Stack:
    base = port_base
    subgraphs = load_subgraphs(base_port=base)
    prepared = Stack(
        servers=servers,
        database=TEST_DATABASE,
        subgraphs=subgraphs,
        gateway_port=base + 7,
        data_dir=data_dir() / "test",
        env_overrides={**TEST_SETTINGS, **trace_settings(otlp_receiver)},
        # base+8 is the web app's (web_origin): the workers' metrics ports start after it.
        worker_metrics_port=base + 9,
        cors_origins=",".join((*DEV_ORIGINS, web_origin)),
    )
    prepared.prepare(fresh=True)
    return prepared


@contextmanager
def running_processes(stack: Stack, log_dir: Path) -> Iterator[dict[str, RunningProcess]]:
    """Every process of the stack (subgraphs, workers, gateway), as `make dev` runs them."""
    started: dict[str, RunningProcess] = {}
    try:
        for spec in stack.processes(supergraph=SUPERGRAPH_SDL):
            started[spec.name] = RunningProcess(spec, log_dir)
        for process in started.values():
            process.wait_healthy()
        yield started
    finally:
        stop_all(started.values())


@pytest.fixture(scope="session")
def running(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    with running_processes(stack, tmp_path_factory.mktemp("process-logs")) as started:
        yield RunningStack(stack, started)


def graphql(
    url: str,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """POST a GraphQL operation; return the whole response body (data and errors)."""
    headers = {
        "Content-Type": "application/json",
        **(headers or {}),
        **({"Authorization": f"Bearer {token}"} if token else {}),
    }
    # json.dumps escapes non-ASCII, so even a lone surrogate (hostile input) can be sent.
    body = json.dumps({"query": query, "variables": variables or {}})
    response = httpx.post(url, content=body, headers=headers, timeout=30)
    assert response.headers.get("content-type", "").startswith(
        ("application/json", "application/graphql-response+json")
    ), response.text
    return response.json()


def statement_count(metrics_url: str, service: str) -> float:
    text = httpx.get(metrics_url, timeout=5).text
    prefix = f'bunri_db_statements_total{{service="{service}"}} '
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line.removeprefix(prefix))
    return 0.0


SIGN_UP = """mutation ($input: SignUpInput!) {
  signUp(input: $input) { accessToken refreshToken expiresIn deviceToken user { id nickname } }
}"""


def new_email() -> str:
    return f"user-{uuid.uuid4().hex[:12]}@example.com"


def sign_up(
    running: RunningStack,
    *,
    email: str | None = None,
    nickname: str = "분리수거왕",
    stored: bool = True,
) -> dict[str, Any]:
    """A new account through the gateway; returns the AuthPayload plus the credentials.
    With `stored`, once the users worker has stored its profile (until then `me` is
    provisional: default nickname, no email)."""
    account = sign_up_via(running.gateway_url, email=email, nickname=nickname)
    deadline = time.monotonic() + 30
    while stored:
        me = graphql(running.gateway_url, "{ me { email } }", token=account["accessToken"])
        if me["data"]["me"]["email"] is not None:
            break
        assert time.monotonic() < deadline, "the users worker never stored the profile"
        time.sleep(0.05)
    return account


def sign_up_via(
    gateway_url: str, *, email: str | None = None, nickname: str = "분리수거왕"
) -> dict[str, Any]:
    credentials = {
        "email": email or new_email(),
        "password": "correct horse battery staple 42",
        "nickname": nickname,
    }
    body = graphql(gateway_url, SIGN_UP, {"input": credentials})
    assert "errors" not in body, body
    return {**body["data"]["signUp"], **credentials}


def subscribe(
    url: str,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    connection_params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30,
    on_first: Callable[[], None] | None = None,
) -> list[dict[str, Any]]:
    """Run one subscription over graphql-transport-ws; every `next` payload until complete.

    `on_first` runs once the first payload has arrived (e.g. to let a paused worker go).
    """
    ws_url = url.replace("http://", "ws://", 1)
    payloads: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    with connect(
        ws_url, subprotocols=["graphql-transport-ws"], additional_headers=headers or {}
    ) as socket:
        socket.send(json.dumps({"type": "connection_init", "payload": connection_params or {}}))
        ack = json.loads(socket.recv(timeout=timeout))
        assert ack["type"] == "connection_ack", ack
        socket.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": query, "variables": variables or {}},
                }
            )
        )
        while True:
            message = json.loads(socket.recv(timeout=max(deadline - time.monotonic(), 0.1)))
            if message["type"] == "next":
                payloads.append(message["payload"])
                if len(payloads) == 1 and on_first is not None:
                    on_first()
            elif message["type"] == "error":
                payloads.append({"errors": message["payload"]})
                return payloads
            elif message["type"] == "complete":
                return payloads
