"""Tests for the KECO compensation-site parser (pure: no database, no network)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from locations import keco
from locations.keco import (
    ALL_DAY,
    CLOSED,
    KECO_COLUMNS,
    PROSE_COLUMNS,
    REQUIRED_COLUMNS,
    KecoFormatError,
    OpeningHours,
    extract_phone,
    map_item,
    parse_bytes,
    parse_collected_items,
    parse_file,
    parse_hours,
    parse_opening_hours,
    write_facts_csv,
)

SEOUL = ZoneInfo("Asia/Seoul")
FILE_NAME = "keco_recycle_compensation_sites.csv"
REPO_FILE = Path(keco.__file__).parent.parent / "data" / FILE_NAME  # keco is a package


# Rows of the source file as published (prose columns and all): its first 24 rows and every
# row the parser skips. The repo's data file keeps only the facts, of every row.
SOURCE_EXCERPT = Path(__file__).parent / "data" / "keco_source_excerpt.csv"


def _row(**values: str) -> dict[str, str]:
    """A valid KECO row; keyword arguments override columns."""
    row = dict.fromkeys(KECO_COLUMNS, "")
    row.update(
        positnSn="1",
        positnNm="테스트 자원순환가게",
        positnRgnNm="성남시",
        positnLotnoAddr="경기도 성남시 분당구 정자동 1",
        positnRdnmAddr="경기도 성남시 분당구 정자일로 1",
        positnPstnLat="37.36",
        positnPstnLot="127.11",
        monSalsHrExplnCn="09:00~18:00",
        tuesSalsHrExplnCn="09:00~18:00",
        wedSalsHrExplnCn="09:00~18:00",
        thurSalsHrExplnCn="09:00~18:00",
        friSalsHrExplnCn="09:00~18:00",
        satSalsHrExplnCn="휴무",
        sunSalsHrExplnCn="휴무",
        lhldySalsHrExplnCn="휴무",
        rprsTelnoCn="031-729-3203",
        clctItemCn="투명페트병\n캔",
    )
    row.update(values)
    return row


def _csv_text(rows: list[dict[str, str]], columns: tuple[str, ...] = KECO_COLUMNS) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _write(tmp_path: Path, rows: list[dict[str, str]], **kwargs: object) -> Path:
    path = tmp_path / FILE_NAME
    path.write_text(_csv_text(rows, **kwargs), encoding="utf-8")  # type: ignore[arg-type]
    return path


# ============================================================================== hours


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00 ~ 21:00", ((540, 1260),)),
        ("09:00~18:00", ((540, 1080),)),
        ("9:00 ~ 11:00", ((540, 660),)),
        ("09:30 ~ 12:30", ((570, 750),)),
        ("08시~22시", ((480, 1320),)),
        ("10시~22시         ", ((600, 1320),)),
        # seasonal variant in a note: the main range is the answer
        ("10시~22시         (하절기(7~9월) 10시~23시)", ((600, 1320),)),
        ("10시~22시         (하절기(7~9월)     10시~23시)", ((600, 1320),)),
        ("00:00~24:00", ALL_DAY),
        ("상시", ALL_DAY),
        ("휴무", CLOSED),
        ("전체휴무", CLOSED),
        ("계약종료", CLOSED),
        ("09:00 ~ 12:00,\n14:00 ~ 17:00", ((540, 720), (840, 1020))),
        ("9:00 ~ 11:00\n15:00 ~ 17:00", ((540, 660), (900, 1020))),
        # open only some weeks of the month: "open now" can't be claimed honestly
        ("10:00~12:00\n14:00~16:00\n(1,3,5주)", None),
        ("10:00~12:00\n14:00~16:00\n(2, 4주)", None),
        # unknown or unparseable: never a guess
        ("", None),
        ("   ", None),
        (None, None),
        ("문의", None),
        ("09:00~18:00 점심시간 제외", None),
        ("22:00~02:00", None),
        ("25:00~26:00", None),
        ("09:00~18:00 (공사중", None),
    ],
)
def test_parse_hours(text: str | None, expected: object) -> None:
    assert parse_hours(text) == expected


def test_every_weekday_note_must_match_the_column() -> None:
    text = "10:00~12:00\n14:00~16:00\n(매주 목요일)"
    assert parse_hours(text, weekday=3) == ((600, 720), (840, 960))
    assert parse_hours(text, weekday=0) is None  # "every Thursday" in the Monday column
    assert parse_hours(text) is None


def test_opening_hours_from_row_keeps_holiday_column() -> None:
    hours = parse_opening_hours(_row(sunSalsHrExplnCn="상시", lhldySalsHrExplnCn="08시~22시"))
    assert hours.weekdays[0] == ((540, 1080),)
    assert hours.weekdays[5] == CLOSED
    assert hours.weekdays[6] == ALL_DAY
    assert hours.holiday == ((480, 1320),)


def test_contract_ended_closes_the_whole_site() -> None:
    row = _row(**dict.fromkeys(keco.HOURS_COLUMNS[:5], "계약종료"), satSalsHrExplnCn="상시")
    assert parse_opening_hours(row) == OpeningHours.closed()


# ============================================================================== is_open


def _seoul(*args: int) -> datetime:
    return datetime(*args, tzinfo=SEOUL)  # type: ignore[misc]


# 2024-06-03 is a Monday.
WEEKDAY_9_TO_18 = OpeningHours(weekdays=(*(((540, 1080),),) * 5, CLOSED, None), holiday=CLOSED)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (_seoul(2024, 6, 3, 8, 59), False),
        (_seoul(2024, 6, 3, 9, 0), True),
        (_seoul(2024, 6, 3, 17, 59, 59), True),
        (_seoul(2024, 6, 3, 18, 0), False),  # end is exclusive
        (_seoul(2024, 6, 8, 12, 0), False),  # Saturday: closed
        (_seoul(2024, 6, 9, 12, 0), None),  # Sunday: unknown
        # UTC input: Sunday 23:30 UTC is Monday 08:30 KST, Monday 00:30 UTC is 09:30 KST
        (datetime(2024, 6, 2, 23, 30, tzinfo=UTC), False),
        (datetime(2024, 6, 3, 0, 30, tzinfo=UTC), True),
        # Friday 09:10 UTC = Friday 18:10 KST: closed though 09:10 looks "open"
        (datetime(2024, 6, 7, 9, 10, tzinfo=UTC), False),
        # 02:30 at UTC+2 is 09:30 KST
        (datetime(2024, 6, 3, 2, 30, tzinfo=timezone(timedelta(hours=2))), True),
    ],
)
def test_is_open(at: datetime, expected: bool | None) -> None:
    assert WEEKDAY_9_TO_18.is_open(at) is expected


def test_is_open_until_midnight_and_split_day() -> None:
    hours = OpeningHours(
        weekdays=(ALL_DAY, ((600, 720), (840, 960)), *(((1200, 1440),),) * 5), holiday=None
    )
    assert hours.is_open(_seoul(2024, 6, 3, 23, 59, 59)) is True  # 00:00~24:00
    assert hours.is_open(_seoul(2024, 6, 3, 0, 0)) is True
    assert hours.is_open(_seoul(2024, 6, 4, 13, 0)) is False  # lunch gap
    assert hours.is_open(_seoul(2024, 6, 4, 15, 0)) is True
    assert hours.is_open(_seoul(2024, 6, 5, 23, 59)) is True  # 20:00~24:00
    # Wednesday 15:00 UTC is Thursday 00:00 KST: Thursday 20:00~24:00 hasn't begun
    assert hours.is_open(datetime(2024, 6, 5, 15, 0, tzinfo=UTC)) is False
    assert hours.is_open(datetime(2024, 6, 5, 14, 59, tzinfo=UTC)) is True


def test_unknown_hours_are_none_and_naive_datetimes_rejected() -> None:
    assert OpeningHours.unknown().is_open(_seoul(2024, 6, 3, 12, 0)) is None
    with pytest.raises(ValueError, match="aware"):
        WEEKDAY_9_TO_18.is_open(datetime(2024, 6, 3, 12, 0))


def test_holiday_column_is_ignored_by_is_open() -> None:
    hours = OpeningHours(weekdays=(((540, 1080),),) * 7, holiday=CLOSED)
    assert hours.is_open(_seoul(2024, 8, 15, 10, 0)) is True  # 광복절, a Thursday


# ============================================================================== JSON


def test_json_round_trip_is_exact() -> None:
    hours = OpeningHours(
        weekdays=(ALL_DAY, CLOSED, None, ((540, 720), (840, 1020)), CLOSED, None, ((0, 60),)),
        holiday=((480, 1320),),
    )
    data = hours.to_json()
    assert data == {
        "mon": [[0, 1440]],
        "tue": [],
        "wed": None,
        "thu": [[540, 720], [840, 1020]],
        "fri": [],
        "sat": None,
        "sun": [[0, 60]],
        "holiday": [[480, 1320]],
    }
    stored = json.loads(json.dumps(data))  # what JSONB gives back
    assert OpeningHours.from_json(stored) == hours
    assert OpeningHours.from_json(stored).to_json() == data


@pytest.mark.parametrize(
    "bad",
    [
        {"mon": []},
        {**OpeningHours.unknown().to_json(), "mon": [[600, 500]]},
        {**OpeningHours.unknown().to_json(), "mon": [[0, 1500]]},
        {**OpeningHours.unknown().to_json(), "mon": [[0, 100], [50, 200]]},
        {**OpeningHours.unknown().to_json(), "mon": "09:00~18:00"},
        {**OpeningHours.unknown().to_json(), "mon": [[True, 100]]},
    ],
)
def test_from_json_rejects_invalid(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        OpeningHours.from_json(bad)


# ============================================================================== items


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("투명페트병", "CLEAR_PET"),
        ("투명패트병", "CLEAR_PET"),
        ("투명페트명", "CLEAR_PET"),  # typo in the source
        ("무색페트병", "CLEAR_PET"),
        ("투명PET", "CLEAR_PET"),
        ("투명pet", "CLEAR_PET"),
        ("무색페트병(투명페트병)", "CLEAR_PET"),
        ("무색페트병(투명페트병", "CLEAR_PET"),  # unbalanced in the source
        ("유색페트병", "PLASTIC"),
        ("유색 PET", "PLASTIC"),
        ("유색PET", "PLASTIC"),
        ("PET(유색)", "PLASTIC"),
        ("유색혼합PET", "PLASTIC"),
        ("판PET", "PLASTIC"),
        ("판페트", "PLASTIC"),
        ("PET", "PLASTIC"),
        ("PP", "PLASTIC"),
        ("PE", "PLASTIC"),
        ("PS", "PLASTIC"),
        ("other", "PLASTIC"),
        ("OTHER", "PLASTIC"),
        ("others", "PLASTIC"),
        ("ＰＰ", "PLASTIC"),  # full-width latin
        ("PP(햇반용기)", "PLASTIC"),
        ("즉석밥용기", "PLASTIC"),
        ("즉석밥용기 PP", "PLASTIC"),
        ("햇반용기(PP)", "PLASTIC"),
        ("플라스틱", "PLASTIC"),
        ("플라스틱(PE)", "PLASTIC"),
        ("블럭류 장난감", "PLASTIC"),
        ("장난감", "PLASTIC"),
        ("장난감류(블럭류)", "PLASTIC"),
        ("빨대", "PLASTIC"),
        ("기타플라스틱류(OTHER, PE, PS, 판PET)", "PLASTIC"),
        ("알루미늄", "METAL"),
        ("알루미늄 캔", "METAL"),
        ("알루미늄캔", "METAL"),
        ("철", "METAL"),
        ("철 캔", "METAL"),
        ("캔", "METAL"),
        ("고철", "METAL"),
        ("서적", "PAPER"),
        ("일반종이", "PAPER"),
        ("일반 종이류", "PAPER"),
        ("신문지", "PAPER"),
        ("서적 및 신문지류", "PAPER"),
        ("종이박스", "PAPER"),
        ("종이류", "PAPER"),
        ("종이팩", "PAPER_PACK"),
        ("우유팩", "PAPER_PACK"),
        ("멸균팩", "PAPER_PACK"),
        ("종이팩(멸균팩포함)", "PAPER_PACK"),
        ("종이팩(멸균,살균)", "PAPER_PACK"),
        ("비닐", "VINYL"),
        ("PE비닐", "VINYL"),
        ("의류", "CLOTHING"),
        ("의류 외", "CLOTHING"),
        ("헌옷", "CLOTHING"),
        ("중고의류", "CLOTHING"),
        ("가방", "CLOTHING"),
        ("신발", "CLOTHING"),
        ("외류 외(가방, 신발)", "CLOTHING"),  # typo of 의류 외
        ("폐건전지", "BATTERY"),
        ("폐건전지 20개<->새건전지 2개", "BATTERY"),
        ("소주병", "GLASS_BOTTLE"),
        ("맥주병", "GLASS_BOTTLE"),
        ("기타병", "GLASS_BOTTLE"),
        ("녹색병", "GLASS_BOTTLE"),
        ("갈색", "GLASS_BOTTLE"),  # a bottle colour
        ("형광등", "LIGHTING"),
        ("스티로폼", "STYROFOAM"),
        # fragments left by a naive comma split inside parentheses
        ("종이팩(멸균", "PAPER_PACK"),
        ("살균)", "PAPER_PACK"),
        ("외류 외(가방", "CLOTHING"),
        ("신발)", "CLOTHING"),
        ("기타플라스틱류(OTHER", "PLASTIC"),
        ("판PET)", "PLASTIC"),
        # nothing to map
        ("폐식용유", None),
        ("투명", None),  # clear PET or clear glass? needs context
    ],
)
def test_map_item(item: str, expected: str | None) -> None:
    assert map_item(item) == expected


def test_only_taxonomy_codes_are_emitted() -> None:
    assert set(keco.ITEM_CATEGORIES.values()) <= keco.CATEGORY_CODES
    assert {code for _, code in keco.ITEM_KEYWORD_RULES} <= keco.CATEGORY_CODES


def test_colour_words_take_their_context() -> None:
    assert map_item("투명", keco.CONTEXT_PET) == "CLEAR_PET"
    assert map_item("투명", keco.CONTEXT_GLASS) == "GLASS_BOTTLE"
    assert map_item("갈색", keco.CONTEXT_PET) == "PLASTIC"
    # siblings on the same line decide: "투명, 갈색,녹색병" are glass bottles
    assert parse_collected_items("투명, 갈색,녹색병").categories == ("GLASS_BOTTLE",)
    # after a PET item, a bare 투명 is clear PET
    assert parse_collected_items("투명페트병\n투명").categories == ("CLEAR_PET",)
    assert parse_collected_items("(플라스틱류)\n투명").categories == ("CLEAR_PET",)


def test_collected_items_with_labels_typos_and_nested_commas() -> None:
    text = (
        "(플리스틱류)\n무색페트병\n유색PET\nother\nPE\nPP\nPS\n(비닐류)\n비닐\n(캔류)\n알루미늄\n"
        "철캔\n투명, 갈색,녹색병\n(중고의류)\n의류\n외류 외(가방, 신발)\n(종이류)\n종이팩\n서적\n"
        "일반종이"
    )
    items = parse_collected_items(text)
    assert items.categories == (
        "CLEAR_PET", "CLOTHING", "GLASS_BOTTLE", "METAL", "PAPER", "PAPER_PACK", "PLASTIC", "VINYL",
    )  # fmt: skip
    assert items.unmapped == ()


def test_labels_alone_add_no_category() -> None:
    assert parse_collected_items("(캔류)\n(완구류)").categories == ()
    assert parse_collected_items("(캔류((음료))\n알루미늄").categories == ("METAL",)
    battery = parse_collected_items("(폐건전지 교환) 폐건전지 20개<->새건전지 2개")
    assert battery.categories == ("BATTERY",)


def test_unmapped_items_are_reported_without_noise() -> None:
    items = parse_collected_items(
        "투명페트병\n폐식용유, 등\n(기타류)\n-\n폐식용유\n아이스팩 재사용"
    )
    assert items.categories == ("CLEAR_PET",)
    # reported once each, in order; "등", "-" and the label "(기타류)" are not items
    assert items.unmapped == ("폐식용유", "아이스팩 재사용")


def test_empty_items() -> None:
    assert parse_collected_items("") == keco.CollectedItems(categories=(), unmapped=())
    assert parse_collected_items(None).categories == ()


# ============================================================================== phones


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (("031-8075-2706", ""), "031-8075-2706"),
        (("", "031-8075-2706~2708\n고양시청 자원순환과 자원재활용팀"), "031-8075-2706"),
        (("063-2706613", ""), "063-270-6613"),
        (("1600-6217", "슈퍼빈 콜센터(1600-6233)"), "1600-6217"),
        (("02-3153-9245", ""), "02-3153-9245"),
        (("", "서울특별시 마포구 자원순환과(02 3153 9245)"), "02-3153-9245"),
        (("", "경기도 성남시 자원순환과(031-729-3203, 3220)"), "031-729-3203"),
        (("", "850-6921(자원순환과)"), None),  # no area code: not dialable
        (("", ""), None),
    ],
)
def test_extract_phone(texts: tuple[str, str], expected: str | None) -> None:
    assert extract_phone(*texts) == expected


# ============================================================================== single rows


def test_site_fields(tmp_path: Path) -> None:
    path = _write(
        tmp_path, [_row(positnRdnmAddr="없음", bscTelnoCn="031-729-3203", rprsTelnoCn="")]
    )
    (site,) = parse_file(path).sites
    assert site.source_id == "1"
    assert site.address == "경기도 성남시 분당구 정자동 1"  # road address "없음" -> lot address
    assert site.lot_address == "경기도 성남시 분당구 정자동 1"
    assert (site.latitude, site.longitude) == (37.36, 127.11)
    assert site.phone == "031-729-3203"
    assert site.region == "성남시"
    assert site.kind == "COMPENSATION_SHOP"
    assert site.accepted_categories == ("CLEAR_PET", "METAL")
    assert site.opening_hours.weekdays[0] == ((540, 1080),)


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"positnPstnLat": "abc"}, "invalid latitude 'abc'"),
        ({"positnPstnLot": "127.7.23106"}, "invalid longitude '127.7.23106'"),
        ({"positnPstnLat": ""}, "missing latitude/longitude"),
        ({"positnPstnLot": " "}, "missing latitude/longitude"),
        ({"positnPstnLat": "5.1571039"}, "latitude out of range"),
        ({"positnPstnLot": "12.7"}, "longitude out of range"),
        ({"positnPstnLat": "nan"}, "invalid latitude 'nan'"),
        ({"positnNm": "  "}, "missing name"),
        ({"positnSn": ""}, "missing positnSn"),
        ({"positnRdnmAddr": "", "positnLotnoAddr": "없음"}, "missing address"),
    ],
)
def test_bad_rows_are_skipped_with_reason(
    tmp_path: Path, override: dict[str, str], reason: str
) -> None:
    rows = [_row(positnSn="7", clctItemCn="캔"), _row(**{"positnSn": "8", **override})]
    path = _write(tmp_path, rows)
    result = parse_file(path)
    assert [site.source_id for site in result.sites] == ["7"]
    (skipped,) = result.skipped
    assert skipped.line == 3
    assert skipped.source_id == (override.get("positnSn", "8") or None)
    assert skipped.reason.startswith(reason)


def test_duplicate_serial_and_line_numbers_follow_multiline_records(tmp_path: Path) -> None:
    rows = [
        _row(positnSn="12", clctItemCn="투명페트병\n캔\n비닐"),  # lines 2-4
        _row(positnSn="13", clctItemCn="캔"),  # line 5
        _row(positnSn="12", clctItemCn="캔"),  # line 6
    ]
    result = parse_file(_write(tmp_path, rows))
    assert [site.source_id for site in result.sites] == ["12", "13"]
    (skipped,) = result.skipped
    assert (skipped.line, skipped.source_id) == (6, "12")
    assert skipped.reason == "duplicate positnSn 12 (first at line 2)"


def test_short_row_is_skipped(tmp_path: Path) -> None:
    text = _csv_text([_row()]) + "2,짧은 행,성남시\n"
    result = parse_bytes(text.encode())
    assert len(result.sites) == 1
    assert result.skipped[0].reason == f"row has 3 fields, header has {len(KECO_COLUMNS)}"
    assert result.skipped[0].source_id == "2"


def test_unmapped_counts_per_file(tmp_path: Path) -> None:
    rows = [
        _row(positnSn="1", clctItemCn="폐식용유\n투명페트병"),
        _row(positnSn="2", clctItemCn="폐식용유"),
        _row(positnSn="3", clctItemCn="커피캡슐"),
    ]
    result = parse_file(_write(tmp_path, rows))
    assert result.unmapped == {"폐식용유": 2, "커피캡슐": 1}
    assert result.sites[0].unmapped_items == ("폐식용유",)
    assert result.sites[1].accepted_categories == ()


# ============================================================================== malformed files


def test_missing_columns_raise(tmp_path: Path) -> None:
    columns = tuple(c for c in KECO_COLUMNS if c not in {"positnNm", "positnPstnLat"})
    path = _write(tmp_path, [_row()], columns=columns)
    with pytest.raises(KecoFormatError, match="missing columns: positnNm, positnPstnLat"):
        parse_file(path)


def test_optional_columns_may_be_missing(tmp_path: Path) -> None:
    (site,) = parse_file(_write(tmp_path, [_row()], columns=REQUIRED_COLUMNS)).sites
    assert site.opening_hours == OpeningHours.unknown()
    assert site.phone is None
    assert site.accepted_categories == ()


def test_undecodable_and_empty_files_raise(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(b"positnSn,positnNm\n1,\xff\xff\xff\n")
    with pytest.raises(KecoFormatError, match="not valid UTF-8"):
        parse_file(path)
    with pytest.raises(KecoFormatError, match="empty"):
        parse_bytes(b"")


def test_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(_csv_text([_row()]).encode("utf-8-sig"))
    assert len(parse_file(path).sites) == 1


def test_cp949_copy_parses_the_same(tmp_path: Path) -> None:
    path = tmp_path / "cp949.csv"
    path.write_bytes(REPO_FILE.read_text(encoding="utf-8").encode("cp949"))
    original, copy = parse_file(REPO_FILE), parse_file(path)
    assert copy.sites == original.sites
    assert copy.skipped == original.skipped


# ============================================================================== the real data


def test_repo_file_counts_and_reasons() -> None:
    result = parse_file(REPO_FILE)
    # Every row is a site or skipped with its reason: none is lost.
    assert len(result.sites) + len(result.skipped) == len(keco.read_raw_rows(REPO_FILE))
    assert len(result.sites) > 350
    assert all(s.reason and s.line > 1 and s.source_id for s in result.skipped)
    assert len({site.source_id for site in result.sites}) == len(result.sites)
    assert all(set(site.accepted_categories) <= keco.CATEGORY_CODES for site in result.sites)
    assert sum(result.unmapped.values()) == sum(len(s.unmapped_items) for s in result.sites)
    for site in result.sites:
        assert OpeningHours.from_json(json.loads(json.dumps(site.opening_hours.to_json()))) == (
            site.opening_hours
        )


def test_repo_file_is_facts_only() -> None:
    with REPO_FILE.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == KECO_COLUMNS
        rows = list(reader)
    assert rows
    assert all(row[column] == "" for row in rows for column in PROSE_COLUMNS)


def test_repo_file_matches_the_source() -> None:
    source, repo = parse_file(SOURCE_EXCERPT), parse_file(REPO_FILE)
    assert source.sites and source.skipped
    repo_sites = {site.source_id: site for site in repo.sites}
    assert [repo_sites.get(site.source_id) for site in source.sites] == source.sites
    skipped_in_repo = {s.source_id: s.reason for s in repo.skipped}
    assert {s.source_id: s.reason for s in source.skipped} == skipped_in_repo
    # The excerpt's unmapped item names are a part of the repo file's, counted alike.
    assert all(repo.unmapped[name] >= count for name, count in source.unmapped.items())


def test_write_facts_csv_round_trip(tmp_path: Path) -> None:
    row = _row(positnIntdcCn="소개\n문구", etcMttrCn="비고", clctItemCn="(캔류)\n알루미늄, 철")
    path = tmp_path / "facts.csv"
    assert write_facts_csv([row], path) == 1
    (read_back,) = keco.read_raw_rows(path)
    assert read_back["positnIntdcCn"] == read_back["etcMttrCn"] == ""
    assert read_back["clctItemCn"] == "(캔류)\n알루미늄, 철"
    assert parse_file(path).sites[0].accepted_categories == ("METAL",)
