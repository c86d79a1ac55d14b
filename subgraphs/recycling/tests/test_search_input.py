"""searchDisposalItems refuses input it cannot search for, in the contract's error shape.

Run through the subgraph's schema in-process (no HTTP server): the checks live in the
resolver, before any database work; the result is what a client receives."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devstack.service_testing import execute
from recycling import service
from recycling.catalogue import Catalogue
from recycling.schema import schema

SEARCH = """query ($q: String!, $first: Int) {
  searchDisposalItems(query: $q, first: $first) { name en: name(language: EN) category { code } }
}"""


async def _search(
    sessions: async_sessionmaker[AsyncSession], query: str, first: int
) -> tuple[list | None, list[dict]]:
    async def catalogue() -> Catalogue:
        async with sessions() as session:
            return await service.load_catalogue(session=session)

    context = SimpleNamespace(sessions=sessions, catalogue=catalogue)
    body = await execute(schema, SEARCH, {"q": query, "first": first}, context=context)
    return (body["data"] or {}).get("searchDisposalItems"), body.get("errors", [])


@pytest.mark.parametrize(
    ("query", "first", "field"),
    [
        ("", 10, "query"),
        ("   ", 10, "query"),
        ("--", 10, "query"),
        ("x" * 101, 10, "query"),
        ("병", 0, "first"),
        ("병", 51, "first"),
    ],
)
async def test_bad_queries_are_bad_user_input(
    sessions: async_sessionmaker[AsyncSession], query: str, first: int, field: str
) -> None:
    found, [error] = await _search(sessions, query, first)
    assert found is None
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}


async def test_a_good_query_answers_items_with_their_category(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    found, errors = await _search(sessions, "우유팩", 1)
    assert errors == []
    assert found == [{"name": "우유팩", "en": "Milk carton", "category": {"code": "PAPER_PACK"}}]
