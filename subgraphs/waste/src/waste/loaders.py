"""Per-request DataLoaders: one SQL statement per batch, results in key order."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from bunri_shared.loaders import in_key_order
from waste import service
from waste.models import Analysis


@dataclass
class Loaders:
    sessions: async_sessionmaker[AsyncSession]
    analysis: DataLoader[uuid.UUID, Analysis | None] = field(init=False)

    def __post_init__(self) -> None:
        self.analysis = DataLoader(self._load_analyses)

    async def _load_analyses(self, ids: Sequence[uuid.UUID]) -> list[Analysis | None]:
        async with self.sessions() as session:
            rows = await service.analyses_by_ids(session=session, ids=ids)
        return in_key_order(ids, rows, key=lambda row: row.id)
