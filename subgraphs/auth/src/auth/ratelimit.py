"""Brute-force protection: failure counters in Redis, per account and per address."""

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


async def check(redis: Redis, limits: list[Limit]) -> None:
    """RATE_LIMITED (with retryAfter seconds) if any counter is used up."""
    for limit in limits:
        count = await redis.get(limit.key)
        if count is not None and int(count) >= limit.allowed:
            ttl = await redis.ttl(limit.key)
            raise rate_limited(max(ttl, 1))


async def count(redis: Redis, limits: list[Limit]) -> None:
    async with redis.pipeline(transaction=True) as pipe:
        for limit in limits:
            # The window starts at the first failure and does not slide.
            pipe.incr(limit.key)
            pipe.expire(limit.key, limit.window_seconds, nx=True)
        await pipe.execute()


async def reset(redis: Redis, limit: Limit) -> None:
    await redis.delete(limit.key)
