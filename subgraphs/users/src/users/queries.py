from __future__ import annotations

import strawberry

from users.types import Info, User


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in user; null without a valid token.")
    async def me(self, info: Info) -> User | None:
        return None
