from __future__ import annotations

import uuid
from functools import cached_property

from bunri_shared.context import RequestContext
from users import profiles
from users.loaders import Loaders
from users.models import Profile


class Context(RequestContext):
    @cached_property
    def loaders(self) -> Loaders:
        return Loaders(self.sessions)

    async def provision_profile(
        self, user_id: uuid.UUID, *, is_self: bool | None = None
    ) -> Profile | None:
        if is_self is None:
            is_self = self.principal is not None and self.principal.user_id == user_id
        async with self.sessions() as session, session.begin():
            profile = await profiles.provision(
                session=session, resources=self.resources, user_id=user_id, is_self=is_self
            )
        if profile is not None:
            self.loaders.profile.prime(str(user_id), profile)
        return profile
