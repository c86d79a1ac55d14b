"""Phone numbers: finding and normalising a dialable Korean number in KECO's phone columns."""

from __future__ import annotations

import re
from typing import Final

# A complete Korean number: area/mobile code + 3-4 + 4 digits, or a 1xxx-xxxx service number.
# Local numbers without an area code ("850-6921") are not dialable from a phone app, so skipped.
_PHONE_RE: Final = re.compile(
    r"(?<!\d)(?:0\d{1,2}[-.\s)]*\d{3,4}[-.\s]*\d{4}|1[5-9]\d{2}[-.\s]*\d{4})(?!\d)"
)


def format_phone(digits: str) -> str | None:
    """Hyphenate a digit string the Korean way (02-…, 0xx-…, 1xxx-xxxx); None if implausible."""
    if digits.startswith("02") and len(digits) in (9, 10):
        return f"02-{digits[2:-4]}-{digits[-4:]}"
    if digits.startswith("0") and len(digits) in (10, 11):
        return f"{digits[:3]}-{digits[3:-4]}-{digits[-4:]}"
    if digits[:1] == "1" and len(digits) == 8:
        return f"{digits[:4]}-{digits[4:]}"
    return None


def extract_phone(*texts: str | None) -> str | None:
    """First phone-number-looking token across `texts` (in order), normalised; else None."""
    for text in texts:
        for match in _PHONE_RE.finditer(text or ""):
            phone = format_phone(re.sub(r"\D", "", match.group()))
            if phone is not None:
                return phone
    return None
