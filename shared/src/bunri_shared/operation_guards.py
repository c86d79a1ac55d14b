"""Checks every operation passes before it executes: clean input values and a cost budget.

A subgraph must protect itself whatever sends it work (a gateway without demand control, a
client holding the gateway secret): both run after validation and before any resolver,
and a refusal is one error with a stable code and nothing executed.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterator
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    FloatValueNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValidationContext,
    ValidationRule,
    ValueNode,
    VariableNode,
    visit,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.language import Visitor
from strawberry.extensions import SchemaExtension

from bunri_shared import cost
from bunri_shared.errors import ErrorCode

log = logging.getLogger(__name__)

# NUL cannot be stored by Postgres; a lone surrogate cannot be encoded as UTF-8.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# No number in this API comes near this; past it a Float loses integer precision anyway.
MAX_NUMBER = 1e15


def _problem(value: Any, max_length: int) -> str | None:
    if isinstance(value, str):
        if _UNSTORABLE.search(value):
            return "contains a NUL character or an unpaired surrogate"
        if len(value) > max_length:
            return f"is longer than {max_length} characters"
    elif (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and (not math.isfinite(value) or abs(value) > MAX_NUMBER)
    ):
        return "is out of range"
    return None


def _walk_values(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Every leaf of a JSON-like value, with its dotted path."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk_values(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk_values(item, f"{path}[{index}]")
    else:
        yield path, value


def _walk_literal(
    node: ValueNode, path: str, variables: dict[str, Any]
) -> Iterator[tuple[str, Any]]:
    if isinstance(node, VariableNode):
        # Named after the argument, not the variable: gateways rename variables.
        if node.name.value in variables:
            yield from _walk_values(variables[node.name.value], path)
    elif isinstance(node, StringValueNode):
        yield path, node.value
    elif isinstance(node, FloatValueNode):
        yield path, float(node.value)
    elif isinstance(node, IntValueNode):
        yield path, int(node.value)
    elif isinstance(node, ObjectValueNode):
        for field in node.fields:
            yield from _walk_literal(field.value, f"{path}.{field.name.value}", variables)
    elif isinstance(node, ListValueNode):
        for index, item in enumerate(node.values):
            yield from _walk_literal(item, f"{path}[{index}]", variables)


class _Arguments(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, ValueNode]] = []

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        self.found.append((node.name.value, node.value))


def input_problem(
    document: DocumentNode, variables: dict[str, Any] | None, *, max_length: int
) -> tuple[str, str] | None:
    """(argument path, what is wrong) for the first unusable input value, else None.

    Values are found through the arguments that use them, so an unused variable is not
    looked at (validation refuses it anyway)."""
    arguments = _Arguments()
    visit(document, arguments)
    for name, node in arguments.found:
        for path, leaf in _walk_literal(node, name, variables or {}):
            problem = _problem(leaf, max_length)
            if problem:
                return path, problem
    return None


def _refuse(execution_context: Any, message: str, **extensions: Any) -> None:
    execution_context.result = GraphQLExecutionResult(
        data=None, errors=[GraphQLError(message, extensions=extensions)]
    )


class _Guard(SchemaExtension):
    """Runs `check` before execution. A bug in a check must not leak its message past the
    error mask (hooks run outside it): it is logged and the operation refused as INTERNAL."""

    def check(self, context: Any) -> None:
        raise NotImplementedError

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is not None and not context.result:
            try:
                self.check(context)
            except Exception:
                log.exception("%s failed", type(self).__name__)
                _refuse(context, "Internal server error.", code=ErrorCode.INTERNAL.value)
        yield


class InputGuard(_Guard):
    """Unstorable strings (NUL, lone surrogates), over-long strings and out-of-range numbers
    in any argument or variable → BAD_USER_INPUT naming where, before anything runs."""

    def __init__(self, *, max_string_length: int) -> None:
        self.max_string_length = max_string_length

    def check(self, context: Any) -> None:
        found = input_problem(
            context.graphql_document, context.variables, max_length=self.max_string_length
        )
        if found:
            where, problem = found
            _refuse(
                context, f"{where} {problem}.", code=ErrorCode.BAD_USER_INPUT.value, field=where
            )


class CostLimiter(_Guard):
    """Refuses a fetch whose estimated cost (bunri_shared.cost) is over the budget."""

    def __init__(self, *, max_cost: int) -> None:
        self.max_cost = max_cost

    def check(self, context: Any) -> None:
        estimated = cost.estimate(
            context.schema._schema,
            context.graphql_document,
            operation_name=context.operation_name,
            variables=context.variables,
        )
        if estimated > self.max_cost:
            _refuse(
                context,
                f"This operation is too expensive: estimated cost {estimated}, "
                f"limit {self.max_cost}.",
                code=ErrorCode.COST_LIMIT_EXCEEDED.value,
                cost={"estimated": estimated, "max": self.max_cost},
            )


# The Hive Gateway's response cache adds `__responseCacheTypeName: __typename` (and an id
# alias) to every selection set of an operation it may cache, and the planner passes them
# on: not the client's aliases, which the gateway has already limited.
GATEWAY_ALIAS_PREFIX = "__responseCache"


def max_aliases_rule(max_aliases: int) -> type[ValidationRule]:
    """Refuses a document with more than `max_aliases` aliases (fragments counted where
    they are spread), leaving out those the gateway adds itself."""

    class MaxAliases(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            document = context.document
            fragments = {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            total = sum(
                _aliases(d.selection_set, fragments, frozenset())
                for d in document.definitions
                if isinstance(d, OperationDefinitionNode)
            )
            if total > max_aliases:
                context.report_error(GraphQLError(f"{total} aliases found. Allowed: {max_aliases}"))

    return MaxAliases


def _aliases(
    selections: SelectionSetNode | None,
    fragments: dict[str, FragmentDefinitionNode],
    seen: frozenset[str],
) -> int:
    if selections is None:
        return 0
    count = 0
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            alias = selection.alias.value if selection.alias else None
            count += alias is not None and not alias.startswith(GATEWAY_ALIAS_PREFIX)
            count += _aliases(selection.selection_set, fragments, seen)
        elif isinstance(selection, InlineFragmentNode):
            count += _aliases(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in seen:
                count += _aliases(fragments[name].selection_set, fragments, seen | {name})
    return count
