"""GraphQL types of the locations subgraph."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Self

import strawberry

from bunri_shared import cost
from bunri_shared.paging import page_size, paged
from locations import validation
from locations.context import Context
from locations.keco import OpeningHours
from locations.loaders import CategoryNearbyKey
from locations.models import DropOffPoint as PointRow
from locations.service import Nearby

Info = strawberry.Info[Context, None]

# Argument descriptions shared by both nearby searches.
Latitude = Annotated[float, strawberry.argument(description="WGS84 latitude, -90..90.")]
Longitude = Annotated[float, strawberry.argument(description="WGS84 longitude, -180..180.")]
RadiusMeters = Annotated[
    int | None, strawberry.argument(description="Search radius in metres, 1..100000.")
]


@strawberry.enum(description="What sort of place a drop-off point is.")
class DropOffKind(Enum):
    RECYCLING_CENTER = strawberry.enum_value(
        "RECYCLING_CENTER", description="A municipal recycling centre (재활용센터)."
    )
    COMPENSATION_SHOP = strawberry.enum_value(
        "COMPENSATION_SHOP",
        description="A place that gives points or goods back for sorted recyclables.",
    )
    COLLECTION_BIN = strawberry.enum_value(
        "COLLECTION_BIN", description="A public collection bin (e.g. batteries, lamps, clothes)."
    )
    REFILL_STORE = strawberry.enum_value(
        "REFILL_STORE", description="A refill store that takes back clean containers."
    )
    OTHER = strawberry.enum_value("OTHER", description="Any other kind of place.")


@strawberry.federation.type(
    keys=["code"], description="A category of the Korean disposal taxonomy."
)
class WasteCategory:
    """Owned by the recycling subgraph; locations adds where to take it."""

    code: strawberry.ID

    @classmethod
    def resolve_reference(cls, code: strawberry.ID) -> Self:
        return cls(code=code)

    @strawberry.field(
        description="Drop-off points accepting this category, nearest first.",
        directives=[cost.weight(cost.NEARBY_SEARCH), *paged()],
    )
    async def drop_off_points_near(
        self,
        info: Info,
        latitude: Latitude,
        longitude: Longitude,
        radius_meters: RadiusMeters = 3000,
        first: Annotated[
            int | None, strawberry.argument(description="At most this many points, 1..50.")
        ] = 5,
    ) -> list[NearbyDropOffPoint]:
        key = CategoryNearbyKey(
            category_code=self.code,
            circle=validation.circle(latitude, longitude, radius_meters),
            limit=page_size(first, default=5),
        )
        found = await info.context.loaders.category_nearby.load(key)
        return [NearbyDropOffPoint.from_nearby(n) for n in found]


@strawberry.federation.type(keys=["id"], description="A place that takes sorted waste.")
class DropOffPoint:
    id: strawberry.ID = strawberry.field(description="Stable id of the drop-off point.")
    row: strawberry.Private[PointRow]

    @classmethod
    def from_row(cls, row: PointRow) -> Self:
        return cls(id=strawberry.ID(str(row.id)), row=row)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        row = await info.context.loaders.point.load(validation.point_id(id))
        return cls.from_row(row) if row else None

    @strawberry.field(description="The place's name, as published (usually Korean).")
    def name(self) -> str:
        return self.row.name

    @strawberry.field(description="Street address.")
    def address(self) -> str:
        return self.row.address

    @strawberry.field(description="WGS84 latitude.")
    def latitude(self) -> float:
        return self.row.latitude

    @strawberry.field(description="WGS84 longitude.")
    def longitude(self) -> float:
        return self.row.longitude

    @strawberry.field(description="What sort of place it is.")
    def kind(self) -> DropOffKind:
        return DropOffKind(self.row.kind)

    @strawberry.field(description="Phone number, when published.")
    def phone(self) -> str | None:
        return self.row.phone

    @strawberry.field(
        description="The waste categories this place takes.",
        directives=[cost.assumed_size(cost.CATEGORY_LIST_BOUND)],
    )
    def accepted_categories(self) -> list[WasteCategory]:
        return [WasteCategory(code=strawberry.ID(code)) for code in self.row.accepted_categories]

    @strawberry.field(description="Open at this moment (Korea time); null when hours are unknown.")
    def is_open_now(self) -> bool | None:
        return OpeningHours.from_json(self.row.opening_hours).is_open(datetime.now(UTC))


@strawberry.type(description="A drop-off point and how far it is from the searched position.")
class NearbyDropOffPoint:
    point: DropOffPoint = strawberry.field(description="The place.")
    distance_meters: float = strawberry.field(
        description="Great-circle distance from the searched position, in metres."
    )

    @classmethod
    def from_nearby(cls, nearby: Nearby) -> Self:
        return cls(
            point=DropOffPoint.from_row(nearby.point), distance_meters=nearby.distance_meters
        )
