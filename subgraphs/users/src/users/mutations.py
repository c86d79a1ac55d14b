from __future__ import annotations

from typing import Annotated

import strawberry

from bunri_shared.auth.permissions import IsAuthenticated, require_principal
from users import service, validation
from users.types import Info, UpdateProfileInput, User


@strawberry.type(description="The entry points for changing data.")
class Mutation:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Change the signed-in user's profile and settings; returns the result.",
    )
    async def update_profile(
        self,
        info: Info,
        input: Annotated[
            UpdateProfileInput,
            strawberry.argument(description="What to change; null or absent fields stay."),
        ],
    ) -> User:
        principal = require_principal(info.context)
        changes = validation.profile_changes(input)  # all checks pass before anything is written
        async with info.context.sessions() as session, session.begin():
            profile = await service.profile_for_update(session=session, user_id=principal.user_id)
            if profile is None:
                profile = await service.provision_profile(
                    session=session, user_id=principal.user_id
                )
            profile = await service.update_profile(
                session=session, profile=profile, changes=changes
            )
        return User.from_row(profile)
