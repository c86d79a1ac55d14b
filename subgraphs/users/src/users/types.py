"""GraphQL types of the users subgraph."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Self

import strawberry

from bunri_shared.auth.permissions import require_owner
from bunri_shared.auth.principal import Principal
from bunri_shared.errors import BunriError
from bunri_shared.i18n import Language
from bunri_shared.ids import parse_uuid
from users import service
from users.context import Context
from users.models import Profile

Info = strawberry.Info[Context, None]


@strawberry.type(description="A user's own preferences.")
class UserSettings:
    language: Language = strawberry.field(
        description="The language the user reads; pass it as `language` to texts."
    )
    notifications_enabled: bool = strawberry.field(
        description="Whether the user wants notifications."
    )


@strawberry.federation.type(keys=["id"], description="A person using Bunri.")
class User:
    id: strawberry.ID = strawberry.field(description="The user's id (= their account's).")
    row: strawberry.Private[Profile]
    # The user a signed-in answer (AuthPayload) speaks to: they see this User as its owner
    # although the request carried no token yet. None: the request's own principal counts.
    signed_in_as: strawberry.Private[uuid.UUID | None] = None

    @classmethod
    def from_row(cls, row: Profile, *, signed_in_as: uuid.UUID | None = None) -> Self:
        return cls(id=strawberry.ID(str(row.id)), row=row, signed_in_as=signed_in_as)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        user_id = parse_uuid(id)
        if user_id is None:
            return None
        row = await info.context.loaders.profile.load(user_id)
        if row is not None:
            return cls.from_row(row)
        # Not made yet (the users worker may be down): the signed-in user still sees
        # themself, provisionally; others see no one. Nothing is written on a read.
        principal = info.context.principal
        if principal is not None and user_id == principal.user_id:
            return cls.from_row(service.provisional_profile(principal.user_id))
        return None

    def _is_self(self, info: Info) -> bool:
        if self.signed_in_as is not None:
            return self.signed_in_as == self.row.id
        principal = info.context.principal
        return principal is not None and principal.user_id == self.row.id

    @strawberry.field(description="The name shown to others.")
    def nickname(self) -> str:
        return self.row.nickname

    @strawberry.field(description="Visible to the user themself only; null for others.")
    def email(self, info: Info) -> str | None:
        return self.row.email if self._is_self(info) else None

    @strawberry.field(description="Picture URL (https), when set.")
    def avatar_url(self) -> str | None:
        return self.row.avatar_url

    @strawberry.field(description="Total of the points ledger.")
    async def points(self, info: Info) -> int:
        return await info.context.loaders.points.load(self.row.id)

    @strawberry.field(description="Visible to the user themself only (FORBIDDEN for others).")
    def settings(self, info: Info) -> UserSettings:
        if not self._is_self(info):
            require_owner(info.context, self.row.id)  # raises the right code
        return UserSettings(
            language=Language(self.row.language),
            notifications_enabled=self.row.notifications_enabled,
        )

    @strawberry.field(description="When the user signed up.")
    def created_at(self) -> datetime:
        return self.row.created_at


@strawberry.input(description="Profile changes; a null or absent field is left as it is.")
class UpdateProfileInput:
    nickname: str | None = strawberry.field(default=None, description="A new nickname.")
    avatar_url: str | None = strawberry.field(
        default=None, description="A new picture URL (https)."
    )
    language: Language | None = strawberry.field(
        default=None, description="The language the user reads."
    )
    notifications_enabled: bool | None = strawberry.field(
        default=None, description="Turn notifications on or off."
    )


@strawberry.federation.type(keys=["accessToken"])
class AuthPayload:
    """Made by the auth subgraph (signUp, logIn, refreshSession); its user is resolved here."""

    access_token: str
    principal: strawberry.Private[Principal | None]
    # From auth, in signUp's answer only (null otherwise): what the new profile will hold,
    # so that answer shows it even before the users worker has made the profile.
    sign_up_nickname: str | None = strawberry.federation.field(external=True, default=None)
    sign_up_email: str | None = strawberry.federation.field(external=True, default=None)

    @classmethod
    async def resolve_reference(cls, info: Info, **key: str | None) -> Self:
        token = key["accessToken"] or ""
        # The token was issued a moment ago by auth; verified like any bearer token.
        try:
            principal = await info.context.resources.verifier.verify(token)
        except BunriError:
            principal = None
        return cls(
            access_token=token,
            principal=principal,
            sign_up_nickname=key.get("signUpNickname"),
            sign_up_email=key.get("signUpEmail"),
        )

    @strawberry.federation.field(
        description="The signed-in user, seen as its owner. Null only if it cannot be read "
        "right now: the tokens are valid even then.",
        requires=["signUpNickname signUpEmail"],
    )
    async def user(self, info: Info) -> User | None:
        if self.principal is None:
            return None
        user_id = self.principal.user_id
        row = await info.context.loaders.profile.load(user_id)
        if row is None:  # not made yet: shown as sign-up asked for it, nothing written
            row = service.provisional_profile(
                user_id, nickname=self.sign_up_nickname, email=self.sign_up_email
            )
        return User.from_row(row, signed_in_as=user_id)
