"""Opening hours: the OpeningHours value and the parser for KECO's free-text hours columns."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from locations.keco.columns import HOLIDAY_HOURS_COLUMN, HOURS_COLUMNS

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
