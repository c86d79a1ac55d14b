"""Permission classes and ownership checks every subgraph reuses."""

from __future__ import annotations

import uuid
from typing import Any

from strawberry.permission import BasePermission

from bunri_shared.auth.principal import Principal
from bunri_shared.errors import BunriError, ErrorCode


class IsAuthenticated(BasePermission):
    """UNAUTHENTICATED without a valid token, saying why a presented token was refused."""

    message = "Sign in to do this."

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        require_principal(info.context)  # raises the coded error itself
        return True


def require_principal(context: Any) -> Principal:
    if context.principal is None:
        raise context.auth_error or BunriError(ErrorCode.UNAUTHENTICATED, "Sign in to do this.")
    return context.principal


def require_owner(context: Any, owner_id: uuid.UUID) -> Principal:
    """The caller must be signed in (UNAUTHENTICATED) and be the owner (FORBIDDEN)."""
    principal = require_principal(context)
    if principal.user_id != owner_id:
        raise BunriError(ErrorCode.FORBIDDEN, "This belongs to another user.")
    return principal


def require_owned(context: Any, owner_id: uuid.UUID | None, *, what: str) -> Principal:
    """For things found by a guessable id: someone else's answers exactly like a missing
    one (NOT_FOUND), so ids cannot be probed for existence. `owner_id` None: not found."""
    principal = require_principal(context)
    if owner_id is None or principal.user_id != owner_id:
        raise BunriError(ErrorCode.NOT_FOUND, f"No such {what}.")
    return principal
