"""Environment-driven settings common to every subgraph."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Settings every subgraph process reads from its environment.

    Each subgraph subclasses this and sets `service_name` (which is also its Postgres
    schema). `DATABASE_URL` is the subgraph's OWN role URL, never an admin URL.

    One naming rule: a field `x_y` is read from `BUNRI_X_Y` (the prefix, no aliases), so
    the environment name is found from the field and back. The only exceptions are
    `DATABASE_URL` and `REDIS_URL`, the names every tool and hosting platform knows.
    """

    model_config = SettingsConfigDict(env_prefix="BUNRI_", extra="ignore", frozen=True)

    service_name: str
    # "production" (the default: strict) or "dev" (what `make dev` and the tests set): only
    # dev may run without a gateway secret or generate its own signing key.
    env: str = "production"
    database_url: str = Field(validation_alias="DATABASE_URL")
    redis_url: str = Field("redis://127.0.0.1:6379/0", validation_alias="REDIS_URL")
    # Where a process keeps files in dev: auth's generated key, waste's local uploads.
    data_dir: Path = Path(".data")
    db_pool_size: int = 10
    db_max_overflow: int = 10
    log_level: str = "INFO"
    log_json: bool = True
    graphiql: bool = True
    # Subgraphs trust only the gateway; when set, every request must carry this secret.
    gateway_secret: SecretStr | None = None
    ws_allowed_origins: tuple[str, ...] = ()
    # Access tokens: EdDSA JWTs from the auth service, verified against its JWKS.
    jwks_url: str = "http://127.0.0.1:4001/.well-known/jwks.json"
    jwt_issuer: str = "bunri-auth"
    jwt_audience: str = "bunri"
    # An unknown kid refetches the JWKS at most this often (a flood of forged kids must not
    # turn into a flood of fetches); rotate keys in two steps (see auth/keys.py).
    jwks_refresh_cooldown_seconds: float = 30.0
    # Keys are renewed in the background after `ttl`; while the auth service is away the
    # cached ones keep verifying for at most `max_stale` (see bunri_shared/auth/jwks.py).
    jwks_ttl_seconds: float = 300.0
    jwks_max_stale_seconds: float = 3600.0

    @property
    def db_schema(self) -> str:
        return self.service_name

    @property
    def is_dev(self) -> bool:
        return self.env == "dev"

    def check_secrets(self) -> None:
        """Refuse to start misconfigured: an empty secret would let anyone through, and
        outside dev the subgraphs must only answer the gateway."""
        if self.gateway_secret is not None and not self.gateway_secret.get_secret_value():
            raise RuntimeError("BUNRI_GATEWAY_SECRET is set but empty: set a real secret")
        if self.gateway_secret is None and not self.is_dev:
            raise RuntimeError(
                "BUNRI_GATEWAY_SECRET must be set (only BUNRI_ENV=dev runs without it)"
            )
