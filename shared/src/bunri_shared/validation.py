"""Input rules more than one subgraph enforces (each failure a BAD_USER_INPUT)."""

from __future__ import annotations

import re
import unicodedata

from bunri_shared.errors import bad_input

NICKNAME_MIN, NICKNAME_MAX = 2, 20
# Letters of any script (Hangul included), digits, and . _ - or single inner spaces.
_NICKNAME = re.compile(r"^[^\W_](?:[\w.\-]| (?! ))*$")


def nickname(value: str, *, field: str = "nickname") -> str:
    text = unicodedata.normalize("NFC", value).strip()
    if not NICKNAME_MIN <= len(text) <= NICKNAME_MAX:
        raise bad_input(
            f"nickname must be {NICKNAME_MIN} to {NICKNAME_MAX} characters long", field=field
        )
    if not _NICKNAME.match(text):
        raise bad_input(
            "nickname may contain letters, digits, spaces, '.', '_' and '-' only", field=field
        )
    return text
