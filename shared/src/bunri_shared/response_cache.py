"""Answers of a reference-data subgraph, kept per data version (ASGI middleware).

recycling and locations answer the same question the same way for every caller until a
seeder or importer bumps their data version (bunri_shared.data_version), and nearly all
their traffic is the gateway asking the same few questions. An answer is kept, keyed by
the exact request body, for the version it was computed at (and at most `max_age`
seconds, for fields that follow the clock): a repeat skips GraphQL altogether. Only
successful answers without errors are kept, only for request bodies up to 64 KiB and
answers up to 256 KiB, and at most `max_entries` of them. This is what an Apollo Router
deployment gets without GraphOS's entity cache; the Hive Gateway also caches whole
client answers (router/cache.ts).
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass

from prometheus_client import Counter
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bunri_shared.data_version import DataVersionWatcher

MAX_BODY_BYTES = 64 * 1024
# Larger answers are served but not kept: 2,000 entries stay within ~500 MiB at worst.
MAX_ANSWER_BYTES = 256 * 1024

RESPONSE_CACHE = Counter(
    "bunri_response_cache_requests_total",
    "GraphQL requests a reference-data subgraph answered from its response cache (hit) or not.",
    ["service", "outcome"],
)


@dataclass(frozen=True, slots=True)
class _Answer:
    version: int
    expires_at: float
    start: Message
    body: bytes


class ReferenceResponseCache:
    def __init__(
        self,
        app: ASGIApp,
        *,
        service: str,
        watcher: DataVersionWatcher,
        path: str = "/graphql",
        max_age_seconds: float = 3600.0,
        max_entries: int = 2000,
    ) -> None:
        self.app = app
        self.watcher = watcher
        self.path = path
        self.max_age_seconds = max_age_seconds
        self.max_entries = max_entries
        self._answers: OrderedDict[bytes, _Answer] = OrderedDict()
        self._hits = RESPONSE_CACHE.labels(service=service, outcome="hit")
        self._misses = RESPONSE_CACHE.labels(service=service, outcome="miss")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"] != self.path
            or self.watcher.version is None
        ):
            await self.app(scope, receive, send)
            return
        body, complete = await _read_body(receive)
        if not complete:  # too large to keep: pass it on untouched
            await self.app(scope, _replay(body, receive, more_body=True), send)
            return
        key = hashlib.sha256(body).digest()
        version = self.watcher.version
        answer = self._answers.get(key)
        if answer is not None and answer.version == version and answer.expires_at > time.time():
            self._answers.move_to_end(key)
            self._hits.inc()
            await send(answer.start)
            await send({"type": "http.response.body", "body": answer.body})
            return
        self._misses.inc()
        await self._compute(scope, body, key, version, receive, send)

    async def _compute(
        self, scope: Scope, body: bytes, key: bytes, version: int, receive: Receive, send: Send
    ) -> None:
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, _replay(body, receive, more_body=False), capture)
        answer = b"".join(chunks)
        if (
            start is not None
            and start["status"] == 200
            and Headers(raw=start["headers"]).get("content-type", "").startswith("application/json")
            and len(answer) <= MAX_ANSWER_BYTES
            and b'"errors"' not in answer
        ):
            self._answers[key] = _Answer(version, time.time() + self.max_age_seconds, start, answer)
            while len(self._answers) > self.max_entries:
                self._answers.popitem(last=False)


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The request body, and whether it was read whole (within MAX_BODY_BYTES)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True
        if size > MAX_BODY_BYTES:
            return b"".join(chunks), False


def _replay(body: bytes, receive: Receive, *, more_body: bool) -> Receive:
    """The body already read, then whatever the client still sends."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more_body}
        return await receive()

    return replay
