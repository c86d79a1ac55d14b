"""Process-wide resources of a subgraph: database engine, sessions, Redis."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from dramatiq.brokers.redis import RedisBroker
from redis import Redis as SyncRedis
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bunri_shared.auth.verifier import TokenVerifier
from bunri_shared.db import create_engine, session_factory
from bunri_shared.messaging import sending_broker
from bunri_shared.settings import ServiceSettings

# Redis away: a command fails within seconds (SERVICE_UNAVAILABLE) instead of hanging;
# redis-py retries a dropped connection itself, so a restart costs no request.
REDIS_TIMEOUTS = {"socket_connect_timeout": 2, "socket_timeout": 5}
# /ready answers within this even when a dependency hangs.
CHECK_TIMEOUT_SECONDS = 3


@dataclass(frozen=True, slots=True)
class Resources:
    settings: ServiceSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    redis: Redis
    verifier: TokenVerifier
    # Sends messages only; never the process-global broker (workers declare theirs).
    broker: RedisBroker

    @classmethod
    def open(cls, settings: ServiceSettings) -> Resources:
        engine = create_engine(
            settings.database_url,
            schema=settings.db_schema,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
        )
        return cls(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            redis=Redis.from_url(settings.redis_url, decode_responses=True, **REDIS_TIMEOUTS),
            verifier=TokenVerifier(
                jwks_url=settings.jwks_url,
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
                refresh_cooldown=settings.jwks_refresh_cooldown_seconds,
                ttl=settings.jwks_ttl_seconds,
                max_stale=settings.jwks_max_stale_seconds,
            ),
            broker=sending_broker(SyncRedis.from_url(settings.redis_url, **REDIS_TIMEOUTS)),
        )

    async def close(self) -> None:
        self.broker.close()
        await self.redis.aclose()
        await self.engine.dispose()

    async def check(self) -> dict[str, str]:
        """Readiness: each dependency answers, or says why not."""
        status: dict[str, str] = {}
        try:
            await asyncio.wait_for(self._ping_postgres(), CHECK_TIMEOUT_SECONDS)
            status["postgres"] = "ok"
        except Exception as exc:
            status["postgres"] = f"error: {type(exc).__name__}"
        try:
            await asyncio.wait_for(self.redis.ping(), CHECK_TIMEOUT_SECONDS)
            status["redis"] = "ok"
        except Exception as exc:
            status["redis"] = f"error: {type(exc).__name__}"
        return status

    async def _ping_postgres(self) -> None:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
