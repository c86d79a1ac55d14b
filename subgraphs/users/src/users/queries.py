from __future__ import annotations

import strawberry

from users.types import Info, User


@strawberry.type(description="The entry points for reading data.")
class Query:
    @strawberry.field(description="The signed-in user; null without a token.")
    async def me(self, info: Info) -> User | None:
        context = info.context
        if context.principal is None:
            if context.auth_error is not None:
                raise context.auth_error  # a token was sent but refused: say why
            return None
        return await User.resolve_reference(info, strawberry.ID(str(context.principal.user_id)))
