"""Per-request DataLoaders: one SQL statement per batch, results in key order."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from bunri_shared.loaders import in_key_order
from users import service
from users.models import Profile


@dataclass
class Loaders:
    sessions: async_sessionmaker[AsyncSession]
    profile: DataLoader[uuid.UUID, Profile | None] = field(init=False)
    points: DataLoader[uuid.UUID, int] = field(init=False)

    def __post_init__(self) -> None:
        self.profile = DataLoader(self._load_profiles)
        self.points = DataLoader(self._load_points)

    async def _load_profiles(self, ids: Sequence[uuid.UUID]) -> list[Profile | None]:
        async with self.sessions() as session:
            rows = await service.profiles_by_id(session=session, ids=ids)
        return in_key_order(ids, rows, key=lambda row: row.id)

    async def _load_points(self, ids: Sequence[uuid.UUID]) -> list[int]:
        async with self.sessions() as session:
            totals = await service.points_by_user(session=session, ids=ids)
        return [totals.get(key, 0) for key in ids]
