"""Per-request DataLoaders: one SQL statement per batch, results in key order."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from strawberry.dataloader import DataLoader

from auth import service
from auth.models import Account
from bunri_shared.loaders import in_key_order


@dataclass
class Loaders:
    sessions: async_sessionmaker[AsyncSession]
    account: DataLoader[uuid.UUID, Account | None] = field(init=False)

    def __post_init__(self) -> None:
        self.account = DataLoader(self._load_accounts)

    async def _load_accounts(self, ids: Sequence[uuid.UUID]) -> list[Account | None]:
        async with self.sessions() as session:
            rows = await service.accounts_by_id(session=session, ids=ids)
        return in_key_order(ids, rows, key=lambda row: row.id)
