"""Progress subscriptions at 1,000 subscribers, through the real gateway.

Opens BENCH_SUBSCRIBERS (default 1,000) `analysisProgress` subscriptions over
graphql-transport-ws, each on its own analysis, spread over 10 users, all held by one
asyncio process. Each user's first analysis is made through the API as a client makes it,
the rest are SQL copies of it; the worker stays paused, so they stay QUEUED and only the
events published here reach them. Then one progress event per analysis is published to
Redis with waste's own `publish`: (a) paced at 500 events/s, (b) all at once. Prints
per-event delivery latency (publish → gateway subscriber receives it) p50/p99, how many
arrived, subscriptions ended by an error, CPU per event of the gateway, waste and this
client, the memory each open subscription costs the gateway and waste (RSS before and
after opening), and their CPU while the subscriptions sit idle."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
import signal
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import psycopg
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

from bench.common import (
    bench_log_dir,
    bench_stack,
    cpu_seconds,
    jpeg,
    percentile,
    rss_kib,
    upload,
)
from devstack.testing import graphql, running_processes, sign_up_via
from waste.events import publish
from waste.pipeline import PROGRESS as STAGE_PROGRESS
from waste.state import AnalysisState, AnalysisStatus, AnalysisStep

SUBSCRIBERS = int(os.environ.get("BENCH_SUBSCRIBERS", "1000"))
USERS = 10
RATE = 500  # events/s in the paced round
OPEN_CONCURRENCY = 20  # subscriptions being opened at once
FIRST_STATE_SECONDS = 60.0  # how long an opening subscription may take to send its state
WAIT_SECONDS = 30.0  # how long a round waits for its last deliveries
# Idle subscriptions are rechecked every 10 s (waste.events.RECHECK_SECONDS), in one batch.
IDLE_SECONDS = 10.0
# What the gateway allows one client address by default (router/limits.ts) is far below
# what one benchmark process opens; raised for the benchmark's gateway only.
GATEWAY_ENV = {"BUNRI_MAX_SUBSCRIPTIONS_PER_ADDRESS": str(SUBSCRIBERS * 2)}
# The worker is paused for the whole run, so the reconciler would re-send every QUEUED
# analysis each half minute: load that a real burst of events does not come with.
SUBGRAPH_ENV = {"BUNRI_RECONCILE_INTERVAL_SECONDS": "3600"}
PROGRESS = """subscription ($id: ID!) { analysisProgress(analysisId: $id) {
  status stage progress message analysis { id status } } }"""
ANALYZE = "mutation ($i: AnalyzeWasteInput!) { analyzeWaste(input: $i) { id } }"


@dataclass(frozen=True)
class Round:
    label: str
    stage: AnalysisStep  # what its events announce: rounds are told apart by progress value
    rate: float | None  # events/s; None: back to back


ROUNDS = [
    Round(f"{RATE} events/s", AnalysisStep.LOAD, RATE),
    Round(f"{SUBSCRIBERS:,} events at once", AnalysisStep.HASH, None),
]


@dataclass
class Subscriber:
    """One gateway WebSocket with one subscription; arrival times by progress value."""

    analysis_id: str
    socket: ClientConnection
    first: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: dict[int, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    async def read(self) -> None:
        try:
            async for raw in self.socket:
                now = time.perf_counter()
                message = json.loads(raw)
                if message["type"] == "next":
                    payload = message["payload"]
                    if payload.get("errors"):
                        self.errors.append(_describe(payload["errors"]))
                    else:
                        progress = payload["data"]["analysisProgress"]["progress"]
                        self.arrived.setdefault(progress, now)
                    self.first.set()
                elif message["type"] in ("error", "complete"):
                    self.errors.append(_describe(message.get("payload")) or message["type"])
                    self.first.set()
                    return
        except ConnectionClosed as closed:
            self.errors.append(f"socket closed: {closed}")
            self.first.set()


def _describe(errors: object) -> str:
    """An error's code (or message): what the summary counts."""
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        return str(first.get("extensions", {}).get("code") or first.get("message"))
    return str(errors) if errors else ""


# -- the stack and its data --------------------------------------------------------------


def raise_fd_limit() -> None:
    """1,000 sockets here and in the gateway: the usual soft limit of 1,024 is too low.
    Children (the gateway) inherit the raised limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = SUBSCRIBERS * 4 + 1024
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


@contextlib.contextmanager
def gateway_env() -> Iterator[None]:
    """The gateway takes its settings from the environment it is started in."""
    saved = {name: os.environ.get(name) for name in GATEWAY_ENV}
    os.environ.update(GATEWAY_ENV)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def create_analyses(gateway: str, tokens: list[str], waste_db: str) -> list[tuple[str, str]]:
    """(token, analysis id) pairs, SUBSCRIBERS // USERS per user. Each user's first
    analysis is made through the gateway as a client makes it; the rest are copies of that
    row in SQL (1,000 `analyzeWaste` calls take minutes on a loaded 2-core machine), each
    with its own hint, as distinct analyses of one photo would have."""
    firsts: dict[str, str] = {}  # analysis id → its owner's token
    for n, token in enumerate(tokens):
        upload_id = upload(gateway, token, jpeg(30_000 + n))
        variables = {"i": {"uploadId": upload_id, "hint": "생수병"}}
        body = graphql(gateway, ANALYZE, variables, token=token)
        firsts[body["data"]["analyzeWaste"]["id"]] = token
    with psycopg.connect(waste_db) as conn:
        owners = conn.execute(
            "SELECT user_id, id::text FROM analyses WHERE id = ANY(%s::uuid[])", (list(firsts),)
        ).fetchall()
        token_of = {user: firsts[analysis] for user, analysis in owners}
        copies = conn.execute(
            "INSERT INTO analyses (user_id, upload_id, hint, image_sha256, enqueued_at) "
            "SELECT a.user_id, a.upload_id, a.hint || ' ' || n, a.image_sha256, a.enqueued_at "
            "FROM analyses a, generate_series(1, %s) AS n WHERE a.id = ANY(%s::uuid[]) "
            "RETURNING user_id, id::text",
            (SUBSCRIBERS // len(tokens) - 1, list(firsts)),
        ).fetchall()
    return [(token_of[user], analysis) for user, analysis in owners + copies]


# -- subscriptions -----------------------------------------------------------------------


async def open_subscriber(ws_url: str, token: str, analysis_id: str) -> Subscriber:
    socket = await connect(ws_url, subprotocols=["graphql-transport-ws"], max_queue=None)
    init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
    await socket.send(json.dumps(init))
    ack = json.loads(await asyncio.wait_for(socket.recv(), FIRST_STATE_SECONDS))
    if ack["type"] != "connection_ack":
        raise RuntimeError(f"no connection_ack: {ack}")
    payload = {"query": PROGRESS, "variables": {"id": analysis_id}}
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    subscriber = Subscriber(analysis_id, socket)
    subscriber.reader = asyncio.create_task(subscriber.read())
    with contextlib.suppress(TimeoutError):  # the stored state comes first
        await asyncio.wait_for(subscriber.first.wait(), FIRST_STATE_SECONDS)
    if not subscriber.first.is_set():
        subscriber.errors.append(f"no first state in {FIRST_STATE_SECONDS:g} s")
    return subscriber


async def open_all(ws_url: str, jobs: list[tuple[str, str]]) -> list[Subscriber]:
    """The subscriptions that could be opened (a refused one is reported, not fatal)."""
    gate = asyncio.Semaphore(OPEN_CONCURRENCY)

    async def one(token: str, analysis_id: str) -> Subscriber | None:
        async with gate:
            try:
                return await open_subscriber(ws_url, token, analysis_id)
            except (OSError, TimeoutError, RuntimeError, WebSocketException) as error:
                print(f"could not open a subscription: {error!r}")
                return None

    opened = await asyncio.gather(*(one(token, analysis_id) for token, analysis_id in jobs))
    return [subscriber for subscriber in opened if subscriber is not None]


async def close_all(subscribers: list[Subscriber]) -> None:
    await asyncio.gather(*(s.socket.close() for s in subscribers), return_exceptions=True)
    for subscriber in subscribers:
        if subscriber.reader is not None:
            subscriber.reader.cancel()


# -- events --------------------------------------------------------------------------------


async def publish_progress(redis: Redis, analysis_id: str, stage: AnalysisStep) -> None:
    """One event, published exactly as the worker's pipeline publishes a stage it entered
    (`Pipeline._advance` → `waste.events.publish`). The one place to adapt when the event
    format changes."""
    state = AnalysisState(
        id=uuid.UUID(analysis_id),
        user_id=uuid.UUID(int=0),  # not part of the subscription's payload
        status=AnalysisStatus.RUNNING,
        stage=stage,
        progress=STAGE_PROGRESS[stage],
        created_at=datetime.now(UTC),
    )
    await publish(redis, state)


async def publish_round(
    redis: Redis, subscribers: list[Subscriber], stage: AnalysisStep, rate: float | None
) -> dict[str, float]:
    """One event per analysis, paced at `rate` per second (None: back to back); the
    moment each was handed to Redis, by analysis id."""
    sent: dict[str, float] = {}
    start = time.perf_counter()
    for n, subscriber in enumerate(subscribers):
        if rate is not None:
            delay = start + n / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
        sent[subscriber.analysis_id] = time.perf_counter()
        await publish_progress(redis, subscriber.analysis_id, stage)
    return sent


async def wait_delivered(subscribers: list[Subscriber], progress: int) -> None:
    deadline = time.perf_counter() + WAIT_SECONDS
    while time.perf_counter() < deadline:
        if all(progress in s.arrived or s.errors for s in subscribers):
            return
        await asyncio.sleep(0.05)


@dataclass(frozen=True)
class RoundResult:
    round: Round
    latencies_ms: list[float]
    expected: int
    publish_seconds: float
    cpu_ms_per_event: dict[str, float]  # by process name, publish to last delivery
    failed: int  # subscriptions that ended with an error during this round


def cpu_of(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds of each stack process, and of this process (is the client the limit?)."""
    return {
        **{name: cpu_seconds(pid) for name, pid in pids.items()},
        "bench client": time.process_time(),
    }


async def run_round(
    redis: Redis, subscribers: list[Subscriber], one: Round, pids: dict[str, int], expected: int
) -> RoundResult:
    progress = STAGE_PROGRESS[one.stage]
    failed_before = sum(1 for s in subscribers if s.errors)
    cpu_before = cpu_of(pids)
    started = time.perf_counter()
    sent = await publish_round(redis, subscribers, one.stage, one.rate)
    publish_seconds = time.perf_counter() - started
    await wait_delivered(subscribers, progress)
    cpu = {
        name: (seconds - cpu_before[name]) * 1000 / len(subscribers)
        for name, seconds in cpu_of(pids).items()
    }
    latencies = [
        (s.arrived[progress] - sent[s.analysis_id]) * 1000
        for s in subscribers
        if progress in s.arrived
    ]
    failed = sum(1 for s in subscribers if s.errors) - failed_before
    return RoundResult(one, latencies, expected, publish_seconds, cpu, failed)


# -- the run -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    opened: int
    open_seconds: float
    failed_opening: int  # refused, or no first state in time, or ended while opening
    rss_before_kib: dict[str, int]  # by process name, before opening the subscriptions
    rss_after_kib: dict[str, int]
    idle_cpu_ms_per_s: dict[str, float]  # by process name, subscriptions open, no events
    rounds: list[RoundResult]
    errors: Counter[str]  # the first error of each subscription that saw one
    pool: str  # waste's database pool waits over the whole run


def pool_waits(metrics_url: str) -> str:
    """Waste's database pool: checkouts that found every connection taken, and how many of
    them waited 5 s or more (its /metrics)."""
    waited = slow = 0.0
    for family in text_string_to_metric_families(httpx.get(metrics_url, timeout=10).text):
        for sample in family.samples:
            if sample.name == "bunri_db_pool_wait_seconds_count":
                waited += sample.value
                slow += sample.value
            elif (
                sample.name == "bunri_db_pool_wait_seconds_bucket" and sample.labels["le"] == "5.0"
            ):
                slow -= sample.value
    return f"{waited:.0f} checkouts waited for a connection, {slow:.0f} of them 5 s or more"


def rss_of(pids: dict[str, int]) -> dict[str, int]:
    return {name: rss_kib(pid) for name, pid in pids.items()}


async def idle_cpu(pids: dict[str, int]) -> dict[str, float]:
    """CPU ms per second with every subscription open and no event (one recheck period)."""
    before = cpu_of(pids)
    await asyncio.sleep(IDLE_SECONDS)
    return {
        name: (seconds - before[name]) * 1000 / IDLE_SECONDS
        for name, seconds in cpu_of(pids).items()
    }


async def measure(
    ws_url: str,
    redis_url: str,
    jobs: list[tuple[str, str]],
    pids: dict[str, int],
    waste_metrics: str,
) -> Measured:
    before = rss_of(pids)
    started = time.perf_counter()
    subscribers = await open_all(ws_url, jobs)
    open_seconds = time.perf_counter() - started
    failed_opening = len(jobs) - len(subscribers) + sum(1 for s in subscribers if s.errors)
    await asyncio.sleep(2)  # let both processes settle before reading their memory
    after = rss_of(pids)
    idle = await idle_cpu(pids)
    redis = Redis.from_url(redis_url)
    try:
        rounds = [await run_round(redis, subscribers, one, pids, len(jobs)) for one in ROUNDS]
    finally:
        await redis.aclose()
        errors = Counter(s.errors[0] for s in subscribers if s.errors)
        pool = await asyncio.to_thread(pool_waits, waste_metrics)
        await close_all(subscribers)
    return Measured(
        len(subscribers), open_seconds, failed_opening, before, after, idle, rounds, errors, pool
    )


def report(measured: Measured) -> None:
    names = list(measured.rss_before_kib)
    print(
        f"opened {measured.opened} subscriptions in {measured.open_seconds:.1f} s; "
        f"{measured.failed_opening} failed while opening"
    )
    cpu_names = list(measured.rounds[0].cpu_ms_per_event)
    cpu_heads = " | ".join(f"CPU/event {name}" for name in cpu_names)
    print(f"\n| load | delivered | p50 | p99 | max | failed | publishing took | {cpu_heads} |")
    print("|---" * (7 + len(cpu_names)) + "|")
    for r in measured.rounds:
        if r.latencies_ms:
            p50, p99 = percentile(r.latencies_ms, 0.5), percentile(r.latencies_ms, 0.99)
            figures = f"{p50:.1f} ms | {p99:.1f} ms | {max(r.latencies_ms):.1f} ms"
        else:
            figures = "– | – | –"
        cpu = " | ".join(f"{r.cpu_ms_per_event[name]:.2f} ms" for name in cpu_names)
        print(
            f"| {r.round.label} | {len(r.latencies_ms)}/{r.expected} | {figures} | {r.failed} | "
            f"{r.publish_seconds * 1000:.0f} ms | {cpu} |"
        )
    grown = {
        name: (measured.rss_after_kib[name] - measured.rss_before_kib[name]) / measured.opened
        for name in names
    }
    each = ", ".join(
        f"{name} {grown[name]:+.1f} KiB ({measured.rss_before_kib[name] // 1024} → "
        f"{measured.rss_after_kib[name] // 1024} MiB)"
        for name in names
    )
    print(
        f"\nmemory per subscription (RSS after opening − before, ÷ {measured.opened}): {each}; "
        f"together {sum(grown.values()):+.1f} KiB"
    )
    idle = ", ".join(f"{name} {ms:.0f} ms/s" for name, ms in measured.idle_cpu_ms_per_s.items())
    print(f"CPU with the subscriptions open and no events ({IDLE_SECONDS:g} s): {idle}")
    print(
        f"subscriptions ended by an error: {sum(measured.errors.values())}"
        + "".join(f"; {count} × {error}" for error, count in measured.errors.most_common())
    )
    print(f"waste's database pool over the run: {measured.pool}")


def main() -> None:
    raise_fd_limit()
    with (
        gateway_env(),
        bench_stack(SUBGRAPH_ENV) as stack,
        running_processes(stack, bench_log_dir()) as processes,
    ):
        gateway = stack.gateway_url
        tokens = [sign_up_via(gateway)["accessToken"] for _ in range(USERS)]
        worker = processes["waste-worker"].popen.pid
        os.killpg(worker, signal.SIGSTOP)  # analyses stay QUEUED: only our events reach them
        try:
            started = time.perf_counter()
            waste = next(s for s in stack.subgraphs if s.name == "waste")
            jobs = create_analyses(gateway, tokens, stack.role_url(waste))
            print(
                f"{len(jobs)} analyses for {USERS} users in {time.perf_counter() - started:.1f} s"
            )
            pids = {name: processes[name].popen.pid for name in ("gateway", "waste")}
            ws_url = gateway.replace("http://", "ws://", 1)
            metrics = waste.local_url().removesuffix("/graphql") + "/metrics"
            outcome = asyncio.run(measure(ws_url, stack.servers.redis_url, jobs, pids, metrics))
        finally:
            os.killpg(worker, signal.SIGCONT)
        report(outcome)


if __name__ == "__main__":
    main()
