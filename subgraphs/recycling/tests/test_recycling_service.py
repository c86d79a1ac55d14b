"""The taxonomy reads and loaders against the real `recycling` schema (the fast layer: no
HTTP, no processes). Counts come from the taxonomy file the schema was seeded from."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bunri_shared.taxonomy import load_taxonomy
from devstack.service_testing import Statements
from recycling import service
from recycling.catalogue import Catalogue, CatalogueCache

TAXONOMY = load_taxonomy()


async def test_the_catalogue_is_read_in_two_statements_and_answers_from_memory(
    session: AsyncSession, statements: Statements
) -> None:
    catalogue = await service.load_catalogue(session=session)
    assert statements.count == 2  # the data version, then every category
    codes = ["PAPER", "FOOD_WASTE", "NO_SUCH_CODE", "CLEAR_PET", "RECYCLABLE"]
    found = [catalogue.category(code) for code in codes]
    assert [c.code if c else None for c in found] == [
        "PAPER", "FOOD_WASTE", None, "CLEAR_PET", "RECYCLABLE",
    ]  # fmt: skip
    assert (found[0].name_en, found[0].parent_code) == ("Paper", "RECYCLABLE")
    assert catalogue.category(found[0].parent_code) is found[4]
    assert catalogue.version is not None


async def test_top_level_and_children_follow_the_taxonomy(session: AsyncSession) -> None:
    catalogue = await service.load_catalogue(session=session)
    assert [c.code for c in catalogue.children(None)] == [
        e.code for e in TAXONOMY if e.parent is None
    ]
    for parent in ("RECYCLABLE", "FOOD_WASTE"):
        expected = [e.code for e in TAXONOMY if e.parent == parent]
        assert [c.code for c in catalogue.children(parent)] == expected
    assert catalogue.children("FOOD_WASTE") == []  # no children: an empty list, not None


async def test_the_cache_reloads_when_the_version_moves_and_only_then(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    cache = CatalogueCache()
    loads = 0

    async def load() -> Catalogue:
        nonlocal loads
        loads += 1
        async with sessions() as session:
            return await service.load_catalogue(session=session)

    first = await cache.get(None, load)  # an unknown version is never trusted: read
    assert loads == 1 and first.version is not None
    assert await cache.get(first.version, load) is first and loads == 1
    await cache.get(first.version + 1, load)  # the version moved: read again
    assert loads == 2
    await cache.get(None, load)
    assert loads == 3


async def test_guides_are_stored_in_both_languages(session: AsyncSession) -> None:
    pet = (await service.load_catalogue(session=session)).category("CLEAR_PET")
    assert pet is not None
    entry = next(e for e in TAXONOMY if e.code == "CLEAR_PET")
    assert (pet.name_ko, pet.parent_code) == ("무색페트병", "RECYCLABLE")
    steps = pet.guide["steps"]
    assert steps == entry.guide["steps"] and len(steps["ko"]) == len(steps["en"]) >= 2
    goes_to = {rule["goes_to"] for rule in pet.guide["not_accepted"]}
    assert "PLASTIC" in goes_to
