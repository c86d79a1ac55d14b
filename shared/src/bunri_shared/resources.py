"""Process-wide resources of a subgraph: database engine, sessions, Redis."""

from __future__ import annotations

from dataclasses import dataclass

from dramatiq.brokers.redis import RedisBroker
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bunri_shared.auth.verifier import TokenVerifier
from bunri_shared.db import create_engine, session_factory
from bunri_shared.messaging import sending_broker
from bunri_shared.settings import ServiceSettings


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
            redis=Redis.from_url(settings.redis_url, decode_responses=True),
            verifier=TokenVerifier(
                jwks_url=settings.jwks_url,
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
                refresh_cooldown=settings.jwks_refresh_cooldown_seconds,
            ),
            broker=sending_broker(settings.redis_url),
        )

    async def close(self) -> None:
        self.broker.close()
        await self.redis.aclose()
        await self.engine.dispose()

    async def check(self) -> dict[str, str]:
        """Readiness: each dependency answers, or says why not."""
        status: dict[str, str] = {}
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            status["postgres"] = "ok"
        except Exception as exc:
            status["postgres"] = f"error: {type(exc).__name__}"
        try:
            await self.redis.ping()
            status["redis"] = "ok"
        except Exception as exc:
            status["redis"] = f"error: {type(exc).__name__}"
        return status
