"""Parser for the Korea Environment Corporation (KECO) recycling "compensation shop" open data.

The portal publishes one CSV row per site (자원순환가게 / 무인회수기) with free-text opening
hours, phone numbers and collected items. This package turns those rows into `Site` facts the
locations subgraph can store and query. It is deliberately pure: no database, no network, only
the standard library, so it can run in a migration, a test or a one-off script alike.

Honesty rule used throughout: when a value cannot be read with confidence it becomes "unknown"
(None) or is reported (skipped rows, unmapped items); it is never guessed.

The package is split by job: `columns` (the CSV header), `hours` (opening hours), `items`
(collected items -> taxonomy codes), `phones`, `sites` (one row -> Site) and `csvfile`
(decoding, validation, parsing and writing whole files). Everything public is re-exported here,
so `from locations.keco import X` is the API.
"""

from __future__ import annotations

from locations.keco.columns import (
    HOLIDAY_HOURS_COLUMN,
    HOURS_COLUMNS,
    KECO_COLUMNS,
    PROSE_COLUMNS,
    REQUIRED_COLUMNS,
)
from locations.keco.csvfile import (
    KecoFormatError,
    decode_keco_bytes,
    facts_only,
    parse_bytes,
    parse_file,
    read_raw_rows,
    write_facts_csv,
)
from locations.keco.hours import (
    ALL_DAY,
    ALL_DAY_WORDS,
    CLOSED,
    CLOSED_WORDS,
    CONTRACT_ENDED,
    HOLIDAY_KEY,
    MINUTES_PER_DAY,
    SEOUL,
    WEEKDAY_KEYS,
    DayHours,
    Interval,
    OpeningHours,
    parse_hours,
    parse_opening_hours,
)
from locations.keco.items import (
    CATEGORY_CODES,
    COLOUR_WORDS,
    CONTEXT_GLASS,
    CONTEXT_PET,
    ITEM_CATEGORIES,
    ITEM_KEYWORD_RULES,
    NOISE_WORDS,
    CollectedItems,
    map_item,
    normalise_item,
    parse_collected_items,
)
from locations.keco.phones import extract_phone, format_phone
from locations.keco.sites import (
    EMPTY_MARKERS,
    LATITUDE_RANGE,
    LONGITUDE_RANGE,
    SITE_KIND,
    ParseResult,
    Site,
    SkippedRow,
    row_to_site,
)

__all__ = [
    "ALL_DAY",
    "ALL_DAY_WORDS",
    "CATEGORY_CODES",
    "CLOSED",
    "CLOSED_WORDS",
    "COLOUR_WORDS",
    "CONTEXT_GLASS",
    "CONTEXT_PET",
    "CONTRACT_ENDED",
    "EMPTY_MARKERS",
    "HOLIDAY_HOURS_COLUMN",
    "HOLIDAY_KEY",
    "HOURS_COLUMNS",
    "ITEM_CATEGORIES",
    "ITEM_KEYWORD_RULES",
    "KECO_COLUMNS",
    "LATITUDE_RANGE",
    "LONGITUDE_RANGE",
    "MINUTES_PER_DAY",
    "NOISE_WORDS",
    "PROSE_COLUMNS",
    "REQUIRED_COLUMNS",
    "SEOUL",
    "SITE_KIND",
    "WEEKDAY_KEYS",
    "CollectedItems",
    "DayHours",
    "Interval",
    "KecoFormatError",
    "OpeningHours",
    "ParseResult",
    "Site",
    "SkippedRow",
    "decode_keco_bytes",
    "extract_phone",
    "facts_only",
    "format_phone",
    "map_item",
    "normalise_item",
    "parse_bytes",
    "parse_collected_items",
    "parse_file",
    "parse_hours",
    "parse_opening_hours",
    "read_raw_rows",
    "row_to_site",
    "write_facts_csv",
]
