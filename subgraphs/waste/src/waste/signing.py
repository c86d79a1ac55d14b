"""Short-lived HMAC-signed upload URLs: whoever holds the URL may PUT, once, until expiry."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import datetime
from urllib.parse import urlencode


def _signature(key: bytes, upload_id: uuid.UUID, expires: int) -> str:
    return hmac.new(key, f"{upload_id}.{expires}".encode(), hashlib.sha256).hexdigest()


def upload_url(*, base_url: str, key: bytes, upload_id: uuid.UUID, expires_at: datetime) -> str:
    expires = int(expires_at.timestamp())
    query = urlencode({"expires": expires, "signature": _signature(key, upload_id, expires)})
    return f"{base_url.rstrip('/')}/uploads/{upload_id}?{query}"


def signature_is_valid(*, key: bytes, upload_id: uuid.UUID, expires: int, signature: str) -> bool:
    return hmac.compare_digest(_signature(key, upload_id, expires), signature)
