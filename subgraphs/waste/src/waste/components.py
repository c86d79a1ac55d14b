"""Process-wide parts built from settings: storage (the classifier is worker-only: tasks.py)."""

from __future__ import annotations

from waste.config import Settings
from waste.storage import Storage, storage_from_settings


def build_storage(settings: Settings) -> Storage:
    return storage_from_settings(
        backend=settings.storage_backend,
        local_root=settings.upload_root,
        s3_bucket=settings.s3_bucket,
        s3_endpoint_url=settings.s3_endpoint_url,
        s3_region=settings.s3_region,
        s3_access_key_id=settings.s3_access_key_id,
        s3_secret_access_key=settings.s3_secret_access_key,
    )
