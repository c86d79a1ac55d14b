"""Normalisation shared by the item index and search queries: one rule, both sides."""

from __future__ import annotations

import re
import unicodedata

_IGNORED = re.compile(r"[\s\-_.·/()\[\],']+")


def normalise(text: str) -> str:
    """Collapse case, width and spacing variants: "PET-bottle" → "petbottle"."""
    return _IGNORED.sub("", unicodedata.normalize("NFKC", text).casefold())
