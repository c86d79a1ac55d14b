"""Import KECO-format drop-off sites: idempotent, all or nothing, every skip explained."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from bunri_shared.data_version import bump_data_version
from bunri_shared.db import search_path, with_driver
from bunri_shared.taxonomy import load_taxonomy
from locations.keco import ParseResult, Site, SkippedRow, parse_file
from locations.models import DATA_VERSION, SCHEMA, DropOffPoint

SOURCE = "keco"
COMPARED = (
    "name", "address", "lot_address", "region", "latitude", "longitude", "kind",
    "phone", "opening_hours", "accepted_categories", "search_categories", "unmapped_items",
)  # fmt: skip


@dataclass
class ImportReport:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[SkippedRow] = field(default_factory=list)
    unmapped: dict[str, int] = field(default_factory=dict)
    # In the database from an earlier import, absent from this file.
    missing: list[str] = field(default_factory=list)
    removed: int = 0

    def lines(self) -> list[str]:
        lines = [
            f"{self.inserted} inserted, {self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.skipped)} skipped"
        ]
        lines += [
            f"  skipped line {s.line} ({s.source_id or '?'}): {s.reason}" for s in self.skipped
        ]
        lines += [f"  unmapped item {item!r} × {n}" for item, n in sorted(self.unmapped.items())]
        if self.missing:
            fate = "removed" if self.removed else "kept (--prune removes them)"
            lines.append(
                f"{len(self.missing)} points are no longer in this file, {fate}: "
                + ", ".join(self.missing[:20])
                + (" …" if len(self.missing) > 20 else "")
            )
        return lines


def _natural(source_id: str) -> tuple[int, str]:
    return (int(source_id), "") if source_id.isdigit() else (0, source_id)


@cache
def _parents() -> dict[str, str | None]:
    return {entry.code: entry.parent for entry in load_taxonomy()}


def search_categories(codes: tuple[str, ...]) -> list[str]:
    """The leaf codes a site collects, plus their ancestors in the shared taxonomy, so a
    filter on "RECYCLABLE" finds a site that takes PAPER."""
    parents = _parents()
    expanded: set[str] = set()
    for code in codes:
        while code is not None and code not in expanded:
            expanded.add(code)
            code = parents.get(code)
    return sorted(expanded)


def row_values(site: Site) -> dict[str, Any]:
    return {
        "source": SOURCE,
        "source_id": site.source_id,
        "name": site.name,
        "address": site.address,
        "lot_address": site.lot_address,
        "region": site.region,
        "latitude": site.latitude,
        "longitude": site.longitude,
        "kind": site.kind,
        "phone": site.phone,
        "opening_hours": site.opening_hours.to_json(),
        "accepted_categories": list(site.accepted_categories),
        "search_categories": search_categories(site.accepted_categories),
        "unmapped_items": list(site.unmapped_items),
    }


def import_sites(database_url: str, path: Path, *, prune: bool = False) -> ImportReport:
    """Parse first (a malformed file raises before anything is written), then one transaction.

    Points that vanished from the source are reported, and deleted only with `prune`
    (a partial or regional file must not wipe the rest).
    """
    parsed: ParseResult = parse_file(path)
    report = ImportReport(skipped=list(parsed.skipped), unmapped=dict(parsed.unmapped))
    engine = create_engine(
        with_driver(database_url, "psycopg"),
        connect_args={"options": f"-csearch_path={search_path(SCHEMA)}"},
    )
    try:
        with Session(engine) as session, session.begin():
            _apply(session, parsed, report, prune=prune)
            if report.inserted or report.updated or report.removed:
                bump_data_version(session, DATA_VERSION)
    finally:
        engine.dispose()
    return report


def _apply(session: Session, parsed: ParseResult, report: ImportReport, *, prune: bool) -> None:
    existing = {
        row.source_id: row
        for row in session.scalars(select(DropOffPoint).where(DropOffPoint.source == SOURCE))
    }
    in_file = {site.source_id for site in parsed.sites} | {
        skipped.source_id for skipped in parsed.skipped if skipped.source_id
    }
    report.missing = sorted(set(existing) - in_file, key=_natural)
    if prune and report.missing:
        report.removed = session.execute(
            delete(DropOffPoint).where(
                DropOffPoint.source == SOURCE, DropOffPoint.source_id.in_(report.missing)
            )
        ).rowcount
    for site in parsed.sites:
        values = row_values(site)
        position = func.ll_to_earth(site.latitude, site.longitude)
        current = existing.get(site.source_id)
        if current is None:
            session.execute(insert(DropOffPoint).values(**values, position=position))
            report.inserted += 1
        elif any(getattr(current, key) != values[key] for key in COMPARED):
            session.execute(
                update(DropOffPoint)
                .where(DropOffPoint.id == current.id)
                .values(**values, position=position, updated_at=func.now())
            )
            report.updated += 1
        else:
            report.unchanged += 1
