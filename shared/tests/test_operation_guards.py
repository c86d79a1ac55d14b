"""The guards every subgraph schema runs, on a real (small) Strawberry federation schema."""

from __future__ import annotations

import asyncio

import strawberry
from graphql import parse

from bunri_shared import cost
from bunri_shared.graphql import GraphQLLimits, federation_schema
from bunri_shared.paging import page_size, paged

cancelled: list[str] = []


@strawberry.type
class Item:
    name: str

    @strawberry.field(directives=[cost.assumed_size(3)])
    def tags(self) -> list[str]:
        return ["a", "b"]


@strawberry.type
class Query:
    @strawberry.field(directives=[cost.weight(5), *paged()])
    def items(self, first: int | None = 10) -> list[Item]:
        return [Item(name=str(i)) for i in range(page_size(first, default=10))]

    @strawberry.field
    def echo(self, text: str) -> str:
        return text

    @strawberry.field
    async def slow(self) -> str:
        try:
            await asyncio.sleep(5)
        except asyncio.CancelledError:
            cancelled.append("slow")
            raise
        return "done"


schema = federation_schema(
    query=Query, limits=GraphQLLimits(max_cost=100, deadline_seconds=0.3, max_string_length=10)
)


def test_the_estimate_multiplies_down_nested_lists() -> None:
    # weight 5 + first x (item 1 + tags: 3 assumed x 0 for a leaf)
    def estimate(query: str, variables: dict[str, object] | None = None) -> int:
        return cost.estimate(schema._schema, parse(query), variables=variables)

    assert estimate("{ items(first: 7) { name tags } }") == 5 + 7 * 1
    assert estimate("{ items { name } }") == 5 + 10  # the argument's default
    assert estimate("query ($n: Int = 4) { items(first: $n) { name } }") == 5 + 4
    assert estimate("query ($n: Int) { items(first: $n) { name } }", {"n": 9}) == 5 + 9
    # A null `first` is priced as the largest page the resolver would serve.
    assert estimate("{ items(first: null) { name } }") == 5 + 50
    fragment = "{ ...F } fragment F on Query { items(first: 2) { ... on Item { name } } }"
    assert estimate(fragment) == 5 + 2


async def test_an_operation_over_budget_runs_nothing() -> None:
    result = await schema.execute("{ a: items(first: 50) { name } b: items(first: 50) { name } }")
    assert result.data is None
    [error] = result.errors or []
    estimate = {"estimated": 2 * (5 + 50), "max": 100}
    assert error.extensions == {"code": "COST_LIMIT_EXCEEDED", "cost": estimate}


async def test_an_operation_past_its_deadline_is_stopped_and_cancelled() -> None:
    result = await schema.execute("{ slow }")
    [error] = result.errors or []
    assert error.extensions == {"code": "OPERATION_TIMEOUT"}
    assert cancelled == ["slow"]


async def test_unusable_strings_are_refused_before_execution() -> None:
    for query, variables, where in (
        ("query ($t: String!) { echo(text: $t) }", {"t": "a\x00b"}, "text"),
        ("query ($t: String!) { echo(text: $t) }", {"t": "\ud800"}, "text"),
        ('{ echo(text: "much too long") }', None, "text"),
        ('{ items(first: 1) { name } echo(text: "ok") }', None, None),
    ):
        result = await schema.execute(query, variable_values=variables)
        if where is None:
            assert not result.errors
            continue
        [error] = result.errors or []
        assert error.extensions == {"code": "BAD_USER_INPUT", "field": where}
        assert result.data is None
