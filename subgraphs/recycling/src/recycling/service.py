"""Reads of the taxonomy; no Strawberry here."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, or_, select
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


async def search_items(*, session: AsyncSession, query: str, limit: int) -> list[Match]:
    """Items whose names or synonyms resemble the query, best first, found by the
    trigram index on `item_terms` (typos, spacing and partial words all match)."""
    term = normalise(query)
    contains = ItemTerm.term.contains(term, autoescape=True)
    score = case(
        (ItemTerm.term == term, 3.0),
        (
            ItemTerm.term.startswith(term, autoescape=True),
            2.0 + func.similarity(ItemTerm.term, term),
        ),
        (contains, 1.0 + func.similarity(ItemTerm.term, term)),
        else_=func.greatest(
            func.similarity(ItemTerm.term, term), func.word_similarity(term, ItemTerm.term)
        ),
    )
    best = func.max(score).label("score")
    statement = (
        select(Item, best)
        .join(ItemTerm, ItemTerm.item_id == Item.id)
        .where(
            or_(
                ItemTerm.term.op("%")(term),  # whole-term similarity
                ItemTerm.term.op("%>")(term),  # the query resembles part of the term
                contains,
            )
        )
        .group_by(Item.id)
        .order_by(best.desc(), Item.name_ko)
        .limit(limit)
    )
    rows = await session.execute(statement)
    return [Match(item, float(s)) for item, s in rows.tuples()]
