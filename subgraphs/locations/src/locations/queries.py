from __future__ import annotations

from typing import Annotated

import strawberry

from bunri_shared import cost
from bunri_shared.paging import page_size, paged
from locations import service, validation
from locations.types import (
    DropOffPoint,
    Info,
    Latitude,
    Longitude,
    NearbyDropOffPoint,
    RadiusMeters,
)


@strawberry.type(description="The entry points for reading data.")
class Query:
    @strawberry.field(
        description="Drop-off points within the radius, nearest first.",
        directives=[cost.weight(cost.NEARBY_SEARCH), *paged()],
    )
    async def drop_off_points_near(
        self,
        info: Info,
        latitude: Latitude,
        longitude: Longitude,
        radius_meters: RadiusMeters = 3000,
        category_code: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only points taking this category (its code)."),
        ] = None,
        first: Annotated[
            int | None, strawberry.argument(description="At most this many points, 1..50.")
        ] = 20,
    ) -> list[NearbyDropOffPoint]:
        circle = validation.circle(latitude, longitude, radius_meters)
        limit = page_size(first, default=20)
        async with info.context.sessions() as session:
            found = await service.nearby(
                session=session, circle=circle, limit=limit, category_code=category_code
            )
        return [NearbyDropOffPoint.from_nearby(n) for n in found]

    @strawberry.field(description="One drop-off point by id; null if there is none.")
    async def drop_off_point(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The point's id.")],
    ) -> DropOffPoint | None:
        row = await info.context.loaders.point.load(validation.point_id(id))
        return DropOffPoint.from_row(row) if row else None
