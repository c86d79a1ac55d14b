from __future__ import annotations

from typing import Annotated

import strawberry

from bunri_shared import cost
from bunri_shared.errors import bad_input
from bunri_shared.paging import page_size, paged
from bunri_shared.taxonomy.terms import normalise
from recycling import service
from recycling.types import DisposalItem, Info, WasteCategory

MAX_QUERY_LENGTH = 100


@strawberry.type(description="The entry points for reading data.")
class Query:
    @strawberry.field(
        description="Categories under `parentCode`; the top level when null.",
        directives=[cost.assumed_size(cost.SIBLING_CATEGORY_BOUND)],
    )
    async def waste_categories(
        self,
        info: Info,
        parent_code: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Code of the parent category; null: top level."),
        ] = None,
    ) -> list[WasteCategory]:
        catalogue = await info.context.catalogue()
        return [WasteCategory.from_row(row) for row in catalogue.children(parent_code)]

    @strawberry.field(description="One category by its code; null if there is none.")
    async def waste_category(
        self,
        info: Info,
        code: Annotated[strawberry.ID, strawberry.argument(description="The category's code.")],
    ) -> WasteCategory | None:
        row = (await info.context.catalogue()).category(code)
        return WasteCategory.from_row(row) if row else None

    @strawberry.field(
        description="Items matching Korean or English words, typos allowed; best first.",
        directives=[cost.weight(cost.TEXT_SEARCH), *paged()],
    )
    async def search_disposal_items(
        self,
        info: Info,
        query: Annotated[
            str, strawberry.argument(description='What to look for, e.g. "페트병", "pizza box".')
        ],
        first: Annotated[
            int | None, strawberry.argument(description="At most this many items, 1..50.")
        ] = 10,
    ) -> list[DisposalItem]:
        text = query.strip()
        if not normalise(text):
            raise bad_input("query must contain letters or digits", field="query")
        if len(text) > MAX_QUERY_LENGTH:
            raise bad_input(f"query is longer than {MAX_QUERY_LENGTH} characters", field="query")
        limit = page_size(first, default=10)
        async with info.context.sessions() as session:
            matches = await service.search_items(session=session, query=text, limit=limit)
        return [DisposalItem(row=match.item) for match in matches]
