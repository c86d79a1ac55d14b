from __future__ import annotations

from typing import Annotated

import strawberry

from waste.types import Info, WasteAnalysis


@strawberry.type(description="The entry points for reading data.")
class Query:
    @strawberry.field(description="Owner only.")
    async def analysis(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The analysis's id.")],
    ) -> WasteAnalysis | None:
        return await WasteAnalysis.resolve_reference(info, id)
