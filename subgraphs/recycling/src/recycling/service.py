"""Reads of the taxonomy; no Strawberry here."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Integer, Text, bindparam, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bunri_shared.taxonomy.terms import normalise
from recycling.catalogue import Catalogue
from recycling.models import DATA_VERSION, Category, Item, ItemTerm


async def load_catalogue(*, session: AsyncSession) -> Catalogue:
    """Every category, with the data version read FIRST: a seed committing in between
    makes the snapshot look older than it is (reloaded once more), never newer."""
    version = await session.scalar(select(DATA_VERSION.c.version))
    return Catalogue.of(version, await session.scalars(select(Category)))


@dataclass(frozen=True, slots=True)
class Match:
    item: Item
    score: float


# Built once: constructing this expression on every call cost more CPU than running it.
_TERM = bindparam("term", type_=Text)
_CONTAINS = ItemTerm.term.like(bindparam("contains", type_=Text), escape="/")
_SIMILARITY = func.similarity(ItemTerm.term, _TERM)
_SCORE = func.max(
    case(
        (ItemTerm.term == _TERM, 3.0),
        (ItemTerm.term.like(bindparam("prefix", type_=Text), escape="/"), 2.0 + _SIMILARITY),
        (_CONTAINS, 1.0 + _SIMILARITY),
        else_=func.greatest(_SIMILARITY, func.word_similarity(_TERM, ItemTerm.term)),
    )
).label("score")
_SEARCH = (
    select(Item, _SCORE)
    .join(ItemTerm, ItemTerm.item_id == Item.id)
    .where(
        or_(
            ItemTerm.term.op("%")(_TERM),  # whole-term similarity
            ItemTerm.term.op("%>")(_TERM),  # the query resembles part of the term
            _CONTAINS,
        )
    )
    .group_by(Item.id)
    .order_by(_SCORE.desc(), Item.name_ko)
    .limit(bindparam("limit", type_=Integer))
)


def _like_escaped(text: str) -> str:
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


async def search_items(*, session: AsyncSession, query: str, limit: int) -> list[Match]:
    """Items whose names or synonyms resemble the query, best first, found by the
    trigram index on `item_terms` (typos, spacing and partial words all match)."""
    term = normalise(query)
    escaped = _like_escaped(term)
    rows = await session.execute(
        _SEARCH,
        {"term": term, "contains": f"%{escaped}%", "prefix": f"{escaped}%", "limit": limit},
    )
    return [Match(item, float(s)) for item, s in rows.tuples()]
