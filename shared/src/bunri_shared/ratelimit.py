"""Fixed-window rate limits in Redis, counted atomically BEFORE the guarded work.

Counting first (INCR, then compare) means a burst of parallel attempts cannot all slip
through while the first ones are still being checked.
"""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from bunri_shared.errors import BunriError, ErrorCode


@dataclass(frozen=True, slots=True)
class Limit:
    key: str
    allowed: int
    window_seconds: int


def rate_limited(retry_after: int) -> BunriError:
    return BunriError(
        ErrorCode.RATE_LIMITED,
        f"Too many attempts. Try again in {retry_after} seconds.",
        retryAfter=retry_after,
    )


async def take(redis: Redis, limits: list[Limit]) -> None:
    """Count one attempt against every limit; RATE_LIMITED (with retryAfter) if any is
    over. The window starts at the first attempt and does not slide."""
    async with redis.pipeline(transaction=True) as pipe:
        for limit in limits:
            pipe.incr(limit.key)
            pipe.expire(limit.key, limit.window_seconds, nx=True)
            pipe.ttl(limit.key)
        replies = await pipe.execute()
    for index, limit in enumerate(limits):
        count, ttl = replies[3 * index], replies[3 * index + 2]
        if count > limit.allowed:
            raise rate_limited(max(int(ttl), 1))


async def give_back(redis: Redis, limits: list[Limit]) -> None:
    """The attempt turned out fine: it does not count."""
    async with redis.pipeline(transaction=True) as pipe:
        for limit in limits:
            pipe.decr(limit.key)
        await pipe.execute()


async def reset(redis: Redis, limit: Limit) -> None:
    await redis.delete(limit.key)
