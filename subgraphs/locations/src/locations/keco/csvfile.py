"""KECO CSV files: decoding, header checks, record iteration, parsing and the facts-only copy."""

from __future__ import annotations

import csv
import io
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from locations.keco.columns import KECO_COLUMNS, PROSE_COLUMNS, REQUIRED_COLUMNS
from locations.keco.sites import ParseResult, Site, SkippedRow, _clean, _RowRejected, row_to_site


class KecoFormatError(ValueError):
    """The file as a whole is not a readable KECO CSV (encoding, header, CSV syntax)."""


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
