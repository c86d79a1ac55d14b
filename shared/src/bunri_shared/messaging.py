"""Dramatiq on Redis, and the messages domains send each other.

A domain sends a message by queue and actor NAME, so no subgraph imports another's code;
the receiving subgraph's `tasks.py` declares the actor under the same names.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import AsyncIO

from bunri_shared.telemetry.messages import TraceContext
from bunri_shared.telemetry.worker import worker_metrics
from bunri_shared.worker_health import HeartbeatFile


@dataclass(frozen=True, slots=True)
class Route:
    queue: str
    actor: str


# users: create a profile for a new account (idempotent by user id).
CREATE_PROFILE = Route("users", "create_profile")
# users: one award in the points ledger (idempotent by source and source id).
AWARD_POINTS = Route("users", "award_points")
# waste: run the analysis pipeline for one analysis id.
ANALYZE_WASTE = Route("waste", "analyze_waste")
ROUTES = (CREATE_PROFILE, AWARD_POINTS, ANALYZE_WASTE)


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


def sending_broker(redis_url: str) -> RedisBroker:
    """A broker that only sends (API processes): messages carry trace context and request id."""
    broker = RedisBroker(url=redis_url)
    broker.add_middleware(TraceContext())
    return broker


def message(route: Route, **kwargs: Any) -> dramatiq.Message[Any]:
    return dramatiq.Message(
        queue_name=route.queue, actor_name=route.actor, args=(), kwargs=kwargs, options={}
    )


async def send(broker: dramatiq.Broker, route: Route, **kwargs: Any) -> str:
    """Enqueue (redis-py's sync client, off the event loop); returns the message id."""
    sent = await asyncio.to_thread(broker.enqueue, message(route, **kwargs))
    return sent.message_id


def pending_profile_key(user_id: str) -> str:
    """Redis key where sign-up leaves the new profile's data until users has created it,
    so a profile can be made on first read even while the users worker is down."""
    return f"users:pending-profile:{user_id}"
