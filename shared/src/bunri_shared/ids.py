"""Entity ids are UUIDs; a malformed one can only match nothing."""

from __future__ import annotations

import uuid


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
