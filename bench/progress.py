"""Progress subscriptions at 1,000 subscribers, through the real gateway.

Opens BENCH_SUBSCRIBERS (default 1,000) `analysisProgress` subscriptions over
graphql-transport-ws, each on its own analysis, spread over 10 users, all held by one
asyncio process. The analyses are created through the API as a client does, with the
worker paused so they stay QUEUED and only the events published here reach them. Then
progress events are published to Redis with waste's own `publish`, one per analysis:
(a) paced at 500 events/s, (b) all at once. Prints per-event delivery latency (publish →
gateway subscriber receives it) p50/p99, how many arrived, and the memory each open
subscription costs the gateway and the waste process (RSS before and after opening).
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

from redis.asyncio import Redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bench.common import bench_log_dir, bench_stack, jpeg, percentile, rss_kib, upload
from devstack.testing import graphql, running_processes, sign_up_via
from waste.events import ProgressEvent, publish
from waste.pipeline import PROGRESS as STAGE_PROGRESS

SUBSCRIBERS = int(os.environ.get("BENCH_SUBSCRIBERS", "1000"))
USERS = 10
RATE = 500  # events/s in the paced round
OPEN_CONCURRENCY = 50  # subscriptions being opened at once
WAIT_SECONDS = 30.0  # how long a round waits for its last deliveries
# What the gateway allows one client address by default (router/limits.ts) is far below
# what one benchmark process opens; raised for the benchmark's gateway only.
GATEWAY_ENV = {"BUNRI_MAX_SUBSCRIPTIONS_PER_ADDRESS": str(SUBSCRIBERS * 2)}
# The worker is paused for the whole run, so the reconciler would re-send every QUEUED
# analysis each half minute: load that a real burst of events does not come with.
SUBGRAPH_ENV = {"BUNRI_RECONCILE_INTERVAL_SECONDS": "3600"}
PROGRESS = """subscription ($id: ID!) { analysisProgress(analysisId: $id) {
  status stage progress message analysis { id status } } }"""
ANALYZE = "mutation ($i: AnalyzeWasteInput!) { analyzeWaste(input: $i) { id } }"
# The stage each round's events announce: told apart by their progress value.
ROUNDS = {"500 events/s": "load", "1,000 events at once": "hash"}


@dataclass
class Subscriber:
    """One gateway WebSocket with one subscription; arrival times by progress value."""

    analysis_id: str
    socket: ClientConnection
    first: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: dict[int, float] = field(default_factory=dict)
    errors: list[object] = field(default_factory=list)
    reader: asyncio.Task[None] | None = None

    async def read(self) -> None:
        try:
            async for raw in self.socket:
                now = time.perf_counter()
                message = json.loads(raw)
                if message["type"] == "next":
                    payload = message["payload"]
                    if payload.get("errors"):
                        self.errors.append(payload["errors"])
                    else:
                        progress = payload["data"]["analysisProgress"]["progress"]
                        self.arrived.setdefault(progress, now)
                    self.first.set()
                elif message["type"] in ("error", "complete"):
                    self.errors.append(message)
                    self.first.set()
                    return
        except ConnectionClosed as closed:
            self.errors.append(f"closed: {closed}")
            self.first.set()


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


@contextmanager
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


def create_analyses(gateway: str, tokens: list[str]) -> list[tuple[str, str]]:
    """(token, analysis id) pairs: one upload per user, analysed many times over. Each
    analysis gets its own hint, as distinct analyses of one photo would."""
    uploads = [upload(gateway, token, jpeg(30_000 + n)) for n, token in enumerate(tokens)]

    def analyze(i: int) -> tuple[str, str]:
        user = i % len(tokens)
        variables = {"i": {"uploadId": uploads[user], "hint": f"생수병 {i}"}}
        body = graphql(gateway, ANALYZE, variables, token=tokens[user])
        return tokens[user], body["data"]["analyzeWaste"]["id"]

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(analyze, range(SUBSCRIBERS)))


# -- subscriptions -----------------------------------------------------------------------


async def open_subscriber(ws_url: str, token: str, analysis_id: str) -> Subscriber:
    socket = await connect(ws_url, subprotocols=["graphql-transport-ws"], max_queue=None)  # type: ignore[arg-type]
    init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
    await socket.send(json.dumps(init))
    ack = json.loads(await asyncio.wait_for(socket.recv(), 30))
    if ack["type"] != "connection_ack":
        raise RuntimeError(f"no connection_ack: {ack}")
    payload = {"query": PROGRESS, "variables": {"id": analysis_id}}
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
    subscriber = Subscriber(analysis_id, socket)
    subscriber.reader = asyncio.create_task(subscriber.read())
    await asyncio.wait_for(subscriber.first.wait(), 60)  # the stored state comes first
    return subscriber


async def open_all(ws_url: str, jobs: list[tuple[str, str]]) -> list[Subscriber]:
    gate = asyncio.Semaphore(OPEN_CONCURRENCY)

    async def one(token: str, analysis_id: str) -> Subscriber:
        async with gate:
            return await open_subscriber(ws_url, token, analysis_id)

    return await asyncio.gather(*(one(token, analysis_id) for token, analysis_id in jobs))


async def close_all(subscribers: list[Subscriber]) -> None:
    await asyncio.gather(*(s.socket.close() for s in subscribers), return_exceptions=True)
    for subscriber in subscribers:
        if subscriber.reader is not None:
            subscriber.reader.cancel()


# -- events --------------------------------------------------------------------------------


async def publish_progress(redis: Redis, analysis_id: str, stage: str) -> None:
    """One event, published exactly as the worker's pipeline publishes a stage it entered
    (`Pipeline._advance` → `waste.events.publish`). The one place to adapt when the event
    format changes."""
    event = ProgressEvent(analysis_id, "RUNNING", stage, STAGE_PROGRESS[stage])
    await publish(redis, event)


async def publish_round(
    redis: Redis, subscribers: list[Subscriber], stage: str, rate: float | None
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
    label: str
    latencies_ms: list[float]
    expected: int
    publish_seconds: float


async def run_round(
    redis: Redis, subscribers: list[Subscriber], label: str, stage: str
) -> RoundResult:
    rate = RATE if label.startswith("500") else None
    progress = STAGE_PROGRESS[stage]
    started = time.perf_counter()
    sent = await publish_round(redis, subscribers, stage, rate)
    publish_seconds = time.perf_counter() - started
    await wait_delivered(subscribers, progress)
    latencies = [
        (s.arrived[progress] - sent[s.analysis_id]) * 1000
        for s in subscribers
        if progress in s.arrived
    ]
    return RoundResult(label, latencies, len(subscribers), publish_seconds)


# -- the run -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Memory:
    gateway_kib: int
    waste_kib: int


def memory(pids: dict[str, int]) -> Memory:
    return Memory(rss_kib(pids["gateway"]), rss_kib(pids["waste"]))


async def measure(
    ws_url: str, redis_url: str, jobs: list[tuple[str, str]], pids: dict[str, int]
) -> tuple[list[RoundResult], Memory, Memory, int]:
    before = memory(pids)
    started = time.perf_counter()
    subscribers = await open_all(ws_url, jobs)
    print(f"opened {len(subscribers)} subscriptions in {time.perf_counter() - started:.1f} s")
    await asyncio.sleep(2)  # let both processes settle before reading their memory
    after = memory(pids)
    redis = Redis.from_url(redis_url)
    try:
        results = [
            await run_round(redis, subscribers, label, stage) for label, stage in ROUNDS.items()
        ]
    finally:
        await redis.aclose()
        errors = sum(1 for s in subscribers if s.errors)
        await close_all(subscribers)
    return results, before, after, errors


def report(results: list[RoundResult], before: Memory, after: Memory, errors: int) -> None:
    print("\n| load | delivered | p50 | p99 | max | publishing took |")
    print("|---|---|---|---|---|---|")
    for r in results:
        if r.latencies_ms:
            p50, p99 = percentile(r.latencies_ms, 0.5), percentile(r.latencies_ms, 0.99)
            figures = f"{p50:.1f} ms | {p99:.1f} ms | {max(r.latencies_ms):.1f} ms"
        else:
            figures = "– | – | –"
        print(
            f"| {r.label} | {len(r.latencies_ms)}/{r.expected} | {figures} | "
            f"{r.publish_seconds * 1000:.0f} ms |"
        )
    n = results[0].expected
    gateway = (after.gateway_kib - before.gateway_kib) / n
    waste = (after.waste_kib - before.waste_kib) / n
    print(
        f"\nmemory per subscription (RSS after opening − before, ÷ {n}): gateway {gateway:+.1f} "
        f"KiB, waste {waste:+.1f} KiB, together {gateway + waste:+.1f} KiB "
        f"(gateway {before.gateway_kib // 1024} → {after.gateway_kib // 1024} MiB, "
        f"waste {before.waste_kib // 1024} → {after.waste_kib // 1024} MiB)"
    )
    print(f"subscriptions that saw an error or were closed: {errors}")


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
            jobs = create_analyses(gateway, tokens)
            print(
                f"{len(jobs)} analyses for {USERS} users created through the gateway in "
                f"{time.perf_counter() - started:.1f} s"
            )
            pids = {name: processes[name].popen.pid for name in ("gateway", "waste")}
            ws_url = gateway.replace("http://", "ws://", 1)
            outcome = asyncio.run(measure(ws_url, stack.servers.redis_url, jobs, pids))
        finally:
            os.killpg(worker, signal.SIGCONT)
        report(*outcome)


if __name__ == "__main__":
    main()
