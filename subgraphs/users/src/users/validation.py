"""Checks on profile input; each failure a BAD_USER_INPUT naming the field."""

from __future__ import annotations

from urllib.parse import urlsplit

from bunri_shared import validation
from bunri_shared.errors import bad_input
from users.service import ProfileChanges
from users.types import UpdateProfileInput

MAX_URL_LENGTH = 2048


def avatar_url(value: str) -> str:
    text = value.strip()
    if len(text) > MAX_URL_LENGTH:
        raise bad_input(f"avatarUrl is longer than {MAX_URL_LENGTH} characters", field="avatarUrl")
    try:
        parts = urlsplit(text)
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme != "https"
        or not parts.hostname
        or parts.username
        or any(c.isspace() for c in text)
    ):
        raise bad_input("avatarUrl must be an https:// URL", field="avatarUrl")
    return text


def profile_changes(data: UpdateProfileInput) -> ProfileChanges:
    return ProfileChanges(
        nickname=validation.nickname(data.nickname) if data.nickname is not None else None,
        avatar_url=avatar_url(data.avatar_url) if data.avatar_url is not None else None,
        language=data.language.value if data.language is not None else None,
        notifications_enabled=data.notifications_enabled,
    )
