"""The recycling subgraph on its own, with its real database."""

from __future__ import annotations

from devstack.testing import RunningStack

ENTITIES = """
query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on WasteCategory { code name(language: EN) parent { code } }
  }
}"""


def test_entities_come_back_in_order_from_memory(running: RunningStack) -> None:
    codes = ["PAPER", "FOOD_WASTE", "NO_SUCH_CODE", "CLEAR_PET", "RECYCLABLE"]
    variables = {"representations": [{"__typename": "WasteCategory", "code": c} for c in codes]}
    running.query_subgraph("recycling", ENTITIES, variables)  # the catalogue is read once
    before = running.statements("recycling")
    body = running.query_subgraph("recycling", ENTITIES, variables)
    statements = running.statements("recycling") - before
    entities = body["data"]["_entities"]
    assert [e["code"] if e else None for e in entities] == [
        "PAPER", "FOOD_WASTE", None, "CLEAR_PET", "RECYCLABLE",
    ]  # fmt: skip
    assert entities[0]["name"] == "Paper"
    assert entities[0]["parent"] == {"code": "RECYCLABLE"}
    # The taxonomy is held in memory until its data version moves: no SQL at all.
    assert statements == 0


def test_children_and_guides_in_both_languages(running: RunningStack) -> None:
    body = running.query_subgraph(
        "recycling",
        """{ wasteCategory(code: "CLEAR_PET") {
              name ko: name(language: KO) parent { code }
              guide { steps(language: EN) ko: steps
                      notAccepted { name(language: EN) goesTo { code } } } } }""",
    )
    category = body["data"]["wasteCategory"]
    assert category["ko"] == "무색페트병"
    assert category["parent"] == {"code": "RECYCLABLE"}
    guide = category["guide"]
    assert len(guide["steps"]) == len(guide["ko"]) >= 2
    goes_to = {item["goesTo"]["code"] for item in guide["notAccepted"] if item["goesTo"]}
    assert "PLASTIC" in goes_to


def test_top_level_and_children_listing(running: RunningStack) -> None:
    top = running.query_subgraph("recycling", "{ wasteCategories { code children { code } } }")
    codes = [c["code"] for c in top["data"]["wasteCategories"]]
    assert codes[0] == "RECYCLABLE" and "FOOD_WASTE" in codes and len(codes) == 7
    children = running.query_subgraph(
        "recycling", '{ wasteCategories(parentCode: "RECYCLABLE") { code } }'
    )
    assert len(children["data"]["wasteCategories"]) == 12
    assert running.query_subgraph("recycling", '{ wasteCategory(code: "NOPE") { code } }') == {
        "data": {"wasteCategory": None}
    }
