"""Log-in throttling after OWASP's authentication guidance: growing delays, no lock-out.

Three counters of failed log-ins, each with a number of free failures and then a delay
that doubles with every further failure (capped):
- per (account, address): a guesser at one address slows down fast;
- per address, across accounts: one address spraying many accounts slows down;
- per account, across addresses (the ceiling): stops distributed guessing. Over the ceiling
  an account refuses only sources it does not know: an address or a device token that has
  signed in to it before still gets in, so strangers cannot lock the owner out.

An attempt is counted BEFORE the (slow) password check, so parallel guesses cannot race
past a limit; a successful log-in hands its counts back.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from redis.asyncio import Redis

from auth.config import Settings
from bunri_shared.ratelimit import rate_limited

# Per key: a hash {n: failures, t: last attempt (ms)}. An attempt is allowed when
# n < free or now >= t + min(base * 2^(n - free), max). All-or-nothing over the keys:
# either every key counts the attempt, or none does and the longest wait is returned.
_ATTEMPT = """
local now = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
  local o = 1 + (i - 1) * 4
  local free, base, cap = tonumber(ARGV[o + 1]), tonumber(ARGV[o + 2]), tonumber(ARGV[o + 3])
  local state = redis.call('HMGET', key, 'n', 't')
  local n, t = tonumber(state[1]) or 0, tonumber(state[2]) or 0
  if n >= free then
    local delay = math.min(base * 2 ^ (n - free), cap)
    if now < t + delay then wait = math.max(wait, t + delay - now) end
  end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  local o = 1 + (i - 1) * 4
  redis.call('HINCRBY', key, 'n', 1)
  redis.call('HSET', key, 't', now)
  redis.call('EXPIRE', key, tonumber(ARGV[o + 4]))
end
return 0
"""


@dataclass(frozen=True, slots=True)
class Delay:
    """After `free` failures, each further one waits base·2^k seconds (at most `cap`);
    the counter is forgotten `memory` seconds after the last attempt."""

    key: str
    free: int
    base: float
    cap: float
    memory: int


def _digest(value: str) -> str:
    # Emails, addresses and device tokens never appear in Redis in clear.
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def pair_delay(settings: Settings, email: str, address: str) -> Delay:
    return Delay(
        f"auth:login:pair:{_digest(email)}:{_digest(address)}",
        settings.login_free_failures_per_pair,
        settings.login_delay_base_seconds,
        settings.login_delay_max_seconds,
        settings.login_failure_memory_seconds,
    )


def address_delay(settings: Settings, address: str) -> Delay:
    return Delay(
        f"auth:login:address:{_digest(address)}",
        settings.login_free_failures_per_address,
        settings.login_delay_base_seconds,
        settings.login_delay_max_seconds,
        settings.login_failure_memory_seconds,
    )


def account_ceiling(settings: Settings, email: str) -> Delay:
    # Once over, strangers wait the whole window after the last counted failure.
    window = settings.login_account_window_seconds
    return Delay(
        f"auth:login:account:{_digest(email)}",
        settings.login_failures_per_account,
        window,
        window,
        window,
    )


def _known_key(email: str) -> str:
    return f"auth:login:known:{_digest(email)}"


class LoginThrottle:
    def __init__(self, redis: Redis, settings: Settings) -> None:
        self.redis, self.settings = redis, settings
        self._attempt = redis.register_script(_ATTEMPT)

    async def is_known(self, email: str, address: str | None, device_token: str | None) -> bool:
        members = [f"a:{_digest(address)}"] if address else []
        members += [f"d:{_digest(device_token)}"] if device_token else []
        if not members:
            return False
        found = await self.redis.smismember(_known_key(email), members)
        return any(found)

    def delays(self, email: str, address: str | None, *, known: bool) -> list[Delay]:
        delays = []
        if address:
            delays += [pair_delay(self.settings, email, address)]
            delays += [address_delay(self.settings, address)]
        if not known:
            delays.append(account_ceiling(self.settings, email))
        return delays

    async def attempt(self, delays: list[Delay]) -> None:
        """Count one attempt against every delay, or RATE_LIMITED if any says wait."""
        if not delays:
            return
        args: list[float | int] = [int(time.time() * 1000)]
        for delay in delays:
            args += [delay.free, int(delay.base * 1000), int(delay.cap * 1000), delay.memory]
        wait_ms = int(await self._attempt(keys=[d.key for d in delays], args=args))
        if wait_ms > 0:
            raise rate_limited(max(math.ceil(wait_ms / 1000), 1))

    async def succeeded(
        self, email: str, delays: list[Delay], *, address: str | None, device_token: str | None
    ) -> None:
        """The owner got in: their pair starts afresh, the shared counters get this one
        back, and this address and device are known to the account from now on."""
        async with self.redis.pipeline(transaction=True) as pipe:
            for delay in delays:
                if delay.key.startswith("auth:login:pair:"):
                    pipe.delete(delay.key)
                else:
                    pipe.hincrby(delay.key, "n", -1)
            known = _known_key(email)
            if address:
                pipe.sadd(known, f"a:{_digest(address)}")
            if device_token:
                pipe.sadd(known, f"d:{_digest(device_token)}")
            pipe.expire(known, self.settings.login_known_source_days * 86400)
            await pipe.execute()


def guesses_per_hour(settings: Settings, *, addresses: int) -> int:
    """The most password guesses against ONE account an attacker with this many (unknown)
    addresses gets in its first hour; the README states it for the defaults."""
    per_pair = _allowed_within(
        3600, settings.login_free_failures_per_pair,
        settings.login_delay_base_seconds, settings.login_delay_max_seconds,
    )  # fmt: skip
    # The per-address counter never binds tighter than the pair one for a single account
    # as long as it allows at least as many free failures (the defaults do).
    ceiling = settings.login_failures_per_account
    return min(per_pair * addresses, ceiling)


def _allowed_within(seconds: float, free: int, base: float, cap: float) -> int:
    allowed, elapsed = free, 0.0
    n = free
    while True:
        elapsed += min(base * 2 ** min(n - free, 64), cap)
        if elapsed >= seconds:
            return allowed
        allowed, n = allowed + 1, n + 1
