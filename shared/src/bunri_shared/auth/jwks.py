"""The auth service's public keys, cached so that an auth outage does not spread.

- Fresh for `ttl`; after that the cached keys still answer at once while ONE background
  fetch renews them (no request ever waits for a renewal).
- Fetch failing (auth down, slow, broken): the stale keys keep answering, for at most
  `max_stale` after the last good fetch (bounded: a key withdrawn after a compromise must
  not live forever), and failed fetches are retried at most once per `cooldown`.
- An unknown kid (a key rotation) waits for one fetch, shared by every request that needs
  it and at most once per `cooldown`: a flood of forged kids is not a flood of fetches.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import httpx
import jwt

log = logging.getLogger(__name__)


class KeysUnavailable(Exception):
    """No usable keys: never fetched, or the last good fetch is older than `max_stale`."""


class JwksCache:
    def __init__(
        self,
        url: str,
        *,
        ttl: float = 300.0,
        max_stale: float = 3600.0,
        cooldown: float = 30.0,
        timeout: float = 5.0,
    ) -> None:
        self.url, self.ttl, self.max_stale = url, ttl, max_stale
        self.cooldown, self.timeout = cooldown, timeout
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = -float("inf")  # monotonic time of the last good fetch
        self._tried_at = -float("inf")  # ... of the last attempt, good or not
        self._inflight: asyncio.Task[None] | None = None

    async def key(self, kid: str | None) -> jwt.PyJWK | None:
        """The key for this kid; None if the auth service does not publish it."""
        age = time.monotonic() - self._fetched_at
        if age > self.ttl:
            # Renew in the background; answer from what we have meanwhile.
            self._refresh(background=True)
        if age > self.max_stale:
            await self._refresh_and_wait()
            if time.monotonic() - self._fetched_at > self.max_stale:
                raise KeysUnavailable(f"no JWKS from {self.url}")
        if kid in self._keys:
            return self._keys[kid]
        await self._refresh_and_wait()  # a key we have not seen: maybe just rotated in
        return self._keys.get(kid) if kid is not None else None

    async def _refresh_and_wait(self) -> None:
        task = self._refresh(background=False)
        if task is not None:
            await asyncio.shield(task)

    def _refresh(self, *, background: bool) -> asyncio.Task[None] | None:
        """The running fetch, or a new one unless the last try was within the cooldown."""
        if self._inflight is not None and not self._inflight.done():
            return self._inflight
        if time.monotonic() - self._tried_at < self.cooldown:
            return None
        self._tried_at = time.monotonic()
        self._inflight = asyncio.create_task(self._fetch())
        return self._inflight

    async def _fetch(self) -> None:
        try:
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.get(self.url)
                response.raise_for_status()
                document: dict[str, Any] = response.json()
            keys = {
                item["kid"]: jwt.PyJWK(item) for item in document.get("keys", []) if "kid" in item
            }
        except (httpx.HTTPError, ValueError, KeyError, jwt.PyJWTError) as error:
            log.warning(
                "JWKS fetch from %s failed (%s); keeping the keys fetched %.0f s ago",
                self.url, type(error).__name__, time.monotonic() - self._fetched_at,
            )  # fmt: skip
            return
        self._keys, self._fetched_at = keys, time.monotonic()
