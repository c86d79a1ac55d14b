"""Parser for the Korea Environment Corporation (KECO) recycling "compensation shop" open data.

The portal publishes one CSV row per site (자원순환가게 / 무인회수기) with free-text opening
hours, phone numbers and collected items. This module turns those rows into `Site` facts the
locations subgraph can store and query. It is deliberately pure: no database, no network, only
the standard library, so it can run in a migration, a test or a one-off script alike.

Honesty rule used throughout: when a value cannot be read with confidence it becomes "unknown"
(None) or is reported (skipped rows, unmapped items); it is never guessed.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# ============================================================================== columns

KECO_COLUMNS: Final[tuple[str, ...]] = (
    "positnSn",
    "positnNm",
    "positnRgnNm",
    "positnLotnoAddr",
    "positnRdnmAddr",
    "positnPstnAddExpln",
    "positnPstnLat",
    "positnPstnLot",
    "positnIntdcCn",
    "positnCnvncFcltSrvcExpln",
    "prkMthdExpln",
    "monSalsHrExplnCn",
    "tuesSalsHrExplnCn",
    "wedSalsHrExplnCn",
    "thurSalsHrExplnCn",
    "friSalsHrExplnCn",
    "satSalsHrExplnCn",
    "sunSalsHrExplnCn",
    "lhldySalsHrExplnCn",
    "lhldyDyoffCn",
    "tmprLhldyCn",
    "dyoffBgndeCn",
    "dyoffEnddtCn",
    "dyoffRsnExpln",
    "bscTelnoCn",
    "rprsTelnoCn",
    "telnoExpln",
    "indivTelnoCn",
    "lnkgHmpgUrlAddr",
    "indivRelSrchListCn",
    "comRelSrwrdListCn",
    "clctItemCn",
    "etcMttrCn",
)

# Only what a Site cannot exist without. Hours, phones and items are optional: when their
# column is absent the site is still useful, just with "unknown" values.
REQUIRED_COLUMNS: Final[tuple[str, ...]] = (
    "positnSn",
    "positnNm",
    "positnLotnoAddr",
    "positnRdnmAddr",
    "positnPstnLat",
    "positnPstnLot",
)

# Monday first, matching datetime.weekday().
HOURS_COLUMNS: Final[tuple[str, ...]] = (
    "monSalsHrExplnCn",
    "tuesSalsHrExplnCn",
    "wedSalsHrExplnCn",
    "thurSalsHrExplnCn",
    "friSalsHrExplnCn",
    "satSalsHrExplnCn",
    "sunSalsHrExplnCn",
)
HOLIDAY_HOURS_COLUMN: Final = "lhldySalsHrExplnCn"

# Free prose written by the publisher (introductions, parking notes, remarks, search keywords).
# The repository keeps only facts, so write_facts_csv() empties these.
PROSE_COLUMNS: Final[tuple[str, ...]] = (
    "positnIntdcCn",
    "positnPstnAddExpln",
    "positnCnvncFcltSrvcExpln",
    "prkMthdExpln",
    "etcMttrCn",
    "telnoExpln",
    "dyoffRsnExpln",
    "indivRelSrchListCn",
    "comRelSrwrdListCn",
)

SITE_KIND: Final = "COMPENSATION_SHOP"

# The fixed waste taxonomy codes (recycling subgraph); nothing else may be emitted.
CATEGORY_CODES: Final[frozenset[str]] = frozenset(
    {
        "PAPER",
        "PAPER_PACK",
        "CLEAR_PET",
        "PLASTIC",
        "VINYL",
        "STYROFOAM",
        "GLASS_BOTTLE",
        "METAL",
        "CLOTHING",
        "ELECTRONICS",
        "BATTERY",
        "LIGHTING",
    }
)

# A generous box around South Korea (Marado ~33.1N, the DMZ ~38.6N, Baengnyeong ~124.6E,
# Dokdo ~131.9E). Coordinates outside it are typos in this data set (e.g. 5.157 for 35.157),
# and a pin in the ocean is worse than no pin.
LATITUDE_RANGE: Final = (32.5, 39.0)
LONGITUDE_RANGE: Final = (124.0, 132.0)

# Placeholders the publisher writes instead of leaving a field empty.
EMPTY_MARKERS: Final[frozenset[str]] = frozenset({"", "없음", "-", "해당없음", "null", "none"})


class KecoFormatError(ValueError):
    """The file as a whole is not a readable KECO CSV (encoding, header, CSV syntax)."""


# ============================================================================== opening hours

Interval = tuple[int, int]  # [start_minute, end_minute) from local midnight; end may be 1440
DayHours = tuple[Interval, ...] | None  # () = closed all day, None = unknown

MINUTES_PER_DAY: Final = 24 * 60
CLOSED: Final[tuple[Interval, ...]] = ()
ALL_DAY: Final[tuple[Interval, ...]] = ((0, MINUTES_PER_DAY),)
WEEKDAY_KEYS: Final[tuple[str, ...]] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOLIDAY_KEY: Final = "holiday"
_KOREAN_WEEKDAYS: Final = "월화수목금토일"


def _seoul() -> tzinfo:
    # Korea has had no DST since 1988, so a fixed +09:00 is exact for present-day times; it only
    # serves hosts without a tz database (slim containers), where ZoneInfo would fail.
    try:
        return ZoneInfo("Asia/Seoul")
    except ZoneInfoNotFoundError:
        return timezone(timedelta(hours=9), "KST")


SEOUL: Final[tzinfo] = _seoul()


def _validate_day(day: DayHours, label: str) -> None:
    # Keeping intervals canonical (sorted, disjoint, within the day) makes equality and the
    # JSON round trip exact, and lets is_open() trust the data.
    if day is None:
        return
    previous_end = -1
    for start, end in day:
        if not (0 <= start < end <= MINUTES_PER_DAY):
            raise ValueError(f"{label}: bad interval ({start}, {end})")
        if start <= previous_end:
            raise ValueError(f"{label}: intervals overlap or are out of order")
        previous_end = end


@dataclass(frozen=True)
class OpeningHours:
    """Opening hours per weekday (index 0 = Monday … 6 = Sunday) plus public holidays.

    Each day is a tuple of [start, end) minute intervals in Asia/Seoul local time, CLOSED (an
    empty tuple), or None when the source does not say (or says something we can't trust).
    """

    weekdays: tuple[DayHours, ...]
    holiday: DayHours = None

    def __post_init__(self) -> None:
        if len(self.weekdays) != len(WEEKDAY_KEYS):
            raise ValueError(f"weekdays needs 7 entries, got {len(self.weekdays)}")
        for key, day in zip(WEEKDAY_KEYS, self.weekdays, strict=True):
            _validate_day(day, key)
        _validate_day(self.holiday, HOLIDAY_KEY)

    @classmethod
    def unknown(cls) -> OpeningHours:
        return cls(weekdays=(None,) * 7, holiday=None)

    @classmethod
    def closed(cls) -> OpeningHours:
        return cls(weekdays=(CLOSED,) * 7, holiday=CLOSED)

    def is_open(self, at: datetime) -> bool | None:
        """Whether the site is open at `at` (an aware datetime); None when hours are unknown.

        Public holidays are deliberately ignored: knowing the Korean holiday calendar (lunar
        dates, substitute and ad-hoc holidays) is out of scope, so the weekday rule applies.
        """
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("is_open() needs a timezone-aware datetime")
        local = at.astimezone(SEOUL)
        day = self.weekdays[local.weekday()]
        if day is None:
            return None
        minute = local.hour * 60 + local.minute
        # Half-open intervals: an end of 1440 (24:00) covers 23:59 and a 21:00 end means closed
        # at 21:00 sharp.
        return any(start <= minute < end for start, end in day)

    def to_json(self) -> dict[str, list[list[int]] | None]:
        """A JSON-ready dict: {"mon": [[540, 1080]], …, "sun": [], "holiday": null}."""
        data: dict[str, list[list[int]] | None] = {
            key: _day_to_json(day) for key, day in zip(WEEKDAY_KEYS, self.weekdays, strict=True)
        }
        data[HOLIDAY_KEY] = _day_to_json(self.holiday)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OpeningHours:
        """Inverse of to_json(); raises ValueError on anything to_json() would not produce."""
        expected = {*WEEKDAY_KEYS, HOLIDAY_KEY}
        if set(data) != expected:
            raise ValueError(f"opening hours keys must be {sorted(expected)}, got {sorted(data)}")
        weekdays = tuple(_day_from_json(data[key], key) for key in WEEKDAY_KEYS)
        return cls(weekdays=weekdays, holiday=_day_from_json(data[HOLIDAY_KEY], HOLIDAY_KEY))


def _day_to_json(day: DayHours) -> list[list[int]] | None:
    return None if day is None else [[start, end] for start, end in day]


def _day_from_json(value: Any, key: str) -> DayHours:
    if value is None:
        return None
    if not isinstance(value, list):
        raise ValueError(f"{key}: expected a list of [start, end] pairs or null")
    intervals: list[Interval] = []
    for pair in value:
        # bool is an int subclass; reject it so true/false never pass as minutes.
        if (
            not isinstance(pair, list | tuple)
            or len(pair) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in pair)
        ):
            raise ValueError(f"{key}: bad interval {pair!r}")
        intervals.append((pair[0], pair[1]))
    return tuple(intervals)


# Words meaning "not open that day". 계약종료 (contract ended) is also closed, and more: see
# CONTRACT_ENDED, which closes the whole site.
CLOSED_WORDS: Final[frozenset[str]] = frozenset({"휴무", "전체휴무", "휴무일", "정기휴무", "휴일"})
CONTRACT_ENDED: Final = "계약종료"
ALL_DAY_WORDS: Final[frozenset[str]] = frozenset({"상시", "상시운영", "24시간", "연중무휴"})

# "09:00", "9:00", "08시", "8시30분". Group names: h/m for H:MM, kh/km for the 시/분 style.
_TIME = (
    r"(?:(?P<{p}h>\d{{1,2}})\s*:\s*(?P<{p}m>\d{{2}})"
    r"|(?P<{p}kh>\d{{1,2}})\s*시(?:\s*(?P<{p}km>\d{{1,2}})\s*분)?)"
)
_RANGE_RE: Final = re.compile(_TIME.format(p="s") + r"\s*[~\-–〜～]\s*" + _TIME.format(p="e"))
# Between two ranges only whitespace, commas or slashes may appear ("09:00 ~ 12:00,\n14:00 ~ …").
_RANGE_SEPARATORS: Final = " \t\r\n,/"
# A seasonal variant note, e.g. "(하절기(7~9월) 10시~23시)": the main range stays the answer.
_SEASONAL_NOTE_RE: Final = re.compile(r"하절기|동절기|여름|겨울|성수기|비수기")
# "(매주 목요일)" = every Thursday: harmless in the Thursday column, contradictory elsewhere.
_EVERY_WEEKDAY_NOTE_RE: Final = re.compile(r"^매주\s*(?:(?P<day>[월화수목금토일])요일)?$")


def parse_hours(text: str | None, weekday: int | None = None) -> DayHours:
    """Parse one day's hours text from a KECO column.

    `weekday` (0 = Monday) is the column's day; it only lets a note like "(매주 목요일)" be
    checked for consistency. Returns CLOSED, a tuple of intervals, or None (unknown).
    """
    if text is None:
        return None
    compact = re.sub(r"\s+", "", text)
    if not compact:
        return None  # blank means "not stated", which is not the same as closed
    if compact in CLOSED_WORDS or compact == CONTRACT_ENDED:
        return CLOSED
    if compact in ALL_DAY_WORDS:
        return ALL_DAY
    split = _split_notes(text)
    if split is None:
        return None  # unbalanced parentheses: we can't tell what is a note
    body, notes = split
    if not all(_is_harmless_note(note, weekday) for note in notes):
        # e.g. "(1,3,5주)": open only some weeks of the month, so "open now" can't be claimed.
        return None
    return _parse_ranges(body)


def _split_notes(text: str) -> tuple[str, list[str]] | None:
    """Separate top-level parenthesised notes from the rest; None if parentheses don't balance."""
    body: list[str] = []
    notes: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            if depth > 0:
                current.append(char)
            depth += 1
        elif char == ")":
            if depth == 0:
                return None
            depth -= 1
            if depth == 0:
                notes.append("".join(current).strip())
                current = []
            else:
                current.append(char)
        elif depth > 0:
            current.append(char)
        else:
            body.append(char)
    if depth != 0:
        return None
    return "".join(body), notes


def _is_harmless_note(note: str, weekday: int | None) -> bool:
    if _SEASONAL_NOTE_RE.search(note):
        return True
    every = _EVERY_WEEKDAY_NOTE_RE.match(re.sub(r"\s+", " ", note).strip())
    if every is None:
        return False
    day = every.group("day")
    return day is None or (weekday is not None and _KOREAN_WEEKDAYS[weekday] == day)


def _parse_ranges(body: str) -> DayHours:
    intervals: list[Interval] = []
    position = 0
    for match in _RANGE_RE.finditer(body):
        if body[position : match.start()].strip(_RANGE_SEPARATORS):
            return None  # words between ranges that we don't understand
        interval = _interval_from_match(match)
        if interval is None:
            return None
        intervals.append(interval)
        position = match.end()
    if body[position:].strip(_RANGE_SEPARATORS) or not intervals:
        return None
    return _merge(intervals)


def _interval_from_match(match: re.Match[str]) -> Interval | None:
    start = _minutes(match, "s")
    end = _minutes(match, "e")
    if start is None or end is None or start >= MINUTES_PER_DAY or end <= start:
        # end <= start would be an overnight range; each column is one day, so we don't
        # guess how it spills into the next one.
        return None
    return (start, end)


def _minutes(match: re.Match[str], prefix: str) -> int | None:
    hour_text = match.group(f"{prefix}h") or match.group(f"{prefix}kh")
    minute_text = match.group(f"{prefix}m") or match.group(f"{prefix}km") or "0"
    hour, minute = int(hour_text), int(minute_text)
    if minute >= 60 or hour > 24 or (hour == 24 and minute != 0):
        return None
    return hour * 60 + minute


def _merge(intervals: list[Interval]) -> tuple[Interval, ...]:
    # Overlapping or touching ranges mean the same opening; merging keeps the form canonical.
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def parse_opening_hours(row: Mapping[str, str]) -> OpeningHours:
    """Build OpeningHours from a KECO row's seven day columns and its holiday column."""
    texts = [row.get(column) for column in HOURS_COLUMNS]
    holiday_text = row.get(HOLIDAY_HOURS_COLUMN)
    if any(_is_contract_ended(text) for text in [*texts, holiday_text]):
        # The operator's contract ended: the machine/shop is gone, whatever other days say.
        return OpeningHours.closed()
    weekdays = tuple(parse_hours(text, weekday) for weekday, text in enumerate(texts))
    return OpeningHours(weekdays=weekdays, holiday=parse_hours(holiday_text))


def _is_contract_ended(text: str | None) -> bool:
    return text is not None and re.sub(r"\s+", "", text) == CONTRACT_ENDED


# ============================================================================== collected items

# Normalised item text -> category. Keys are normalise_item() output: NFKC, lower-case latin,
# no whitespace. Typos seen in the data are listed on purpose (투명페트명, 외류외, …).
ITEM_CATEGORIES: Final[dict[str, str]] = {
    # clear (colourless) PET bottles: collected separately since 2020
    "투명페트병": "CLEAR_PET",
    "투명패트병": "CLEAR_PET",
    "투명페트명": "CLEAR_PET",
    "투명페트": "CLEAR_PET",
    "투명패트": "CLEAR_PET",
    "무색페트병": "CLEAR_PET",
    "무색페트": "CLEAR_PET",
    "투명pet": "CLEAR_PET",
    "무색pet": "CLEAR_PET",
    # other plastics, including coloured/sheet PET and resin codes
    "pet": "PLASTIC",
    "페트": "PLASTIC",
    "페트병": "PLASTIC",
    "유색페트병": "PLASTIC",
    "유색페트": "PLASTIC",
    "유색pet": "PLASTIC",
    "유색혼합pet": "PLASTIC",
    "판pet": "PLASTIC",
    "판페트": "PLASTIC",
    "pp": "PLASTIC",
    "pe": "PLASTIC",
    "ps": "PLASTIC",
    "other": "PLASTIC",
    "others": "PLASTIC",
    "플라스틱": "PLASTIC",
    "플라스틱류": "PLASTIC",
    "기타플라스틱": "PLASTIC",
    "기타플라스틱류": "PLASTIC",
    "블럭류플라스틱": "PLASTIC",
    "즉석밥용기": "PLASTIC",
    "즉석밥용기류": "PLASTIC",
    "즉석밥용기pp": "PLASTIC",
    "햇반용기": "PLASTIC",
    "장난감": "PLASTIC",  # collected as plastic toys (블럭류)
    "장난감류": "PLASTIC",
    "블럭류장난감": "PLASTIC",
    "빨대": "PLASTIC",
    # vinyl / film
    "비닐": "VINYL",
    "비닐류": "VINYL",
    "pe비닐": "VINYL",
    "스티로폼": "STYROFOAM",
    # metal
    "캔": "METAL",
    "캔류": "METAL",
    "알루미늄": "METAL",
    "알루미늄캔": "METAL",
    "철": "METAL",
    "철캔": "METAL",
    "고철": "METAL",
    # paper
    "서적": "PAPER",
    "책": "PAPER",
    "일반종이": "PAPER",
    "일반종이류": "PAPER",
    "종이": "PAPER",
    "종이류": "PAPER",
    "종이박스": "PAPER",
    "신문": "PAPER",
    "신문지": "PAPER",
    "신문지류": "PAPER",
    "서적및신문지류": "PAPER",
    # paper packs; 멸균/살균 are what's left of "종이팩(멸균,살균)" if split carelessly
    "종이팩": "PAPER_PACK",
    "우유팩": "PAPER_PACK",
    "멸균팩": "PAPER_PACK",
    "살균팩": "PAPER_PACK",
    "멸균": "PAPER_PACK",
    "살균": "PAPER_PACK",
    # clothing and textiles
    "의류": "CLOTHING",
    "의류외": "CLOTHING",
    "외류외": "CLOTHING",  # typo of 의류 외 in the source
    "헌옷": "CLOTHING",
    "중고의류": "CLOTHING",
    "가방": "CLOTHING",
    "신발": "CLOTHING",
    # batteries, lighting, electronics
    "폐건전지": "BATTERY",
    "건전지": "BATTERY",
    "형광등": "LIGHTING",
    "폐형광등": "LIGHTING",
    "소형가전": "ELECTRONICS",
    "폐가전": "ELECTRONICS",
    # glass bottles
    "소주병": "GLASS_BOTTLE",
    "맥주병": "GLASS_BOTTLE",
    "기타병": "GLASS_BOTTLE",
    "녹색병": "GLASS_BOTTLE",
    "갈색병": "GLASS_BOTTLE",
    "투명병": "GLASS_BOTTLE",
    "유리병": "GLASS_BOTTLE",
    "병": "GLASS_BOTTLE",
}

# Fallback when the table has no exact entry: first rule whose keyword occurs wins, so the
# specific rules (clear PET, 팩) come before the broad ones (PET, 병, 철).
ITEM_KEYWORD_RULES: Final[tuple[tuple[tuple[str, ...], str], ...]] = (
    (("투명페트", "투명패트", "무색페트", "투명pet", "무색pet"), "CLEAR_PET"),
    (("종이팩", "우유팩", "멸균팩", "살균팩"), "PAPER_PACK"),
    (("비닐",), "VINYL"),
    (("스티로폼",), "STYROFOAM"),
    (
        ("페트", "패트", "pet", "플라스틱", "플리스틱", "장난감", "블럭", "블록", "햇반", "즉석밥"),
        "PLASTIC",
    ),
    (("종이", "서적", "신문", "박스"), "PAPER"),
    (("건전지", "배터리"), "BATTERY"),
    (("형광등", "전구"), "LIGHTING"),
    (("가전", "전자제품", "휴대폰"), "ELECTRONICS"),
    (("캔", "알루미늄", "고철", "철"), "METAL"),
    (("의류", "헌옷", "옷", "가방", "신발"), "CLOTHING"),
    (("병",), "GLASS_BOTTLE"),
)

# Bare colours ("투명, 갈색,녹색병") only make sense next to what they describe; see
# _colour_category().
COLOUR_WORDS: Final[frozenset[str]] = frozenset({"투명", "무색", "유색", "갈색", "녹색"})
CONTEXT_PET: Final = "pet"
CONTEXT_GLASS: Final = "glass"

# Filler that is neither an item nor worth reporting.
NOISE_WORDS: Final[frozenset[str]] = frozenset({"등", "기타", "외", "및", "etc", "etc."})


@dataclass(frozen=True)
class CollectedItems:
    categories: tuple[str, ...]  # sorted, unique taxonomy codes
    unmapped: tuple[str, ...]  # item texts that mapped to nothing, in order of appearance


def normalise_item(text: str) -> str:
    """Canonical form for lookups: NFKC (full-width letters, brackets), lower-case, no spaces."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).lower()


def map_item(text: str, context: str | None = None) -> str | None:
    """Category code for one collected-item token, or None if it maps to nothing.

    `context` (CONTEXT_PET / CONTEXT_GLASS / None) disambiguates bare colour words.
    """
    key = normalise_item(text)
    if key in COLOUR_WORDS:
        return _colour_category(key, context)
    for candidate in _lookup_keys(key):
        if candidate in ITEM_CATEGORIES:
            return ITEM_CATEGORIES[candidate]
    for candidate in _lookup_keys(key):
        category = _keyword_category(candidate)
        if category is not None:
            return category
    return None


def _lookup_keys(key: str) -> list[str]:
    # "PP(햇반용기)" and fragments like "종이팩(멸균" or "신발)" are named by the text before
    # the bracket; then try the whole text with brackets dropped.
    head = key.split("(", 1)[0].strip(")")
    unbracketed = key.replace("(", "").replace(")", "")
    return [candidate for candidate in (key, head, unbracketed) if candidate]


def _keyword_category(key: str) -> str | None:
    for keywords, category in ITEM_KEYWORD_RULES:
        if any(keyword in key for keyword in keywords):
            return category
    return None


def _colour_category(colour: str, context: str | None) -> str | None:
    if context == CONTEXT_GLASS:
        return "GLASS_BOTTLE"
    if context == CONTEXT_PET:
        return "CLEAR_PET" if colour in {"투명", "무색"} else "PLASTIC"
    # No context: drink PET must be colourless since 2020, so brown/green almost always means
    # glass bottles; "투명"/"무색"/"유색" alone could be either and stay unmapped.
    return "GLASS_BOTTLE" if colour in {"갈색", "녹색"} else None


def _context_hint(text: str) -> str | None:
    """What material a token (or group label) talks about, to resolve neighbouring colours."""
    key = normalise_item(text)
    if key in COLOUR_WORDS:
        return None
    if any(word in key for word in ("페트", "패트", "pet", "플라스틱", "플리스틱")):
        return CONTEXT_PET
    if "병" in key or "유리" in key:
        return CONTEXT_GLASS
    return None


def parse_collected_items(text: str | None) -> CollectedItems:
    """Map a clctItemCn value to taxonomy codes, reporting what could not be mapped.

    Lines are items or group labels ("(캔류)"). Decision: a label never adds a category by
    itself (a heading with nothing under it proves nothing); it only gives context to bare
    colour words below it.
    """
    categories: set[str] = set()
    unmapped: list[str] = []
    group_hint: str | None = None
    previous_hint: str | None = None
    for line in (text or "").splitlines():
        label, rest = _split_label(line.strip())
        if label is not None:
            group_hint, previous_hint = _context_hint(label), None
        tokens = [token for token in _split_top_level(rest) if not _is_noise(token)]
        line_hint = next((h for h in map(_context_hint, tokens) if h is not None), None)
        for token in tokens:
            context = line_hint or previous_hint or group_hint
            category = map_item(token, context)
            if category is None:
                if token not in unmapped:
                    unmapped.append(token)
            else:
                categories.add(category)
            previous_hint = _context_hint(token) or previous_hint
    return CollectedItems(categories=tuple(sorted(categories)), unmapped=tuple(unmapped))


def _split_label(line: str) -> tuple[str | None, str]:
    """Split a leading "(…)" group label from the rest of the line.

    "(폐건전지 교환) 폐건전지 20개<->새건전지 2개" -> label + item; "(캔류((음료))" (never closes)
    -> all label.
    """
    if not line.startswith("("):
        return None, line
    depth = 0
    for index, char in enumerate(line):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return line[: index + 1], line[index + 1 :].strip()
    return line, ""


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside parentheses: "외류 외(가방, 신발)" stays one token."""
    tokens: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        if char == "," and depth == 0:
            tokens.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    tokens.append("".join(current).strip())
    return [token for token in tokens if token]


def _is_noise(token: str) -> bool:
    key = normalise_item(token)
    has_letters = re.search(r"[a-z\uac00-\ud7a3]", key) is not None
    return not has_letters or key in NOISE_WORDS


# ============================================================================== phones

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


# ============================================================================== rows -> sites


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


# ============================================================================== files


def decode_keco_bytes(data: bytes) -> str:
    """UTF-8 (with or without BOM) first, then CP949/EUC-KR, which the government portal serves."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        try:
            return data.decode("cp949")
        except UnicodeDecodeError:
            raise KecoFormatError(
                f"file is not valid UTF-8 ({utf8_error.reason} at byte {utf8_error.start}) "
                "nor CP949/EUC-KR text"
            ) from None


def _iter_records(text: str) -> Iterator[tuple[int, list[str], list[str]]]:
    """Yield (start line, header, fields) per record; multi-line quoted fields count as one."""
    # newline="" keeps line endings inside quoted fields intact, as the csv module requires.
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lstrip("\ufeff") for name in next(reader)]
    except StopIteration:
        raise KecoFormatError("empty file: no header row") from None
    except csv.Error as error:
        raise KecoFormatError(f"bad CSV header: {error}") from None
    _check_header(header)
    previous_end = reader.line_num
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise KecoFormatError(f"bad CSV near line {reader.line_num}: {error}") from None
        start, previous_end = previous_end + 1, reader.line_num
        # Blank lines and rows of only empty cells (spreadsheet leftovers) are not records.
        if any(value.strip() for value in fields):
            yield start, header, fields


def _check_header(header: list[str]) -> None:
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise KecoFormatError(f"duplicate columns: {', '.join(duplicates)}")
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise KecoFormatError(f"missing columns: {', '.join(missing)}")


def _read_text(path: str | os.PathLike[str]) -> str:
    return decode_keco_bytes(Path(path).read_bytes())


def read_raw_rows(path: str | os.PathLike[str]) -> list[dict[str, str]]:
    """The file's records as column -> raw text dicts (header validated, nothing interpreted)."""
    records = _iter_records(_read_text(path))
    return [dict(zip(header, fields, strict=False)) for _, header, fields in records]


def parse_bytes(data: bytes) -> ParseResult:
    """Parse KECO CSV content; see parse_file()."""
    result = ParseResult()
    unmapped: Counter[str] = Counter()
    first_line_of: dict[str, int] = {}
    for line, header, fields in _iter_records(decode_keco_bytes(data)):
        try:
            site = _record_to_site(header, fields, first_line_of)
        except _RowRejected as rejected:
            serial = _serial_of(header, fields)
            result.skipped.append(SkippedRow(line=line, source_id=serial, reason=str(rejected)))
            continue
        first_line_of[site.source_id] = line
        result.sites.append(site)
        unmapped.update(site.unmapped_items)
    result.unmapped = dict(sorted(unmapped.items(), key=lambda item: (-item[1], item[0])))
    return result


def _serial_of(header: list[str], fields: list[str]) -> str | None:
    index = header.index("positnSn")
    return _clean(fields[index]) if index < len(fields) else None


def _record_to_site(header: list[str], fields: list[str], first_line_of: Mapping[str, int]) -> Site:
    if len(fields) != len(header):
        # A shifted row would silently put e.g. an address into the latitude column.
        raise _RowRejected(f"row has {len(fields)} fields, header has {len(header)}")
    site = row_to_site(dict(zip(header, fields, strict=True)))
    if site.source_id in first_line_of:
        raise _RowRejected(
            f"duplicate positnSn {site.source_id} (first at line {first_line_of[site.source_id]})"
        )
    return site


def parse_file(path: str | os.PathLike[str]) -> ParseResult:
    """Parse a KECO compensation-site CSV into Sites, skipped rows (with reasons), unmapped items.

    Raises KecoFormatError when the file itself is unusable (encoding, CSV syntax, missing
    required columns). Bad individual rows never raise; they are reported in `skipped`.
    """
    return parse_bytes(Path(path).read_bytes())


def facts_only(row: Mapping[str, str]) -> dict[str, str]:
    """A full KECO row (every column, in order) with the prose columns emptied."""
    return {
        column: "" if column in PROSE_COLUMNS else row.get(column, "") for column in KECO_COLUMNS
    }


def write_facts_csv(sites_rows: Iterable[Mapping[str, str]], path: str | os.PathLike[str]) -> int:
    """Write raw KECO rows as a valid KECO CSV (UTF-8, full header) minus prose; returns the count.

    Quoting is left to the csv module so multi-line fields (hours, items, phones) stay valid.
    """
    count = 0
    with Path(path).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=KECO_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for row in sites_rows:
            writer.writerow(facts_only(row))
            count += 1
    return count
