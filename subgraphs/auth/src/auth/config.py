from __future__ import annotations

from pathlib import Path

from bunri_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "auth"
    # Directory of Ed25519 private keys, one PEM per key, the file name (sans .pem) its kid.
    # Unset: a dev key is generated under BUNRI_DATA_DIR (never do that in production).
    auth_keys_dir: Path | None = None
    # The key that signs; the others stay in the JWKS so their tokens verify until expiry.
    auth_active_kid: str | None = None
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_days: int = 30
    # A refresh token presented again this soon after its rotation (a retry, two requests at
    # once) gets the same new pair; later, its reuse revokes the whole session.
    refresh_grace_seconds: float = 30.0
    # Log-in throttling (auth/throttle.py; the README gives the resulting guesses per hour).
    # Free failures per (account, address) and per address, then a delay that doubles
    # from `base` up to `max` with each further failure; forgotten after `memory` idle.
    login_free_failures_per_pair: int = 5
    login_free_failures_per_address: int = 20
    login_delay_base_seconds: float = 1.0
    login_delay_max_seconds: float = 900.0
    login_failure_memory_seconds: int = 24 * 3600
    # The per-account ceiling: this many failures from unknown sources, then only known
    # addresses and devices may try, until `window` after the last counted failure.
    login_failures_per_account: int = 50
    login_account_window_seconds: int = 3600
    # How long an address or device that signed in stays known to the account.
    login_known_source_days: int = 90
    signups_per_address_per_hour: int = 20
