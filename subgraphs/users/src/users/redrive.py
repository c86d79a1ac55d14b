"""Dead-lettered points awards go back on the queue, so no earned award is ever dropped.

An award dies (Dramatiq's dead-letter set `<namespace>:users.XQ`) when it kept failing
past its retries, e.g. the profile did not exist yet or Postgres was away for long. Awards
are idempotent in the ledger, so sending one again is always safe; each is re-driven a
bounded number of times (a malformed one would never land; the dead-letter set keeps the
message as first sent, so its retries cannot tell the two apart). Runs in every users
API replica, one at a time (a Redis lock).
"""

from __future__ import annotations

import asyncio
import logging

from dramatiq import Message
from dramatiq.brokers.redis import RedisBroker

from bunri_shared.resources import Resources
from users.config import Settings
from users.contract import AWARD_POINTS

log = logging.getLogger(__name__)
LOCK = "users:redrive"
# Options a retry left on the message: a re-driven one starts its retries afresh.
_RETRY_STATE = ("retries", "traceback", "requeue_timestamp", "eta", "redis_message_id")


def redrive_awards(broker: RedisBroker, *, max_redrives: int) -> int:
    """Move dead-lettered AWARD_POINTS messages back to their queue; how many moved."""
    client = broker.client
    dead = f"{broker.namespace}:{AWARD_POINTS.queue}.XQ"
    moved = 0
    for message_id in client.zrange(dead, 0, -1):
        data = client.hget(f"{dead}.msgs", message_id)
        if data is None:
            continue
        message = Message.decode(data)
        redriven = int(message.options.get("redriven", 0))
        if message.actor_name != AWARD_POINTS.actor or redriven >= max_redrives:
            continue
        options = {k: v for k, v in message.options.items() if k not in _RETRY_STATE}
        options["redriven"] = redriven + 1
        # Sent first, removed after: a crash in between sends it twice, which the
        # ledger's (source, source_id) key absorbs; the other order could lose it.
        broker.enqueue(
            Message(
                queue_name=AWARD_POINTS.queue,
                actor_name=message.actor_name,
                args=message.args,
                kwargs=message.kwargs,
                options=options,  # copy() would merge, keeping the spent retries
                message_id=message.message_id,
                message_timestamp=message.message_timestamp,
            )
        )
        client.zrem(dead, message_id)
        client.hdel(f"{dead}.msgs", message_id)
        moved += 1
        log.warning("re-drove dead-lettered points award %s", message.message_id)
    return moved


async def run_forever(resources: Resources, settings: Settings) -> None:
    while True:
        await asyncio.sleep(settings.redrive_interval_seconds)
        try:
            ttl = max(int(settings.redrive_interval_seconds * 1000), 100)
            if await resources.redis.set(LOCK, "1", nx=True, px=ttl):
                await asyncio.to_thread(
                    redrive_awards, resources.broker, max_redrives=settings.max_redrives
                )
        except Exception as error:  # Redis away: the next round tries again
            log.warning("re-driving dead-lettered awards failed: %s", type(error).__name__)
