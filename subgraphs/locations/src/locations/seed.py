"""Reference data of this subgraph: the repo's copy of the KECO drop-off sites."""

from __future__ import annotations

from pathlib import Path

from locations.importer import import_sites

SITES_FILE = Path(__file__).parent / "data" / "keco_recycle_compensation_sites.csv"


def seed(database_url: str) -> str:
    report = import_sites(database_url, SITES_FILE)
    return (
        f"drop-off points: {report.inserted} inserted, {report.updated} updated, "
        f"{report.unchanged} unchanged, {len(report.skipped)} skipped"
    )
