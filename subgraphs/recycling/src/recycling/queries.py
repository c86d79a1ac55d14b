from __future__ import annotations

import strawberry

from recycling import service
from recycling.types import Info, WasteCategory


@strawberry.type
class Query:
    @strawberry.field(description="Categories under `parentCode`; the top level when null.")
    async def waste_categories(
        self, info: Info, parent_code: strawberry.ID | None = None
    ) -> list[WasteCategory]:
        if parent_code is None:
            async with info.context.sessions() as session:
                rows = await service.top_level_categories(session=session)
        else:
            rows = await info.context.loaders.children.load(parent_code)
        return [WasteCategory.from_row(row) for row in rows]

    @strawberry.field
    async def waste_category(self, info: Info, code: strawberry.ID) -> WasteCategory | None:
        row = await info.context.loaders.category.load(code)
        return WasteCategory.from_row(row) if row else None
