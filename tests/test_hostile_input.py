"""Unusable input values in every String, ID and Float argument of the public API (NUL
characters, unpaired surrogates, over-long strings, numbers out of range) are answered with
BAD_USER_INPUT naming where, through the gateway, and never reach a resolver or Postgres."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLNonNull,
    GraphQLScalarType,
    Undefined,
    build_schema,
    get_named_type,
    is_composite_type,
)

from devstack.paths import API_SDL
from devstack.testing import RunningStack, graphql

PLACEHOLDER: dict[str, Any] = {"String": "x", "ID": "x", "Float": 1.0, "Int": 1, "Boolean": True}
BAD_STRINGS = {"nul": "a\x00b", "surrogate": "a\ud800b", "too-long": "x" * 20_001}
BAD_FLOATS = {"huge": 1.23456789e20, "huge-negative": -9.9e99}


def _value(type_: GraphQLInputType) -> Any:
    named = get_named_type(type_)
    if isinstance(named, GraphQLEnumType):
        return next(iter(named.values))
    if isinstance(named, GraphQLInputObjectType):
        return {
            name: _value(field.type)
            for name, field in named.fields.items()
            if isinstance(field.type, GraphQLNonNull)
        }
    assert isinstance(named, GraphQLScalarType)
    return PLACEHOLDER[named.name]


def _leaves(
    type_: GraphQLInputType, path: tuple[str, ...]
) -> Iterator[tuple[tuple[str, ...], str]]:
    """(path inside the argument, scalar name) of every String/ID/Float it can hold."""
    named = get_named_type(type_)
    if isinstance(named, GraphQLInputObjectType):
        for name, field in named.fields.items():
            yield from _leaves(field.type, (*path, name))
    elif isinstance(named, GraphQLScalarType) and named.name in ("String", "ID", "Float"):
        yield path, named.name


def _cases() -> Iterator[Any]:
    schema = build_schema(API_SDL.read_text(encoding="utf-8"))  # the client-facing API
    for operation, root in (("query", schema.query_type), ("mutation", schema.mutation_type)):
        assert root is not None
        for field_name, field in root.fields.items():
            for arg_name, argument in field.args.items():
                for path, scalar in _leaves(argument.type, (arg_name,)):
                    bad = BAD_FLOATS if scalar == "Float" else BAD_STRINGS
                    for label, value in bad.items():
                        yield pytest.param(
                            operation, field_name, field, path, value,
                            id=f"{field_name}.{'.'.join(path)}-{label}",
                        )  # fmt: skip


def _request(
    operation: str, field_name: str, field: GraphQLField, path: tuple[str, ...], bad: Any
) -> tuple[str, dict[str, Any]]:
    variables = {name: _value(arg.type) for name, arg in field.args.items() if _required(arg)}
    target = variables.setdefault(path[0], _value(field.args[path[0]].type))
    if len(path) == 1:
        variables[path[0]] = bad
    else:
        for key in path[1:-1]:
            target = target.setdefault(key, {})
        target[path[-1]] = bad
    definitions = ", ".join(f"${name}: {field.args[name].type}" for name in variables)
    arguments = ", ".join(f"{name}: ${name}" for name in variables)
    selection = " { __typename }" if is_composite_type(get_named_type(field.type)) else ""
    query = f"{operation} ({definitions}) {{ {field_name}({arguments}){selection} }}"
    return query, variables


def _required(argument: GraphQLArgument) -> bool:
    return isinstance(argument.type, GraphQLNonNull) and argument.default_value is Undefined


@contextmanager
def no_errors_logged(running: RunningStack) -> Iterator[None]:
    """Fails if any process logs at ERROR (or a traceback) inside the block."""
    sizes = {name: p.log_path.stat().st_size for name, p in running.processes.items()}
    yield
    for name, process in running.processes.items():
        with process.log_path.open("rb") as log:
            log.seek(sizes[name])
            written = log.read().decode(errors="replace")
        assert "Traceback" not in written, (name, written[-3000:])
        assert '"level": "ERROR"' not in written, (name, written[-3000:])


@pytest.mark.parametrize(("operation", "field_name", "field", "path", "bad"), list(_cases()))
def test_unusable_values_are_bad_user_input(
    running: RunningStack,
    operation: str,
    field_name: str,
    field: GraphQLField,
    path: tuple[str, ...],
    bad: Any,
) -> None:
    query, variables = _request(operation, field_name, field, path, bad)
    with no_errors_logged(running):
        body = graphql(running.gateway_url, query, variables, token=None)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", body
    assert error["extensions"]["field"] == ".".join(path), body


LITERALS = {
    "nul-in-a-literal": ('{ searchDisposalItems(query: "pet\\u0000") { name } }', "query"),
    "huge-float-literal": (
        "{ dropOffPointsNear(latitude: 1.23456789e20, longitude: 126.9) { distanceMeters } }",
        "latitude",
    ),
    "nested-field-argument": (
        '{ wasteCategory(code: "PAPER") { dropOffPointsNear(latitude: 37.5, '
        "longitude: -1e300) { distanceMeters } } }",
        "longitude",
    ),
}


def test_a_lone_surrogate_escape_is_a_syntax_error(running: RunningStack) -> None:
    """GraphQL's grammar has no lone surrogate escapes: the gateway cannot parse one."""
    body = graphql(running.gateway_url, '{ wasteCategory(code: "\\ud800") { code } }')
    assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_PARSE_FAILED", body


@pytest.mark.parametrize("name", list(LITERALS))
def test_unusable_literals_are_bad_user_input(running: RunningStack, name: str) -> None:
    query, argument = LITERALS[name]
    with no_errors_logged(running):
        body = graphql(running.gateway_url, query)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", body
    assert error["extensions"]["field"].endswith(argument), body
