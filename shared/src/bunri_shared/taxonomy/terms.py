"""Normalisation for matching item names: one rule for the index and for every query."""

from __future__ import annotations

import re
import unicodedata

_IGNORED = re.compile(r"[\s\-_.·/()\[\],']+")


def normalise(text: str) -> str:
    """Collapse case, width and spacing variants ("PET-bottle" → "petbottle").

    Hangul syllables are then split into their letters (NFD): "패트병" and "페트병" share
    one syllable in three but six letters in seven, so trigram similarity sees the typo.
    """
    folded = _IGNORED.sub("", unicodedata.normalize("NFKC", text).casefold())
    return unicodedata.normalize("NFD", folded)
