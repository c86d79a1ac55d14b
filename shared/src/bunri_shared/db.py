"""Database access for one subgraph: its own role, its own schema, nothing else."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import MetaData, event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

from bunri_shared.metrics import DB_STATEMENTS
from bunri_shared.telemetry.pool import metered_pool, watch_pool
from bunri_shared.telemetry.tracing import instrument_engine

# Execution option of statements no request asked for (polls): left out of the count, so
# a request's statements can be read off the counter.
HOUSEKEEPING = "bunri_housekeeping"

# Connections idle longer than this are pinged before use (ping_when_idle).
IDLE_PING_SECONDS = 5.0
_CHECKED_IN_AT = "bunri_checked_in_at"

# Shared extension functions (pg_trgm, cube, earthdistance) live in this schema.
EXTENSIONS_SCHEMA = "extensions"

# Stable constraint names make migrations reviewable and revertible.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def schema_metadata(schema: str) -> MetaData:
    return MetaData(schema=schema, naming_convention=NAMING_CONVENTION)


def with_driver(url: str, driver: str) -> URL:
    """`postgresql://…` (what operators write) → the same URL for a given driver."""
    parsed = make_url(url)
    return parsed.set(drivername=f"postgresql+{driver}")


def search_path(schema: str) -> str:
    return f"{schema},{EXTENSIONS_SCHEMA}"


def create_engine(
    database_url: str, *, schema: str, pool_size: int = 10, max_overflow: int = 10
) -> AsyncEngine:
    engine = create_async_engine(
        with_driver(database_url, "asyncpg"),
        pool_size=pool_size,
        max_overflow=max_overflow,
        # Pinged before use only after sitting idle (see ping_when_idle), not on every
        # checkout: a round trip per request was a tenth of a search's CPU.
        pool_pre_ping=False,
        poolclass=metered_pool(schema),
        # Postgres away: fail within seconds (SERVICE_UNAVAILABLE), not after the defaults'
        # minute, so requests and /ready do not pile up.
        pool_timeout=10,
        connect_args={
            "server_settings": {"search_path": search_path(schema), "application_name": schema},
            "timeout": 5,
        },
    )
    ping_when_idle(engine.sync_engine)
    count_statements(engine.sync_engine, service=schema)
    watch_pool(engine.sync_engine, service=schema, pool_size=pool_size, max_overflow=max_overflow)
    instrument_engine(engine.sync_engine)
    return engine


def ping_when_idle(engine: Engine, *, idle_seconds: float = IDLE_PING_SECONDS) -> None:
    """A connection idle for a while may have died with the server (restart, failover):
    pinged at checkout, and replaced if dead, instead of failing the request that drew it.
    One busy a moment ago is not: if the server died since, the first statement fails
    (SERVICE_UNAVAILABLE, retryable) and SQLAlchemy then discards every older connection."""

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        if time.monotonic() - record.info.get(_CHECKED_IN_AT, 0.0) < idle_seconds:
            return
        try:
            dbapi_connection.ping()
        except Exception as exc:
            raise DisconnectionError() from exc  # the pool connects anew and retries


def count_statements(engine: Engine, *, service: str) -> None:
    """Count every SQL statement sent, so batching is observable in `/metrics`."""
    counter = DB_STATEMENTS.labels(service=service)

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*args: Any) -> None:
        context = args[4]
        if context is None or not context.execution_options.get(HOUSEKEEPING):
            counter.inc()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
