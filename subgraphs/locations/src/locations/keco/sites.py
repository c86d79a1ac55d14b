"""Rows -> sites: turning one KECO row into a trustworthy Site, or a reason it can't be one."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

from locations.keco.hours import OpeningHours, parse_opening_hours
from locations.keco.items import parse_collected_items
from locations.keco.phones import extract_phone

SITE_KIND: Final = "COMPENSATION_SHOP"

# A generous box around South Korea (Marado ~33.1N, the DMZ ~38.6N, Baengnyeong ~124.6E,
# Dokdo ~131.9E). Coordinates outside it are typos in this data set (e.g. 5.157 for 35.157),
# and a pin in the ocean is worse than no pin.
LATITUDE_RANGE: Final = (32.5, 39.0)
LONGITUDE_RANGE: Final = (124.0, 132.0)

# Placeholders the publisher writes instead of leaving a field empty.
EMPTY_MARKERS: Final[frozenset[str]] = frozenset({"", "없음", "-", "해당없음", "null", "none"})


@dataclass(frozen=True)
class Site:
    source_id: str  # positnSn
    name: str
    address: str  # road address, else lot address
    lot_address: str | None
    latitude: float
    longitude: float
    phone: str | None
    region: str | None
    opening_hours: OpeningHours
    accepted_categories: tuple[str, ...]
    unmapped_items: tuple[str, ...]
    kind: str = SITE_KIND


@dataclass(frozen=True)
class SkippedRow:
    line: int  # physical line in the file where the record starts (header = line 1)
    source_id: str | None
    reason: str


@dataclass
class ParseResult:
    sites: list[Site] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)
    unmapped: dict[str, int] = field(default_factory=dict)  # unmapped item text -> site count


class _RowRejected(Exception):
    """Internal: a row cannot become a Site; the message is the human-readable reason."""


def _clean(text: str | None) -> str | None:
    # Collapse runs of whitespace/newlines; publisher placeholders count as empty.
    if text is None:
        return None
    cleaned = re.sub(r"\s+", " ", text).strip()
    return None if cleaned.lower() in EMPTY_MARKERS else cleaned


def _coordinate(
    row: Mapping[str, str], column: str, label: str, bounds: tuple[float, float]
) -> float:
    raw = (row.get(column) or "").strip()
    try:
        value = float(raw)
    except ValueError:
        raise _RowRejected(f"invalid {label} {raw!r}") from None
    if not math.isfinite(value):
        raise _RowRejected(f"invalid {label} {raw!r}")
    if not bounds[0] <= value <= bounds[1]:
        raise _RowRejected(f"{label} out of range: {raw} (expected {bounds[0]}–{bounds[1]})")
    return value


def row_to_site(row: Mapping[str, str]) -> Site:
    """Convert one KECO row; raises _RowRejected (a reason) when it can't be a trustworthy Site."""
    source_id = _clean(row.get("positnSn"))
    if source_id is None:
        raise _RowRejected("missing positnSn")
    name = _clean(row.get("positnNm"))
    if name is None:
        raise _RowRejected("missing name")
    if not (row.get("positnPstnLat") or "").strip() or not (row.get("positnPstnLot") or "").strip():
        raise _RowRejected("missing latitude/longitude")
    latitude = _coordinate(row, "positnPstnLat", "latitude", LATITUDE_RANGE)
    longitude = _coordinate(row, "positnPstnLot", "longitude", LONGITUDE_RANGE)
    lot_address = _clean(row.get("positnLotnoAddr"))
    address = _clean(row.get("positnRdnmAddr")) or lot_address
    if address is None:
        raise _RowRejected("missing address")
    items = parse_collected_items(row.get("clctItemCn"))
    return Site(
        source_id=source_id,
        name=name,
        address=address,
        lot_address=lot_address,
        latitude=latitude,
        longitude=longitude,
        phone=extract_phone(row.get("rprsTelnoCn"), row.get("bscTelnoCn")),
        region=_clean(row.get("positnRgnNm")),
        opening_hours=parse_opening_hours(row),
        accepted_categories=items.categories,
        unmapped_items=items.unmapped,
    )
