"""Invariants of the recycling taxonomy reference data (bunri_shared/taxonomy/taxonomy.yaml).

Loads only the YAML (PyYAML); no other project code is needed. The coverage check reads the
public rule set's item list, kept beside this file (data/item_class_list.yaml: the Ministry of
Environment's separate-disposal items, as collected by an MIT-licensed open-source app).
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).resolve()
REPO_ROOT = HERE.parents[2]  # the repository root
TAXONOMY_PATH = REPO_ROOT / "shared" / "src" / "bunri_shared" / "taxonomy" / "taxonomy.yaml"
ITEM_CLASS_LIST = HERE.parent / "data" / "item_class_list.yaml"

TOP_LEVEL = {
    "RECYCLABLE",
    "GENERAL_WASTE",
    "NONCOMBUSTIBLE_WASTE",
    "FOOD_WASTE",
    "CONSTRUCTION_WASTE",
    "BULKY_WASTE",
    "HAZARDOUS_WASTE",
}
RECYCLABLE_CHILDREN = {
    "PAPER",
    "PAPER_PACK",
    "CLEAR_PET",
    "PLASTIC",
    "VINYL",
    "STYROFOAM",
    "GLASS_BOTTLE",
    "METAL",
    "CLOTHING",
    "ELECTRONICS",
    "BATTERY",
    "LIGHTING",
}
ALL_CODES = TOP_LEVEL | RECYCLABLE_CHILDREN

_PARENTHETICAL = re.compile(r"\([^)]*\)")
_IGNORED_CHARS = re.compile(r"[\s·・/,.\-_]+")


def normalise(text: str) -> str:
    """Drop parenthetical annotations, spacing and separators; casefold."""
    return _IGNORED_CHARS.sub("", _PARENTHETICAL.sub("", text)).casefold()


@pytest.fixture(scope="module")
def categories() -> list[dict]:
    with TAXONOMY_PATH.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    assert isinstance(data, dict) and set(data) == {"categories"}
    assert isinstance(data["categories"], list)
    return data["categories"]


@pytest.fixture(scope="module")
def by_code(categories: list[dict]) -> dict[str, dict]:
    return {c["code"]: c for c in categories}


def _is_bilingual(value: object) -> bool:
    return (
        isinstance(value, dict)
        and set(value) == {"ko", "en"}
        and all(isinstance(v, str) and v.strip() for v in value.values())
    )


def test_codes_are_exactly_the_fixed_list(categories: list[dict]) -> None:
    codes = [c["code"] for c in categories]
    assert len(codes) == len(set(codes))
    assert set(codes) == ALL_CODES


def test_hierarchy(by_code: dict[str, dict]) -> None:
    for code, cat in by_code.items():
        parent = cat["parent"]
        assert parent is None or parent in by_code, code
        if code in TOP_LEVEL:
            assert parent is None, code
        else:
            assert parent == "RECYCLABLE", code


def test_category_fields(categories: list[dict]) -> None:
    for cat in categories:
        assert set(cat) == {"code", "parent", "source", "name", "guide", "items"}, cat["code"]
        assert _is_bilingual(cat["name"]), cat["code"]
        assert cat["source"] is None or str(cat["source"]).endswith(".json"), cat["code"]


def test_every_category_has_bilingual_steps(categories: list[dict]) -> None:
    for cat in categories:
        steps = cat["guide"]["steps"]
        ko, en = steps["ko"], steps["en"]
        assert ko and en, cat["code"]
        assert len(ko) == len(en), cat["code"]
        assert 2 <= len(ko) <= 8, cat["code"]
        assert all(isinstance(s, str) and s.strip() for s in ko + en), cat["code"]


def test_not_accepted_entries(categories: list[dict], by_code: dict[str, dict]) -> None:
    for cat in categories:
        for entry in cat["guide"]["not_accepted"]:
            assert _is_bilingual(entry["name"]), (cat["code"], entry)
            assert set(entry) <= {"name", "goes_to", "note"}, (cat["code"], entry)
            goes_to = entry["goes_to"]
            assert goes_to is None or goes_to in by_code, (cat["code"], entry)
            assert goes_to != cat["code"], (cat["code"], entry)
            if goes_to is None:
                assert "note" in entry, (cat["code"], entry)
            if "note" in entry:
                assert _is_bilingual(entry["note"]), (cat["code"], entry)


def test_items_have_names_and_synonyms(categories: list[dict]) -> None:
    for cat in categories:
        if cat["code"] == "RECYCLABLE":
            assert cat["items"] == [], "the recyclables family carries no items of its own"
            continue
        assert cat["items"], cat["code"]
        for item in cat["items"]:
            assert set(item) == {"name", "synonyms"}, (cat["code"], item)
            assert _is_bilingual(item["name"]), (cat["code"], item)
            synonyms = item["synonyms"]
            assert 2 <= len(synonyms) <= 8, (cat["code"], item["name"])
            assert all(isinstance(s, str) and s.strip() for s in synonyms), item["name"]
            normalised = [normalise(s) for s in synonyms]
            assert len(normalised) == len(set(normalised)), (cat["code"], item["name"])
            # spacing or case variants of the item's own name add nothing: search handles them
            own = {normalise(item["name"]["ko"]), normalise(item["name"]["en"])}
            assert not own & set(normalised), (cat["code"], item["name"])


def test_item_ko_names_are_unique(categories: list[dict]) -> None:
    seen: dict[str, str] = {}
    for cat in categories:
        for item in cat["items"]:
            key = normalise(item["name"]["ko"])
            assert key not in seen, f"{item['name']['ko']!r} in {cat['code']} and {seen[key]}"
            seen[key] = cat["code"]


def test_vocabulary_points_to_one_category(categories: list[dict]) -> None:
    """A word a user types (item name or synonym) must not lead to two categories."""
    owners: dict[str, set[str]] = defaultdict(set)
    for cat in categories:
        for item in cat["items"]:
            for term in [item["name"]["ko"], item["name"]["en"], *item["synonyms"]]:
                owners[normalise(term)].add(cat["code"])
    clashes = {term: codes for term, codes in owners.items() if len(codes) > 1}
    assert not clashes, clashes


def _item_class_names(node: object) -> list[str]:
    if isinstance(node, dict):
        return [name for child in node.values() for name in _item_class_names(child)]
    if isinstance(node, list):
        return [name for child in node for name in _item_class_names(child)]
    if isinstance(node, str):
        return [node]
    return []


def test_covers_every_item_of_the_public_rule_set(categories: list[dict]) -> None:
    with ITEM_CLASS_LIST.open(encoding="utf-8") as fh:
        source = yaml.safe_load(fh)
    wanted = {normalise(n): n for n in _item_class_names(source["item_class_list"])}
    vocabulary = {
        normalise(term)
        for cat in categories
        for item in cat["items"]
        for term in [item["name"]["ko"], *item["synonyms"]]
    }
    missing = sorted(orig for key, orig in wanted.items() if key not in vocabulary)
    assert not missing, missing
