"""Waste classifiers: a photo (and the user's hint) in, a taxonomy category code out.

* `HintClassifier` ("offline-hint", the default): matches the typed hint against the taxonomy
  item vocabulary; no network, ignores the image.
* `VisionClassifier` ("vision:<model>"): a vision model behind any OpenAI-compatible
  chat-completions endpoint.

See `base` for the contract (`Classification`, `Unclassified`, transient and permanent errors).
"""

from __future__ import annotations

from waste.classifiers.base import (
    Classification,
    Classifier,
    PermanentClassifierError,
    TransientClassifierError,
    Unclassified,
)
from waste.classifiers.hint import HintClassifier
from waste.classifiers.vision import VisionClassifier

__all__ = [
    "BACKENDS",
    "Classification",
    "Classifier",
    "HintClassifier",
    "PermanentClassifierError",
    "TransientClassifierError",
    "Unclassified",
    "VisionClassifier",
    "classifier_from_settings",
]

BACKENDS = ("offline-hint", "vision")


def classifier_from_settings(
    *,
    backend: str,
    vision_base_url: str | None,
    vision_api_key: str | None,
    vision_model: str | None,
    vision_timeout_seconds: float,
) -> Classifier:
    """The classifier the settings ask for: "offline-hint" (the default) or "vision"."""
    choice = (backend or "offline-hint").strip().lower()
    if choice == "offline-hint":
        return HintClassifier()
    if choice == "vision":
        missing = [
            name
            for name, value in (("base URL", vision_base_url), ("model", vision_model))
            if not (value and value.strip())
        ]
        if missing:
            raise ValueError(
                "the vision classifier needs a " + " and a ".join(missing) + " (set the waste "
                "vision base URL, e.g. https://api.openai.com/v1, and a vision model name)"
            )
        assert vision_base_url is not None and vision_model is not None
        return VisionClassifier(
            base_url=vision_base_url.strip(),
            api_key=(vision_api_key or "").strip() or None,
            model=vision_model.strip(),
            timeout_seconds=vision_timeout_seconds,
        )
    raise ValueError(f"unknown classifier backend {backend!r}; expected one of {BACKENDS}")
