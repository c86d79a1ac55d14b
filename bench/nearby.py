"""dropOffPointsNear latency at the real 395 points and at 100,000 synthetic ones.

Measures the subgraph's GraphQL execution (resolver, SQL, serialisation) in-process, and
prints the plan Postgres chooses, to show the GiST index answers the query.
"""

from __future__ import annotations

import asyncio
import json
import random
import time

from sqlalchemy import text
from starlette.requests import HTTPConnection

from bench.common import bench_stack, summary
from bunri_shared.resources import Resources
from locations.config import Settings
from locations.context import Context
from locations.keco import OpeningHours
from locations.schema import schema

QUERY = """query ($lat: Float!, $lng: Float!) {
  dropOffPointsNear(latitude: $lat, longitude: $lng, radiusMeters: 5000, first: 20) {
    distanceMeters point { id name isOpenNow } } }"""
SYNTHETIC = 100_000
RUNS = 500


async def real_positions(resources: Resources) -> list[tuple[float, float]]:
    async with resources.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT latitude, longitude FROM drop_off_points WHERE source = 'keco'")
        )
        return [(lat, lng) for lat, lng in rows]


async def measure(resources: Resources, label: str, centres: list[tuple[float, float]]) -> None:
    # Users ask where people live: centres are real sites, moved up to ~3 km.
    rng = random.Random(7)
    connection = HTTPConnection({"type": "http", "headers": [], "app": None})
    samples = []
    returned = 0
    for _ in range(RUNS):
        lat, lng = rng.choice(centres)
        variables = {"lat": lat + rng.uniform(-0.03, 0.03), "lng": lng + rng.uniform(-0.03, 0.03)}
        context = Context(resources=resources, connection=connection)
        start = time.perf_counter()
        result = await schema.execute(QUERY, variable_values=variables, context_value=context)
        samples.append((time.perf_counter() - start) * 1000)
        assert result.errors is None, result.errors
        returned += len(result.data["dropOffPointsNear"])
    print(f"{label}: {summary(samples)}; {returned / RUNS:.1f} points per answer")


async def plan(resources: Resources) -> None:
    from sqlalchemy.dialects import postgresql

    from locations.service import Circle, _nearest

    statement = _nearest(Circle(37.5665, 126.978, 5000), 20).compile(
        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
    )
    async with resources.engine.connect() as conn:
        rows = await conn.execute(text(f"EXPLAIN (ANALYZE, COSTS OFF) {statement}"))
        print("plan at 100,000 points:")
        for (line,) in rows:
            print("   ", line)


async def add_synthetic_points(resources: Resources) -> None:
    async with resources.engine.begin() as conn:
        await conn.execute(
            text(
                """
                INSERT INTO drop_off_points (source, source_id, name, address, latitude, longitude,
                    position, kind, opening_hours, accepted_categories, search_categories,
                    unmapped_items)
                SELECT 'bench', g::text, 'bench point ' || g, 'synthetic', lat, lng,
                    ll_to_earth(lat, lng), 'OTHER', CAST(:hours AS jsonb), ARRAY['PAPER'],
                    ARRAY['PAPER', 'RECYCLABLE'], ARRAY[]::text[]
                FROM (SELECT g, 35.0 + random() * 2.7 AS lat, 126.6 + random() * 2.4 AS lng
                      FROM generate_series(1, :n) AS g) AS p
                """
            ),
            {"n": SYNTHETIC - 395, "hours": json.dumps(OpeningHours.unknown().to_json())},
        )
        await conn.execute(text("ANALYZE drop_off_points"))


async def main() -> None:
    with bench_stack() as stack:
        locations = next(s for s in stack.subgraphs if s.name == "locations")
        settings = Settings(
            **{"DATABASE_URL": stack.role_url(locations), "REDIS_URL": stack.servers.redis_url}
        )
        resources = Resources.open(settings)
        try:
            centres = await real_positions(resources)
            await measure(resources, f"{len(centres)} real points", centres)
            await add_synthetic_points(resources)
            await measure(resources, f"{SYNTHETIC:,} points", centres)
            await plan(resources)
        finally:
            await resources.close()


if __name__ == "__main__":
    asyncio.run(main())
