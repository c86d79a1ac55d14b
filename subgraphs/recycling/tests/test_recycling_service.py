"""The taxonomy reads and loaders against the real `recycling` schema (the fast layer: no
HTTP, no processes). Counts come from the taxonomy file the schema was seeded from."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bunri_shared.taxonomy import load_taxonomy
from devstack.service_testing import Statements
from recycling import service
from recycling.loaders import Loaders

TAXONOMY = load_taxonomy()


async def test_categories_come_back_in_key_order_in_one_statement(
    sessions: async_sessionmaker[AsyncSession], statements: Statements
) -> None:
    loaders = Loaders(sessions)
    codes = ["PAPER", "FOOD_WASTE", "NO_SUCH_CODE", "CLEAR_PET", "RECYCLABLE"]
    found = await loaders.category.load_many(codes)
    assert [c.code if c else None for c in found] == [
        "PAPER", "FOOD_WASTE", None, "CLEAR_PET", "RECYCLABLE",
    ]  # fmt: skip
    assert (found[0].name_en, found[0].parent_code) == ("Paper", "RECYCLABLE")
    # The parent (RECYCLABLE) was among the keys: the loader's cache answers it.
    parent = await loaders.category.load(found[0].parent_code)
    assert parent is found[4]
    assert statements.count == 1


async def test_top_level_and_children_follow_the_taxonomy(session: AsyncSession) -> None:
    top = await service.top_level_categories(session=session)
    assert [c.code for c in top] == [e.code for e in TAXONOMY if e.parent is None]
    children = await service.categories_by_parent(session=session, parent_codes=["RECYCLABLE"])
    assert [c.code for c in children] == [e.code for e in TAXONOMY if e.parent == "RECYCLABLE"]
    assert await service.categories_by_code(session=session, codes=["NOPE"]) == []


async def test_children_of_several_parents_in_one_statement(
    sessions: async_sessionmaker[AsyncSession], statements: Statements
) -> None:
    loaders = Loaders(sessions)
    parents = ["RECYCLABLE", "FOOD_WASTE", "RECYCLABLE"]
    found = await loaders.children.load_many(parents)
    expected = {p: [e.code for e in TAXONOMY if e.parent == p] for p in parents}
    assert [[c.code for c in group] for group in found] == [expected[p] for p in parents]
    assert found[1] == []  # a category without children has an empty list, not None
    assert statements.count == 1


async def test_guides_are_stored_in_both_languages(session: AsyncSession) -> None:
    [pet] = await service.categories_by_code(session=session, codes=["CLEAR_PET"])
    entry = next(e for e in TAXONOMY if e.code == "CLEAR_PET")
    assert (pet.name_ko, pet.parent_code) == ("무색페트병", "RECYCLABLE")
    steps = pet.guide["steps"]
    assert steps == entry.guide["steps"] and len(steps["ko"]) == len(steps["en"]) >= 2
    goes_to = {rule["goes_to"] for rule in pet.guide["not_accepted"]}
    assert "PLASTIC" in goes_to
