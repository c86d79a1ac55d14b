from __future__ import annotations

from pathlib import Path

from pydantic import Field

from bunri_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "auth"
    # Directory of Ed25519 private keys, one PEM per key, the file name (sans .pem) its kid.
    # Unset: a dev key is generated under BUNRI_DATA_DIR (never do that in production).
    keys_dir: Path | None = Field(None, validation_alias="BUNRI_AUTH_KEYS_DIR")
    data_dir: Path = Path(".data")
    # The key that signs; the others stay in the JWKS so their tokens verify until expiry.
    active_kid: str | None = Field(None, validation_alias="BUNRI_AUTH_ACTIVE_KID")
    access_token_ttl_seconds: int = 900
    refresh_token_ttl_days: int = 30
    # Failed logins per account / per client address within the window, then RATE_LIMITED.
    login_failures_per_account: int = 5
    login_failures_per_address: int = 20
    login_window_seconds: int = 900
    signups_per_address_per_hour: int = 20
