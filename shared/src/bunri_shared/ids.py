"""Entity ids are UUIDs; a malformed one can only match nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterable


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def parse_uuids(values: Iterable[str]) -> list[uuid.UUID]:
    return [parsed for value in values if (parsed := parse_uuid(value)) is not None]
