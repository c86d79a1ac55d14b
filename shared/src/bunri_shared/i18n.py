"""Languages the API speaks. Shared so every subgraph declares the identical enum."""

from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(description="Language of human-readable text.")
class Language(Enum):
    KO = "ko"
    EN = "en"
