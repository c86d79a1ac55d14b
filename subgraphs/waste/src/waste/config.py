from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from bunri_shared.settings import ServiceSettings


class Settings(ServiceSettings):
    service_name: str = "waste"
    # Where clients PUT image bytes: this service's public address (the edge proxy's).
    public_url: str = "http://127.0.0.1:4003"
    # Browser origins that may PUT uploads: the gateway's BUNRI_CORS_ORIGINS, same meaning
    # (comma-separated; "*" any origin; empty = the local dev-server origins).
    cors_origins: str = ""
    # HMAC key signing upload URLs; every waste replica needs the same one.
    upload_signing_key: SecretStr = SecretStr("")
    max_upload_bytes: int = 10 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    # Decoding a large image takes hundreds of MB: at most this many at once per process.
    image_decode_concurrency: int = 2
    uploads_per_user_per_hour: int = 120
    analyses_per_user_per_hour: int = 120
    upload_url_ttl_seconds: int = 600
    # How long an uploaded image may still be analysed.
    upload_usable_seconds: int = 24 * 3600
    # Retention (waste/retention.py): uploads no analysis used, and images of analyses.
    unreferenced_upload_retention_seconds: int = 24 * 3600
    analysed_image_retention_days: int = 30
    # How often the purge job runs (the reconciler schedules it, one replica at a time).
    retention_interval_seconds: float = 3600.0
    # Stored images plus open reservations per user; more uploads wait for retention.
    storage_quota_bytes_per_user: int = 200 * 1024 * 1024
    # "local" (a directory) or "s3" (any S3-compatible object store).
    storage_backend: str = "local"
    storage_dir: Path | None = None
    s3_bucket: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    # "offline-hint" (default, no network) or "vision" (OpenAI-compatible endpoint).
    classifier: str = "offline-hint"
    vision_base_url: str | None = None
    vision_api_key: str | None = None
    vision_model: str | None = None
    vision_timeout_seconds: float = 30.0
    job_time_limit_seconds: float = 120.0
    job_max_retries: int = 5
    # Dramatiq's first retry back-off (then doubling, jittered, up to 60 s).
    job_retry_min_backoff_seconds: float = 1.0
    cache_days: int = 7
    points_per_analysis: int = 10
    # A RUNNING job whose heartbeat is older than this is taken to be orphaned.
    stale_after_seconds: float = 30.0
    reconcile_interval_seconds: float = 10.0

    @property
    def upload_root(self) -> Path:
        return self.storage_dir or self.data_dir / "uploads"
