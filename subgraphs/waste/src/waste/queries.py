from __future__ import annotations

import strawberry

from waste.types import Info, WasteAnalysis


@strawberry.type
class Query:
    @strawberry.field(description="Owner only.")
    async def analysis(self, info: Info, id: strawberry.ID) -> WasteAnalysis | None:
        return await WasteAnalysis.resolve_reference(info, id)
