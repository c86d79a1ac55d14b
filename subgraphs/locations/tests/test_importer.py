"""The KECO importer against the real database: idempotent, in place, all or nothing."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from devstack.stack import Stack
from locations.importer import import_sites
from locations.keco import KecoFormatError, parse_file, read_raw_rows, write_facts_csv
from locations.seed import SITES_FILE

# Rows of the KECO file as published: its first 24 and every one the parser skips.
SOURCE_EXCERPT = Path(__file__).parent / "data" / "keco_source_excerpt.csv"


def _role_url(stack: Stack) -> str:
    return stack.role_url(next(s for s in stack.subgraphs if s.name == "locations"))


def _snapshot(url: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT id, source_id, name, latitude, longitude, accepted_categories, updated_at "
            "FROM drop_off_points ORDER BY source_id"
        ).fetchall()


def test_importing_the_repo_file_again_changes_nothing(stack: Stack) -> None:
    url = _role_url(stack)
    before = _snapshot(url)
    report = import_sites(url, SITES_FILE)
    parsed = parse_file(SITES_FILE)
    assert (report.inserted, report.updated) == (0, 0)
    assert report.unchanged == len(before) == len(parsed.sites)
    assert [s.source_id for s in report.skipped] == [s.source_id for s in parsed.skipped]
    assert all(s.reason for s in report.skipped)
    assert _snapshot(url) == before


def test_the_source_file_as_published_yields_the_same_points(stack: Stack) -> None:
    """Its prose columns (dropped from the repo's copy) change nothing."""
    url = _role_url(stack)
    before = _snapshot(url)
    report = import_sites(url, SOURCE_EXCERPT)
    sites = len(parse_file(SOURCE_EXCERPT).sites)
    assert (report.inserted, report.updated, report.unchanged) == (0, 0, sites)
    assert _snapshot(url) == before


def test_a_changed_row_updates_in_place(stack: Stack, tmp_path: Path) -> None:
    url = _role_url(stack)
    rows = read_raw_rows(SITES_FILE)
    target = next(r for r in rows if r["positnSn"] == "6")
    target["positnNm"] = "이마트 화정점 (이전)"
    changed = tmp_path / "changed.csv"
    write_facts_csv(rows, changed)
    before = {row[1]: row for row in _snapshot(url)}
    try:
        report = import_sites(url, changed)
        assert (report.inserted, report.updated, report.unchanged) == (0, 1, len(before) - 1)
        after = {row[1]: row for row in _snapshot(url)}
        assert after["6"][0] == before["6"][0]  # same id: updated, not replaced
        assert after["6"][2] == "이마트 화정점 (이전)"
    finally:
        import_sites(url, SITES_FILE)
    assert _snapshot(url)[0][2] == before[_snapshot(url)[0][1]][2]


def test_a_malformed_file_changes_nothing(stack: Stack, tmp_path: Path) -> None:
    url = _role_url(stack)
    before = _snapshot(url)
    header, *lines = SITES_FILE.read_text(encoding="utf-8").splitlines(keepends=True)
    broken = tmp_path / "broken.csv"
    broken.write_text(header.replace("positnPstnLat", "latitude") + "".join(lines))
    with pytest.raises(KecoFormatError, match="positnPstnLat"):
        import_sites(url, broken)
    not_csv = tmp_path / "image.csv"
    not_csv.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    with pytest.raises(KecoFormatError):
        import_sites(url, not_csv)
    assert _snapshot(url) == before


def test_points_gone_from_the_source_are_reported_and_pruned_on_request(
    stack: Stack, tmp_path: Path
) -> None:
    url = _role_url(stack)
    rows = [r for r in read_raw_rows(SITES_FILE) if r["positnSn"] != "6"]
    shorter = tmp_path / "shorter.csv"
    write_facts_csv(rows, shorter)
    try:
        kept = import_sites(url, shorter)
        assert kept.missing == ["6"] and kept.removed == 0
        assert "6" in {row[1] for row in _snapshot(url)}
        assert any("no longer in this file, kept" in line for line in kept.lines())
        pruned = import_sites(url, shorter, prune=True)
        assert (pruned.missing, pruned.removed) == (["6"], 1)
        assert "6" not in {row[1] for row in _snapshot(url)}
    finally:
        restored = import_sites(url, SITES_FILE)
    assert restored.inserted == 1 and len(_snapshot(url)) == len(parse_file(SITES_FILE).sites)


def test_collected_items_map_onto_the_shared_taxonomy() -> None:
    from bunri_shared.taxonomy import load_taxonomy
    from locations.importer import search_categories
    from locations.keco import CATEGORY_CODES

    codes = {entry.code for entry in load_taxonomy()}
    assert codes >= CATEGORY_CODES
    assert search_categories(("PAPER", "BATTERY")) == ["BATTERY", "PAPER", "RECYCLABLE"]
