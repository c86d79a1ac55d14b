"""Through the gateway: every category of the taxonomy has a bilingual guide."""

from __future__ import annotations

from bunri_shared.taxonomy import load_taxonomy
from devstack.testing import RunningStack, graphql

CATEGORY = """code ko: name en: name(language: EN)
  guide { ko: steps en: steps(language: EN)
          notAccepted { ko: name en: name(language: EN) goesTo { code } } }"""
TREE = f"{{ wasteCategories {{ {CATEGORY} children {{ {CATEGORY} children {{ code }} }} }} }}"


def test_every_category_has_a_guide_in_korean_and_english(running: RunningStack) -> None:
    body = graphql(running.gateway_url, TREE)
    assert "errors" not in body, body
    top = body["data"]["wasteCategories"]
    categories = top + [child for parent in top for child in parent["children"]]
    assert sorted(c["code"] for c in categories) == sorted(e.code for e in load_taxonomy())
    gaps = []
    for category in categories:
        code, guide = category["code"], category["guide"]
        if not (category["ko"] and category["en"]) or category["ko"] == category["en"]:
            gaps.append(f"{code}: names")
        if guide is None or not guide["ko"] or len(guide["ko"]) != len(guide["en"]):
            gaps.append(f"{code}: steps")
            continue
        if any(not step.strip() for step in guide["ko"] + guide["en"]):
            gaps.append(f"{code}: empty step")
        for item in guide["notAccepted"]:
            if not (item["ko"] and item["en"]):
                gaps.append(f"{code}: not-accepted item without both names")
    assert not gaps, gaps
    # Every "goes to" points at a real category of the same taxonomy.
    known = {c["code"] for c in categories}
    targets = {
        i["goesTo"]["code"] for c in categories for i in c["guide"]["notAccepted"] if i["goesTo"]
    }
    assert targets <= known
    assert {"PLASTIC", "GENERAL_WASTE"} <= targets
