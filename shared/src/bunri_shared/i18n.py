"""Languages the API speaks. Shared so every subgraph declares the identical enum."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import strawberry


@strawberry.enum(description="Language of human-readable text.")
class Language(Enum):
    KO = strawberry.enum_value("ko", description="Korean (한국어), the default.")
    EN = strawberry.enum_value("en", description="English.")


# The `language` argument of every field that returns text for people to read.
LanguageArgument = Annotated[
    Language | None,
    strawberry.argument(description="Language of the text; Korean when omitted or null."),
]
