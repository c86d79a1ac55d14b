"""Reads of the taxonomy; no Strawberry here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bunri_shared.taxonomy.terms import normalise
from recycling.models import Category, Item, ItemTerm


async def categories_by_code(*, session: AsyncSession, codes: Sequence[str]) -> list[Category]:
    rows = await session.scalars(select(Category).where(Category.code.in_(codes)))
    return list(rows)


async def categories_by_parent(
    *, session: AsyncSession, parent_codes: Sequence[str]
) -> list[Category]:
    rows = await session.scalars(
        select(Category).where(Category.parent_code.in_(parent_codes)).order_by(Category.position)
    )
    return list(rows)


async def top_level_categories(*, session: AsyncSession) -> list[Category]:
    rows = await session.scalars(
        select(Category).where(Category.parent_code.is_(None)).order_by(Category.position)
    )
    return list(rows)


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
