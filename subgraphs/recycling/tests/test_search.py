"""searchDisposalItems: Korean and English, partial words, spacing variants, typos."""

from __future__ import annotations

import pytest

from devstack.testing import RunningStack

SEARCH = """query ($q: String!, $first: Int) {
  searchDisposalItems(query: $q, first: $first) { name en: name(language: EN) category { code } }
}"""

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
def test_best_match_is_in_the_right_category(
    running: RunningStack, query: str, expected: str
) -> None:
    body = running.query_subgraph("recycling", SEARCH, {"q": query, "first": 5})
    assert "errors" not in body, body
    found = body["data"]["searchDisposalItems"]
    assert found, f"nothing found for {query!r}"
    assert found[0]["category"]["code"] == expected, (query, found)


def test_results_are_capped_and_resolve_through_the_gateway(running: RunningStack) -> None:
    from devstack.testing import graphql

    body = graphql(running.gateway_url, SEARCH, {"q": "병", "first": 3})
    assert len(body["data"]["searchDisposalItems"]) <= 3


@pytest.mark.parametrize(
    ("query", "first"), [("", 10), ("   ", 10), ("--", 10), ("x" * 101, 10), ("병", 0), ("병", 51)]
)
def test_bad_queries_are_bad_user_input(running: RunningStack, query: str, first: int) -> None:
    body = running.query_subgraph("recycling", SEARCH, {"q": query, "first": first})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_nonsense_finds_nothing(running: RunningStack) -> None:
    body = running.query_subgraph("recycling", SEARCH, {"q": "qzxjvwk"})
    assert body["data"]["searchDisposalItems"] == []
