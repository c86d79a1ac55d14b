"""Item search: Korean and English, partial words, spacing variants, typos (the service
against the real trigram index; the field's own input checks are in test_search_input.py)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from recycling import service

# (what a user types, the category the best match must belong to)
CASES = [
    ("생수병", "CLEAR_PET"),
    ("페트 병", "CLEAR_PET"),
    ("패트병", "CLEAR_PET"),
    ("pet bottle", "CLEAR_PET"),
    ("water bottle", "CLEAR_PET"),
    ("pizzabox", "GENERAL_WASTE"),
    ("우유팩", "PAPER_PACK"),
    ("우유 팩", "PAPER_PACK"),
    ("milk carton", "PAPER_PACK"),
    ("두유팩", "PAPER_PACK"),
    ("신문지", "PAPER"),
    ("newspaper", "PAPER"),
    ("골판지", "PAPER"),
    ("cardboard box", "PAPER"),
    ("소주병", "GLASS_BOTTLE"),
    ("soju bottle", "GLASS_BOTTLE"),
    ("맥주병", "GLASS_BOTTLE"),
    ("beer botle", "GLASS_BOTTLE"),
    ("알루미늄캔", "METAL"),
    ("soda can", "METAL"),
    ("부탄가스", "METAL"),
    ("스티로폼", "STYROFOAM"),
    ("styrofoam", "STYROFOAM"),
    ("비닐봉투", "VINYL"),
    ("plastic bag", "VINYL"),
    ("건전지", "BATTERY"),
    ("AA battery", "BATTERY"),
    ("형광등", "LIGHTING"),
    ("fluorescent lamp", "LIGHTING"),
    ("냉장고", "ELECTRONICS"),
    ("휴대폰", "ELECTRONICS"),
    ("티셔츠", "CLOTHING"),
    ("t-shirt", "CLOTHING"),
    ("과일껍질", "FOOD_WASTE"),
    ("fruit peel", "FOOD_WASTE"),
    ("깨진유리", "NONCOMBUSTIBLE_WASTE"),
    ("broken glass", "NONCOMBUSTIBLE_WASTE"),
    ("도자기", "NONCOMBUSTIBLE_WASTE"),
    ("소파", "BULKY_WASTE"),
    ("매트리스", "BULKY_WASTE"),
    ("폐의약품", "HAZARDOUS_WASTE"),
    ("영수증", "GENERAL_WASTE"),
    ("택배 송장", "GENERAL_WASTE"),
    ("plastik container", "PLASTIC"),
]


@pytest.mark.parametrize(("query", "expected"), CASES)
async def test_best_match_is_in_the_right_category(
    session: AsyncSession, query: str, expected: str
) -> None:
    found = await service.search_items(session=session, query=query, limit=5)
    assert found, f"nothing found for {query!r}"
    assert found[0].item.category_code == expected, (query, [m.item.name_ko for m in found])


async def test_results_are_best_first_and_capped(session: AsyncSession) -> None:
    found = await service.search_items(session=session, query="병", limit=3)
    assert len(found) == 3  # far more than three items are bottles (병)
    scores = [match.score for match in found]
    assert scores == sorted(scores, reverse=True)


async def test_nonsense_finds_nothing(session: AsyncSession) -> None:
    assert await service.search_items(session=session, query="qzxjvwk", limit=10) == []
