"""The request id: taken from `X-Request-Id` (the gateway sets it) or made here."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

REQUEST_ID_HEADER = "x-request-id"
_SAFE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

current_request_id: ContextVar[str | None] = ContextVar("current_request_id", default=None)


def accept_or_make(value: str | None) -> str:
    """Keep a well-formed incoming id (so logs join across services), else make one."""
    if value and _SAFE.match(value):
        return value
    return uuid.uuid4().hex
