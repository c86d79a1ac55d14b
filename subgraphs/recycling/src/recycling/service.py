"""Reads of the taxonomy; no Strawberry here."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recycling.models import Category


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
