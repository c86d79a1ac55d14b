"""The Korean disposal taxonomy: category codes and the item vocabulary.

A shared vocabulary: recycling loads it into its tables and owns the guides shown to
users; waste's offline classifier matches hints against its items; locations maps
collected items onto its codes. Facts from the public Korean separate-disposal rules;
the guide text is the project's own, in Korean and English.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

TAXONOMY_FILE = Path(__file__).parent / "taxonomy.yaml"


@dataclass(frozen=True, slots=True)
class ItemEntry:
    name_ko: str
    name_en: str
    synonyms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CategoryEntry:
    code: str
    parent: str | None
    position: int
    name_ko: str
    name_en: str
    guide: dict[str, Any]
    source: str | None
    items: tuple[ItemEntry, ...]


class TaxonomyError(ValueError):
    pass


def load_taxonomy(path: Path = TAXONOMY_FILE) -> list[CategoryEntry]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries = [
        CategoryEntry(
            code=entry["code"],
            parent=entry.get("parent"),
            position=position,
            name_ko=entry["name"]["ko"],
            name_en=entry["name"]["en"],
            guide={
                "steps": entry["guide"]["steps"],
                "not_accepted": entry["guide"].get("not_accepted") or [],
            },
            source=entry.get("source"),
            items=tuple(
                ItemEntry(
                    name_ko=item["name"]["ko"],
                    name_en=item["name"]["en"],
                    synonyms=tuple(item.get("synonyms") or ()),
                )
                for item in entry.get("items") or ()
            ),
        )
        for position, entry in enumerate(raw["categories"])
    ]
    _check(entries)
    return entries


def _check(entries: list[CategoryEntry]) -> None:
    codes = [e.code for e in entries]
    if len(set(codes)) != len(codes):
        raise TaxonomyError("duplicate category codes")
    known = set(codes)
    for entry in entries:
        if entry.parent is not None and entry.parent not in known:
            raise TaxonomyError(f"{entry.code}: unknown parent {entry.parent}")
        for rule in entry.guide["not_accepted"]:
            if rule.get("goes_to") is not None and rule["goes_to"] not in known:
                raise TaxonomyError(f"{entry.code}: not_accepted goes to unknown {rule['goes_to']}")
