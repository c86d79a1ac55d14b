"""GraphQL types of the locations subgraph."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import Self

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


@strawberry.enum
class DropOffKind(Enum):
    RECYCLING_CENTER = "RECYCLING_CENTER"
    COMPENSATION_SHOP = "COMPENSATION_SHOP"
    COLLECTION_BIN = "COLLECTION_BIN"
    REFILL_STORE = "REFILL_STORE"
    OTHER = "OTHER"


@strawberry.federation.type(keys=["code"])
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
        latitude: float,
        longitude: float,
        radius_meters: int | None = 3000,
        first: int | None = 5,
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
    id: strawberry.ID
    row: strawberry.Private[PointRow]

    @classmethod
    def from_row(cls, row: PointRow) -> Self:
        return cls(id=strawberry.ID(str(row.id)), row=row)

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> Self | None:
        row = await info.context.loaders.point.load(validation.point_id(id))
        return cls.from_row(row) if row else None

    @strawberry.field
    def name(self) -> str:
        return self.row.name

    @strawberry.field
    def address(self) -> str:
        return self.row.address

    @strawberry.field
    def latitude(self) -> float:
        return self.row.latitude

    @strawberry.field
    def longitude(self) -> float:
        return self.row.longitude

    @strawberry.field
    def kind(self) -> DropOffKind:
        return DropOffKind(self.row.kind)

    @strawberry.field
    def phone(self) -> str | None:
        return self.row.phone

    @strawberry.field(directives=[cost.assumed_size(cost.CATEGORY_LIST_BOUND)])
    def accepted_categories(self) -> list[WasteCategory]:
        return [WasteCategory(code=strawberry.ID(code)) for code in self.row.accepted_categories]

    @strawberry.field(description="Open at this moment (Korea time); null when hours are unknown.")
    def is_open_now(self) -> bool | None:
        return OpeningHours.from_json(self.row.opening_hours).is_open(datetime.now(UTC))


@strawberry.type
class NearbyDropOffPoint:
    point: DropOffPoint
    distance_meters: float

    @classmethod
    def from_nearby(cls, nearby: Nearby) -> Self:
        return cls(
            point=DropOffPoint.from_row(nearby.point), distance_meters=nearby.distance_meters
        )
