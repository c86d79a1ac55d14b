"""Per-request DataLoaders: one SQL statement per batch, results in key order."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from bunri_shared.loaders import in_key_order
from locations import service
from locations.models import DropOffPoint


@dataclass(frozen=True, slots=True)
class CategoryNearbyKey:
    category_code: str
    circle: service.Circle
    limit: int


@dataclass
class Loaders:
    sessions: async_sessionmaker[AsyncSession]
    point: DataLoader[uuid.UUID, DropOffPoint | None] = field(init=False)
    category_nearby: DataLoader[CategoryNearbyKey, list[service.Nearby]] = field(init=False)

    def __post_init__(self) -> None:
        self.point = DataLoader(self._load_points)
        self.category_nearby = DataLoader(self._load_category_nearby)

    async def _load_points(self, ids: Sequence[uuid.UUID]) -> list[DropOffPoint | None]:
        async with self.sessions() as session:
            rows = await service.points_by_id(session=session, ids=ids)
        return in_key_order(ids, rows, key=lambda row: row.id)

    async def _load_category_nearby(
        self, keys: Sequence[CategoryNearbyKey]
    ) -> list[list[service.Nearby]]:
        # Categories asking the same question (centre, radius, limit) share one statement.
        groups: dict[tuple[service.Circle, int], list[str]] = defaultdict(list)
        for key in keys:
            groups[(key.circle, key.limit)].append(key.category_code)
        answers: dict[CategoryNearbyKey, list[service.Nearby]] = {}
        async with self.sessions() as session:
            for (circle, limit), codes in groups.items():
                found = await service.nearby_for_categories(
                    session=session, circle=circle, limit=limit, category_codes=codes
                )
                for code, nearby in found.items():
                    answers[CategoryNearbyKey(code, circle, limit)] = nearby
        return [answers[key] for key in keys]
