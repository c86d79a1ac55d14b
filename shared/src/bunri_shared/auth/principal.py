from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Principal:
    """The verified caller. Its id comes from a signed token, never from client input."""

    user_id: uuid.UUID
    claims: dict[str, Any]
