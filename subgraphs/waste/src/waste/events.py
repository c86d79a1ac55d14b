"""Progress events: persisted in Postgres first, then fanned out through Redis pub/sub.

Every waste process keeps ONE pub/sub connection and hands events to in-process queues,
one per open subscription: any replica can serve any subscriber. An event carries the
analysis's state as written (`AnalysisState`), so subscribers build their payload from it
and a burst of events costs no database reads.

Redis pub/sub may lose an event (a dropped connection, a replica that was restarting), so
the hub also rechecks Postgres, the source of truth: every RECHECK_SWEEP_SECONDS it takes
the subscriptions that have seen no event for RECHECK_SECONDS, reads all their analyses in
one batched read, and hands each subscription whose state changed the stored state as an
event. 1,000 idle subscriptions cost one read of 1,000 rows per interval, not 1,000 reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from bunri_shared.outages import is_outage
from waste.state import AnalysisState
from waste.telemetry import observe_delivery

log = logging.getLogger(__name__)

# With no event for this long, a subscription's analysis is read from Postgres: an event
# lost in Redis cannot leave a subscriber waiting forever.
RECHECK_SECONDS = 10.0
# How often the hub looks for subscriptions due a recheck: a lost event reaches its
# subscriber within about RECHECK_SECONDS + RECHECK_SWEEP_SECONDS.
RECHECK_SWEEP_SECONDS = 2.0

# Reads the stored states of many analyses at once (waste.service.analysis_states).
LoadStates = Callable[[Sequence[uuid.UUID]], Awaitable[dict[uuid.UUID, AnalysisState]]]


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    analysis: AnalysisState
    # Set by `publish`: receivers measure the delivery delay (bunri_progress_event_delay).
    published_at: float | None = None

    @property
    def analysis_id(self) -> str:
        return str(self.analysis.id)

    @property
    def shown(self) -> tuple[str, str, int]:
        """What a subscriber shows of the state: an event equal in this was seen already."""
        state = self.analysis
        return (state.status, state.stage, state.progress)

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


@dataclass(eq=False)
class Listener:
    """One open subscription's place in the hub: its queue, and when it last heard."""

    analysis_id: uuid.UUID
    queue: asyncio.Queue[ProgressEvent]
    # The state the subscriber last showed (see `ProgressEvent.shown`): a recheck that
    # finds the same wakes nobody.
    shown: tuple[str, str, int] | None = None
    heard_at: float = field(default_factory=time.monotonic)

    def deliver(self, event: ProgressEvent) -> None:
        if self.queue.full():  # a stuck consumer loses its oldest event, not everyone's
            self.queue.get_nowait()
        self.queue.put_nowait(event)
        self.heard_at = time.monotonic()


class ProgressHub:
    """One Redis subscription connection for the whole process, and one recheck task."""

    def __init__(self, redis: Redis, load_states: LoadStates, *, queue_size: int = 64) -> None:
        self._pubsub: PubSub = redis.pubsub(ignore_subscribe_messages=True)
        self._listeners: dict[str, set[Listener]] = {}  # by channel
        self._lock = asyncio.Lock()
        self._load_states = load_states
        self._tasks: list[asyncio.Task[None]] = []
        self._queue_size = queue_size

    @contextlib.asynccontextmanager
    async def listen(self, analysis_id: uuid.UUID) -> AsyncIterator[Listener]:
        """Subscribed when this is entered, so events published afterwards are not missed."""
        name = channel(str(analysis_id))
        listener = Listener(analysis_id, asyncio.Queue(self._queue_size))
        async with self._lock:
            listeners = self._listeners.setdefault(name, set())
            if not listeners:
                await self._pubsub.subscribe(name)
            listeners.add(listener)
            if not self._tasks or any(task.done() for task in self._tasks):
                self._start()
        try:
            yield listener
        finally:
            async with self._lock:
                listeners = self._listeners.get(name, set())
                listeners.discard(listener)
                if not listeners:
                    self._listeners.pop(name, None)
                    await self._pubsub.unsubscribe(name)

    def _start(self) -> None:
        for task in self._tasks:
            task.cancel()
        self._tasks = [
            asyncio.create_task(self._read(), name="progress-hub"),
            asyncio.create_task(self._recheck_forever(), name="progress-recheck"),
        ]

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
                # e.g. an older replica's format mid-deploy: the recheck reads it instead.
                log.warning("progress hub: unreadable event on %s skipped", name)
                continue
            observe_delivery(event.published_at)
            for listener in list(self._listeners.get(name, ())):
                listener.deliver(event)

    async def _recheck_forever(self) -> None:
        while True:
            await asyncio.sleep(RECHECK_SWEEP_SECONDS)
            try:
                await self.recheck()
            except Exception as error:  # the next sweep tries again
                if is_outage(error):  # one line per sweep, not a traceback
                    log.warning("progress hub: recheck skipped: %s", type(error).__name__)
                else:
                    log.exception("progress hub: recheck failed; will try again")

    async def recheck(self) -> None:
        """One batched read for every subscription that has heard nothing for
        RECHECK_SECONDS; each whose state changed gets the stored state as an event."""
        started = time.monotonic()
        due = [
            listener
            for listeners in self._listeners.values()
            for listener in listeners
            if started - listener.heard_at >= RECHECK_SECONDS
        ]
        if not due:
            return
        states = await self._load_states(list({listener.analysis_id for listener in due}))
        for listener in due:
            if listener.heard_at > started:
                continue  # an event came while we read: it is newer than what we read
            state = states.get(listener.analysis_id)
            if state is None or ProgressEvent(state).shown == listener.shown:
                listener.heard_at = time.monotonic()  # nothing new (or gone): due again later
            else:
                listener.deliver(ProgressEvent(state))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._pubsub.aclose()
