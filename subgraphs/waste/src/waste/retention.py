"""`python -m waste.retention [--json]`: one upload-retention run now (`bunri purge-uploads`).

The rules and the queries are in `waste.service.retention`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from dataclasses import asdict

from bunri_shared.db import create_engine, session_factory
from waste.components import build_storage
from waste.config import Settings
from waste.service.retention import Purged, purge_once


def main() -> None:
    """`python -m waste.retention [--json]`: one purge now (what `bunri purge-uploads` runs)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--json", action="store_true", help="print the counts as JSON")
    arguments = parser.parse_args()
    settings = Settings()

    async def run() -> Purged:
        engine = create_engine(settings.database_url, schema=settings.db_schema, pool_size=2)
        try:
            return await purge_once(
                sessions=session_factory(engine), storage=build_storage(settings), settings=settings
            )
        finally:
            await engine.dispose()

    purged = asyncio.run(run())
    if arguments.json:
        print(json.dumps(asdict(purged)))
    else:
        print(
            f"removed {purged.reservations} unfilled reservations, "
            f"{purged.unreferenced_images} unanalysed images (with their uploads) and "
            f"{purged.analysed_images} images of old analyses (the analyses keep their results)"
        )


if __name__ == "__main__":
    main()
