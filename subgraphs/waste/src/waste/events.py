"""Progress events: persisted in Postgres first, then fanned out through Redis pub/sub.

Every waste process keeps ONE pub/sub connection and hands events to in-process queues,
one per open subscription: any replica can serve any subscriber. An event carries the
analysis's state as written (`AnalysisState`), so subscribers build their payload from it
and a burst of events costs no database reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from waste.state import AnalysisState
from waste.telemetry import observe_delivery

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    analysis: AnalysisState
    # Set by `publish`: receivers measure the delivery delay (bunri_progress_event_delay).
    published_at: float | None = None

    @property
    def analysis_id(self) -> str:
        return str(self.analysis.id)

    def encode(self) -> str:
        return json.dumps({"analysis": self.analysis.to_json(), "published_at": self.published_at})

    @classmethod
    def decode(cls, raw: str | bytes) -> ProgressEvent:
        data = json.loads(raw)
        return cls(AnalysisState.from_json(data["analysis"]), data.get("published_at"))


def channel(analysis_id: str) -> str:
    return f"waste:analysis:{analysis_id}"


async def publish(redis: Redis, state: AnalysisState) -> None:
    event = ProgressEvent(state, published_at=time.time())
    await redis.publish(channel(event.analysis_id), event.encode())


class ProgressHub:
    """One Redis subscription connection for the whole process."""

    def __init__(self, redis: Redis, *, queue_size: int = 64) -> None:
        self._pubsub: PubSub = redis.pubsub(ignore_subscribe_messages=True)
        self._queues: dict[str, set[asyncio.Queue[ProgressEvent]]] = {}
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None
        self._queue_size = queue_size

    @contextlib.asynccontextmanager
    async def listen(self, analysis_id: str) -> AsyncIterator[asyncio.Queue[ProgressEvent]]:
        """Subscribed when this is entered, so events published afterwards are not missed."""
        name = channel(analysis_id)
        queue: asyncio.Queue[ProgressEvent] = asyncio.Queue(self._queue_size)
        async with self._lock:
            listeners = self._queues.setdefault(name, set())
            if not listeners:
                await self._pubsub.subscribe(name)
            listeners.add(queue)
            if self._reader is None or self._reader.done():
                self._reader = asyncio.create_task(self._read(), name="progress-hub")
        try:
            yield queue
        finally:
            async with self._lock:
                listeners = self._queues.get(name, set())
                listeners.discard(queue)
                if not listeners:
                    self._queues.pop(name, None)
                    await self._pubsub.unsubscribe(name)

    async def _read(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except Exception:  # a dropped connection: redis-py reconnects on the next call
                log.warning("progress hub: pub/sub read failed; retrying", exc_info=True)
                await asyncio.sleep(0.5)
                continue
            if message is None or message.get("type") != "message":
                continue
            name = message["channel"]
            name = name.decode() if isinstance(name, bytes) else name
            try:
                event = ProgressEvent.decode(message["data"])
            except (ValueError, KeyError, TypeError):
                # e.g. an older replica's format mid-deploy: subscribers re-read on their own.
                log.warning("progress hub: unreadable event on %s skipped", name)
                continue
            observe_delivery(event.published_at)
            for queue in list(self._queues.get(name, ())):
                if queue.full():  # a stuck consumer loses its oldest event, not everyone's
                    queue.get_nowait()
                queue.put_nowait(event)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
        await self._pubsub.aclose()
