"""Dramatiq on Redis: how domains send each other messages (the mechanism, no names).

A domain sends by queue and actor NAME, so no subgraph imports another's code. The names and
fields of the messages a domain consumes are its own: its `contract.py` publishes them, its
`tasks.py` declares the actors under them, and a sender keeps a copy in its `outgoing.py`
that tests/test_message_contracts.py checks against the consumer's contract.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import AsyncIO
from pydantic import BaseModel, ConfigDict
from redis import Redis as SyncRedis

from bunri_shared.telemetry.messages import TraceContext
from bunri_shared.telemetry.worker import worker_metrics
from bunri_shared.worker_health import HeartbeatFile


class Payload(BaseModel):
    """A message's fields. The sender validates what it sends and the consumer what it
    receives (a ValidationError is a ValueError: actors list it in `throws`, no retry)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoFields(Payload):
    """A message that carries nothing (e.g. "run the retention once")."""


@dataclass(frozen=True, slots=True)
class Route:
    queue: str
    actor: str
    payload: type[Payload] = NoFields


def setup_broker(redis_url: str) -> RedisBroker:
    """A worker process's broker: declare it before any actor (async actors allowed)."""
    broker = RedisBroker(url=redis_url)
    broker.add_middleware(AsyncIO())
    broker.add_middleware(HeartbeatFile())
    broker.add_middleware(TraceContext())
    for middleware in worker_metrics():
        broker.add_middleware(middleware)
    dramatiq.set_broker(broker)
    return broker


def sending_broker(client: SyncRedis) -> RedisBroker:
    """A broker that only sends (API processes): messages carry trace context and request id."""
    # Maintenance (requeueing dead workers' messages) is the workers' job: a sender's Redis
    # user may not even touch other queues.
    broker = RedisBroker(client=client, maintenance_chance=0)
    broker.add_middleware(TraceContext())
    return broker


def message(route: Route, **kwargs: Any) -> dramatiq.Message[Any]:
    """The message for `route`, its fields checked against the route's payload (JSON types)."""
    fields = route.payload.model_validate(kwargs).model_dump(mode="json")
    return dramatiq.Message(
        queue_name=route.queue, actor_name=route.actor, args=(), kwargs=fields, options={}
    )


async def send(broker: dramatiq.Broker, route: Route, **kwargs: Any) -> str:
    """Enqueue (redis-py's sync client, off the event loop); returns the message id."""
    sent = await asyncio.to_thread(broker.enqueue, message(route, **kwargs))
    return sent.message_id
