from __future__ import annotations

import strawberry

from bunri_shared import cost
from bunri_shared.paging import page_size, paged
from locations import service, validation
from locations.types import DropOffPoint, Info, NearbyDropOffPoint


@strawberry.type
class Query:
    @strawberry.field(
        description="Drop-off points within the radius, nearest first.",
        directives=[cost.weight(cost.NEARBY_SEARCH), *paged()],
    )
    async def drop_off_points_near(
        self,
        info: Info,
        latitude: float,
        longitude: float,
        radius_meters: int | None = 3000,
        category_code: strawberry.ID | None = None,
        first: int | None = 20,
    ) -> list[NearbyDropOffPoint]:
        circle = validation.circle(latitude, longitude, radius_meters)
        limit = page_size(first, default=20)
        async with info.context.sessions() as session:
            found = await service.nearby(
                session=session, circle=circle, limit=limit, category_code=category_code
            )
        return [NearbyDropOffPoint.from_nearby(n) for n in found]

    @strawberry.field
    async def drop_off_point(self, info: Info, id: strawberry.ID) -> DropOffPoint | None:
        row = await info.context.loaders.point.load(validation.point_id(id))
        return DropOffPoint.from_row(row) if row else None
