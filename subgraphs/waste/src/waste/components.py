"""Process-wide parts built from settings: storage and the classifier."""

from __future__ import annotations

from waste.classifiers import Classifier, classifier_from_settings
from waste.config import Settings
from waste.storage import Storage, storage_from_settings
from waste.telemetry import TracedClassifier


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


def build_classifier(settings: Settings) -> Classifier:
    classifier = classifier_from_settings(
        backend=settings.classifier,
        vision_base_url=settings.vision_base_url,
        vision_api_key=settings.vision_api_key,
        vision_model=settings.vision_model,
        vision_timeout_seconds=settings.vision_timeout_seconds,
    )
    return TracedClassifier(classifier)  # each call a client span
