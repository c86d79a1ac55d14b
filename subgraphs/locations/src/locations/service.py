"""Drop-off point queries; no Strawberry here.

Nearest-first is answered by the GiST index on `position`: `<->` (chord distance in
3-D) orders exactly as great-circle distance does, and `earth_box @>` bounds the radius,
so a query reads only the points near the centre, never every row.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Float, Select, Text, func, literal, select, true
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.ext.asyncio import AsyncSession

from locations.models import DropOffPoint


@dataclass(frozen=True, slots=True)
class Circle:
    latitude: float
    longitude: float
    radius_meters: int


@dataclass(frozen=True, slots=True)
class Nearby:
    point: DropOffPoint
    distance_meters: float


def _centre(circle: Circle) -> ColumnElement[object]:
    return func.ll_to_earth(literal(circle.latitude, Float), literal(circle.longitude, Float))


def _nearest(circle: Circle, limit: int, *extra: ColumnElement[bool]) -> Select[tuple]:
    centre = _centre(circle)
    distance = func.earth_distance(centre, DropOffPoint.position).label("distance")
    return (
        select(DropOffPoint, distance)
        .where(
            func.earth_box(centre, circle.radius_meters).op("@>")(DropOffPoint.position),
            func.earth_distance(centre, DropOffPoint.position) <= circle.radius_meters,
            *extra,
        )
        # Sites sharing a building tie on distance: the id keeps the order stable.
        .order_by(DropOffPoint.position.op("<->")(centre), DropOffPoint.id)
        .limit(limit)
    )


async def nearby(
    *, session: AsyncSession, circle: Circle, limit: int, category_code: str | None = None
) -> list[Nearby]:
    extra = [DropOffPoint.search_categories.contains([category_code])] if category_code else []
    rows = await session.execute(_nearest(circle, limit, *extra))
    return [Nearby(point, distance) for point, distance in rows.tuples()]


async def nearby_for_categories(
    *, session: AsyncSession, circle: Circle, limit: int, category_codes: Sequence[str]
) -> dict[str, list[Nearby]]:
    """The nearest points for several categories in ONE statement (a LATERAL join)."""
    codes = (
        func.unnest(literal(list(category_codes), ARRAY(Text)))
        .table_valued("code")
        .render_derived(name="codes")
    )
    per_code = _nearest(
        circle, limit, DropOffPoint.search_categories.contains(array([codes.c.code]))
    ).lateral("nearest")
    statement = select(codes.c.code, per_code).join(per_code, true())
    result: dict[str, list[Nearby]] = {code: [] for code in category_codes}
    rows = await session.execute(statement)
    columns = DropOffPoint.__table__.columns.keys()
    for row in rows.mappings():
        point = DropOffPoint(**{key: row[key] for key in columns if key in row})
        result[row["code"]].append(Nearby(point, row["distance"]))
    return result


async def points_by_id(*, session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[DropOffPoint]:
    rows = await session.scalars(select(DropOffPoint).where(DropOffPoint.id.in_(ids)))
    return list(rows)
