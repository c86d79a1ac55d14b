"""GraphQL types of the auth subgraph."""

from __future__ import annotations

from datetime import datetime
from typing import Self

import strawberry

from auth.context import Context
from auth.models import Account as AccountRow

Info = strawberry.Info[Context, None]


@strawberry.federation.type(keys=["id"], description="A login identity.")
class Account:
    id: strawberry.ID
    created_at: datetime

    @classmethod
    def from_row(cls, row: AccountRow) -> Self:
        return cls(id=strawberry.ID(str(row.id)), created_at=row.created_at)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        row = await info.context.loaders.account.load(id)
        return cls.from_row(row) if row else None
