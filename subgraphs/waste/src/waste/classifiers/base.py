"""What every waste classifier promises: one answer from the taxonomy, or an honest error.

A classifier either returns a `Classification` whose `category_code` is a code of the shared
taxonomy, or raises one of three exceptions so the caller knows what to do next:

* `Unclassified`: the classifier worked but could not tell (no hint, no match, the model said
  it was unsure). Not an error to retry; show the user the manual choice instead.
* `TransientClassifierError`: timeouts, connection errors, HTTP 429 and 5xx. The same request
  may well succeed later, so retry with back-off.
* `PermanentClassifierError`: the request or the answer is wrong in a way a retry will not fix
  (4xx other than 429, malformed responses, codes outside the taxonomy). Never store it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class Classification:
    category_code: str
    item_name: str | None
    confidence: float  # 0..1

    def __post_init__(self) -> None:
        if not self.category_code:
            raise ValueError("category_code must not be empty")
        if not (isinstance(self.confidence, int | float) and math.isfinite(self.confidence)):
            raise ValueError(f"confidence must be a finite number, got {self.confidence!r}")
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be within 0..1, got {self.confidence}")


class Unclassified(Exception):
    """The classifier could not tell what the item is (an honest answer, not a fault)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientClassifierError(Exception):
    """A failure worth retrying with back-off: timeout, connection error, 429, 5xx.

    `retry_after` carries the server's Retry-After hint in seconds, when it sent one.
    """

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class PermanentClassifierError(Exception):
    """A failure a retry will not fix: 4xx (not 429), malformed answers, unknown codes."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@runtime_checkable
class Classifier(Protocol):
    name: str
    # False for a classifier that never looks at the photo: the worker then does not
    # prepare it (decode, shrink, re-encode) for nothing.
    reads_image: bool

    async def classify(
        self, *, image: bytes, content_type: str, hint: str | None
    ) -> Classification:
        """Classify one photo of an item, optionally helped by the user's typed hint.

        Raises `Unclassified`, `TransientClassifierError` or `PermanentClassifierError`.
        """
        ...
