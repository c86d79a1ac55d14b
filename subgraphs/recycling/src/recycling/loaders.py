"""Per-request DataLoaders: one SQL statement per batch, results in key order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from bunri_shared.loaders import grouped_in_key_order, in_key_order
from recycling import service
from recycling.models import Category


@dataclass
class Loaders:
    sessions: async_sessionmaker[AsyncSession]
    category: DataLoader[str, Category | None] = field(init=False)
    children: DataLoader[str, list[Category]] = field(init=False)

    def __post_init__(self) -> None:
        self.category = DataLoader(self._load_categories)
        self.children = DataLoader(self._load_children)

    async def _load_categories(self, codes: Sequence[str]) -> list[Category | None]:
        async with self.sessions() as session:
            rows = await service.categories_by_code(session=session, codes=codes)
        return in_key_order(codes, rows, key=lambda row: row.code)

    async def _load_children(self, codes: Sequence[str]) -> list[list[Category]]:
        async with self.sessions() as session:
            rows = await service.categories_by_parent(session=session, parent_codes=codes)
        return grouped_in_key_order(codes, rows, key=lambda row: row.parent_code)
