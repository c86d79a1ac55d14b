"""A counter of a subgraph's reference data, so caches know when it changed.

Reference data (the taxonomy, drop-off points) changes only when a seeder or importer runs.
Each of those bumps its schema's one-row `data_version` table in the transaction that
changes the data, so the version changes exactly when the data does (at commit).
Readers poll it (one indexed row, once a second): in-process caches drop what they hold,
and `GET /data-version` tells the gateway to stop serving cached responses.
Polling, not LISTEN/NOTIFY: a missed notification would leave a cache stale forever, a
missed poll only delays the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from fastapi import APIRouter, Request
from sqlalchemy import BigInteger, Column, MetaData, SmallInteger, Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from bunri_shared.db import HOUSEKEEPING

log = logging.getLogger(__name__)

DATA_VERSION_PATH = "/data-version"


def data_version_table(metadata: MetaData) -> Table:
    return Table(
        "data_version",
        metadata,
        Column("id", SmallInteger, primary_key=True),
        Column("version", BigInteger, nullable=False),
    )


def bump_data_version(session: Session, table: Table) -> None:
    """Call inside the transaction that changes the reference data."""
    session.execute(update(table).where(table.c.id == 1).values(version=table.c.version + 1))


class DataVersionWatcher:
    """The last version read; caches compare it with the version they were built at."""

    def __init__(self, table: Table, *, interval_seconds: float = 1.0) -> None:
        self.table = table
        self.sessions: async_sessionmaker[AsyncSession] | None = None
        self.interval_seconds = interval_seconds
        self.version: int | None = None
        self._task: asyncio.Task[None] | None = None

    async def read(self) -> int | None:
        if self.sessions is None:
            raise RuntimeError("start() the watcher first")
        async with self.sessions() as session:
            self.version = await session.scalar(
                select(self.table.c.version), execution_options={HOUSEKEEPING: True}
            )
        return self.version

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.interval_seconds)
            try:
                await self.read()
            except Exception as exc:
                # Unknown while the database is away: caches built before stay (the data
                # cannot change without it) and the gateway keeps its entries.
                log.warning("data version unreadable: %s", type(exc).__name__)

    async def start(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        """Reads the version once (unknown if the database is away: the poll retries),
        then polls it."""
        self.sessions = sessions
        with contextlib.suppress(Exception):
            await self.read()
        self._task = asyncio.create_task(self._poll(), name="data-version-poll")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def data_version_router() -> APIRouter:
    """`GET /data-version`: what the gateway's response cache keys on (gateway secret
    required, like every path but the probes)."""
    router = APIRouter()

    @router.get(DATA_VERSION_PATH, include_in_schema=False)
    async def data_version(request: Request) -> dict[str, int | None]:
        return {"version": request.app.state.data_version.version}

    return router
