"""Demand control: `@cost` / `@listSize` on the schema, and an estimate of an operation's cost.

The model is the one Apollo Router and Hive Gateway use (IBM's GraphQL cost specification):
a field costs its `@cost` weight plus, per returned item, 1 for an object (0 for a leaf)
and the cost of its own selection; the number of items is its `first` argument
(`slicingArguments`) or its `assumedSize`. The gateway prices the whole client operation
with the same rules (router/cost.ts); each subgraph prices the fetch it receives, where an
`_entities` batch counts one item per representation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_composite_type,
    is_interface_type,
    is_list_type,
    is_object_type,
)
from graphql.utilities import get_operation_ast, value_from_ast_untyped
from strawberry.federation.schema_directives import Cost, ListSize

# A list field with no @listSize is priced as this many items (the tests insist every
# list field of the public API has one).
DEFAULT_LIST_SIZE = 20
# Lists bounded by the data; tests/test_demand_control.py checks the data stays within them.
# Any set of categories (a point's accepted ones: the taxonomy has 19):
CATEGORY_LIST_BOUND = 20
# The categories of one level (7 at the top, at most 12 under one parent):
SIBLING_CATEGORY_BOUND = 15
# A guide's steps or not-accepted items (at most 17):
GUIDE_LIST_BOUND = 20
# Weights of fields that run a query of their own, relative to an object (1).
NEARBY_SEARCH = 5
TEXT_SEARCH = 10
# A mutation writes: it costs this on top of its selection (Apollo's and Hive's default).
MUTATION_COST = 10


def weight(value: int) -> Cost:
    """`@cost(weight:)` — what resolving the field costs beyond its items (a query, a search)."""
    return Cost(weight=value)


def sliced_by_first(at_most: int, *, sized_fields: list[str] | None = None) -> ListSize:
    """`@listSize(slicingArguments: ["first"])`: as many items as the client asks for; when
    `first` is null the resolver's default applies, priced as the largest page (`at_most`)."""
    # Passed only when set: an explicit None would be printed as `sizedFields: null`.
    extra = {"sized_fields": sized_fields} if sized_fields else {}
    return ListSize(
        slicing_arguments=["first"],
        assumed_size=at_most,
        require_one_slicing_argument=False,
        **extra,
    )


def assumed_size(size: int) -> ListSize:
    """`@listSize(assumedSize:)`: at most this many items (bounded by the data, not the client)."""
    return ListSize(assumed_size=size)


@dataclass(slots=True)
class _Walk:
    schema: GraphQLSchema
    variables: dict[str, Any]
    fragments: dict[str, FragmentDefinitionNode]
    seen_fragments: set[str] = field(default_factory=set)


def estimate(
    schema: GraphQLSchema,
    document: DocumentNode,
    *,
    operation_name: str | None = None,
    variables: dict[str, Any] | None = None,
) -> int:
    """The estimated cost of one operation of a validated document (0 if none is selected)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    walk = _Walk(
        schema=schema,
        variables={**_variable_defaults(operation), **(variables or {})},
        fragments={
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        },
    )
    base = MUTATION_COST if operation.operation is OperationType.MUTATION else 0
    return base + _selection_cost(walk, root, operation.selection_set, {})


def _selection_cost(
    walk: _Walk,
    parent: GraphQLNamedType,
    selection_set: SelectionSetNode | None,
    sized: dict[str, int],
) -> int:
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            definition = _field(parent, selection.name.value)
            if definition is not None:
                total += _field_cost(walk, definition, selection, sized.get(selection.name.value))
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            target = walk.schema.get_type(condition.name.value) if condition else parent
            total += _selection_cost(walk, target or parent, selection.selection_set, sized)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = walk.fragments.get(name)
            # Validation forbids cycles; the guard keeps a bad document from recursing forever.
            if fragment is None or name in walk.seen_fragments:
                continue
            walk.seen_fragments.add(name)
            target = walk.schema.get_type(fragment.type_condition.name.value)
            total += _selection_cost(walk, target or parent, fragment.selection_set, sized)
            walk.seen_fragments.discard(name)
    return total


def _field(parent: GraphQLNamedType, name: str) -> GraphQLField | None:
    if is_object_type(parent) or is_interface_type(parent):
        assert isinstance(parent, GraphQLObjectType) or is_interface_type(parent)
        return parent.fields.get(name)  # type: ignore[union-attr]
    return None  # __typename on a union, or an unknown field (validation reports it)


def _field_cost(walk: _Walk, definition: GraphQLField, node: FieldNode, size: int | None) -> int:
    directives = _directives(definition)
    cost_weight = next((d.weight for d in directives if isinstance(d, Cost)), 0)
    list_size = next((d for d in directives if isinstance(d, ListSize)), None)
    returned = get_named_type(definition.type)
    child_sized: dict[str, int] = {}
    if node.name.value == "_entities":
        size = _list_length(walk, node, "representations")
    elif list_size is not None and list_size.slicing_arguments:
        requested = max(
            (_int_argument(walk, definition, node, name) for name in list_size.slicing_arguments),
            default=None,
            key=lambda value: -1 if value is None else value,
        )
        if requested is None:
            requested = list_size.assumed_size or DEFAULT_LIST_SIZE
        if list_size.sized_fields:
            child_sized = dict.fromkeys(list_size.sized_fields, requested)
        else:
            size = requested
    elif list_size is not None and list_size.assumed_size is not None:
        size = list_size.assumed_size
    if size is None:
        size = DEFAULT_LIST_SIZE if is_list_type(get_nullable_type(definition.type)) else 1
    item = 1 if is_composite_type(returned) else 0
    children = _selection_cost(walk, returned, node.selection_set, child_sized)
    return cost_weight + max(size, 0) * (item + children)


def _directives(definition: GraphQLField) -> list[object]:
    strawberry_field = (definition.extensions or {}).get("strawberry-definition")
    return list(getattr(strawberry_field, "directives", ()) or ())


def _variable_defaults(operation: OperationDefinitionNode) -> dict[str, Any]:
    return {
        definition.variable.name.value: value_from_ast_untyped(definition.default_value)
        for definition in operation.variable_definitions or ()
        if definition.default_value is not None
    }


def _int_argument(walk: _Walk, definition: GraphQLField, node: FieldNode, name: str) -> int | None:
    value: Any = None
    for argument in node.arguments or ():
        if argument.name.value == name:
            value = _literal(walk, argument.value)
            break
    else:
        argument_definition = definition.args.get(name)
        value = argument_definition.default_value if argument_definition else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _list_length(walk: _Walk, node: FieldNode, name: str) -> int:
    for argument in node.arguments or ():
        if argument.name.value == name:
            value = argument.value
            if isinstance(value, ListValueNode):
                return len(value.values)
            literal = _literal(walk, value)
            return len(literal) if isinstance(literal, list) else 1
    return 0


def _literal(walk: _Walk, value: Any) -> Any:
    if isinstance(value, VariableNode):
        return walk.variables.get(value.name.value)
    if isinstance(value, IntValueNode):
        return int(value.value)
    return None


__all__ = [
    "DEFAULT_LIST_SIZE",
    "assumed_size",
    "estimate",
    "sliced_by_first",
    "weight",
]
