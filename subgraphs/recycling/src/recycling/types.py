"""GraphQL types of the recycling subgraph."""

from __future__ import annotations

from typing import Any, Self

import strawberry

from bunri_shared import cost
from bunri_shared.i18n import Language, LanguageArgument
from recycling.context import Context
from recycling.models import Category, Item

Info = strawberry.Info[Context, None]


def _text(pair: dict[str, Any], language: Language | None) -> Any:
    return pair[(language or Language.KO).value]


@strawberry.type(description="An item that looks like it belongs here but does not.")
class NotAcceptedItem:
    names: strawberry.Private[dict[str, str]]
    goes_to_code: strawberry.Private[str | None]

    @strawberry.field(description="What the item is called.")
    def name(self, language: LanguageArgument = Language.KO) -> str:
        return _text(self.names, language)

    @strawberry.field(description="The category where it does go, when one fits.")
    async def goes_to(self, info: Info) -> WasteCategory | None:
        if self.goes_to_code is None:
            return None
        row = (await info.context.catalogue()).category(self.goes_to_code)
        return WasteCategory.from_row(row) if row else None


@strawberry.type(description="How to prepare and dispose of a category, in your language.")
class DisposalGuide:
    data: strawberry.Private[dict[str, Any]]

    @strawberry.field(
        description="What to do, in order.",
        directives=[cost.assumed_size(cost.GUIDE_LIST_BOUND)],
    )
    def steps(self, language: LanguageArgument = Language.KO) -> list[str]:
        return list(_text(self.data["steps"], language))

    @strawberry.field(
        description="Items that look like this category but are not, and where they go.",
        directives=[cost.assumed_size(cost.GUIDE_LIST_BOUND)],
    )
    def not_accepted(self) -> list[NotAcceptedItem]:
        return [
            NotAcceptedItem(names=rule["name"], goes_to_code=rule.get("goes_to"))
            for rule in self.data["not_accepted"]
        ]


@strawberry.federation.type(
    keys=["code"], description="A category of the Korean disposal taxonomy."
)
class WasteCategory:
    code: strawberry.ID = strawberry.field(
        description='Stable code of the category, e.g. "CLEAR_PET"; its identity in caches.'
    )
    row: strawberry.Private[Category]

    @classmethod
    def from_row(cls, row: Category) -> Self:
        return cls(code=strawberry.ID(row.code), row=row)

    @classmethod
    async def resolve_reference(cls, info: Info, code: strawberry.ID) -> Self | None:
        row = (await info.context.catalogue()).category(code)
        return cls.from_row(row) if row else None

    @strawberry.field(description="The category's name.")
    def name(self, language: LanguageArgument = Language.KO) -> str:
        return self.row.name_en if language is Language.EN else self.row.name_ko

    @strawberry.field(description="The broader category; null at the top level.")
    async def parent(self, info: Info) -> WasteCategory | None:
        if self.row.parent_code is None:
            return None
        row = (await info.context.catalogue()).category(self.row.parent_code)
        return WasteCategory.from_row(row) if row else None

    @strawberry.field(
        description="The narrower categories; empty for a leaf.",
        directives=[cost.assumed_size(cost.SIBLING_CATEGORY_BOUND)],
    )
    async def children(self, info: Info) -> list[WasteCategory]:
        rows = (await info.context.catalogue()).children(self.row.code)
        return [WasteCategory.from_row(row) for row in rows]

    @strawberry.field(description="How to dispose of it; null for purely grouping categories.")
    def guide(self) -> DisposalGuide | None:
        return DisposalGuide(data=self.row.guide) if self.row.guide else None


@strawberry.type(description="A thing people throw away, and the category it goes to.")
class DisposalItem:
    row: strawberry.Private[Item]

    @strawberry.field(description="What the item is called.")
    def name(self, language: LanguageArgument = Language.KO) -> str:
        return self.row.name_en if language is Language.EN else self.row.name_ko

    @strawberry.field(description="The category it goes to.")
    async def category(self, info: Info) -> WasteCategory:
        row = (await info.context.catalogue()).category(self.row.category_code)
        if row is None:  # the foreign key makes this impossible
            raise LookupError(f"item {self.row.id} has no category {self.row.category_code}")
        return WasteCategory.from_row(row)
