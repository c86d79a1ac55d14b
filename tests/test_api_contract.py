"""The composed API keeps every name of ../shared/api-contract.graphql (the frontend's)."""

from __future__ import annotations

import pytest
from graphql import (
    EnumTypeDefinitionNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLObjectType,
    InputObjectTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    parse,
    print_ast,
)

from devstack.paths import SHARED_MATERIAL, SUPERGRAPH_SDL
from devstack.schema_diff import api_schema

CONTRACT = SHARED_MATERIAL / "api-contract.graphql"


def _gaps(supergraph: str | None = None) -> list[str]:
    schema = api_schema(supergraph or SUPERGRAPH_SDL.read_text())
    gaps: list[str] = []
    for node in parse(CONTRACT.read_text()).definitions:
        name = getattr(getattr(node, "name", None), "value", None)
        ours = schema.type_map.get(name) if name else None
        if isinstance(node, ObjectTypeDefinitionNode | InputObjectTypeDefinitionNode):
            if not isinstance(ours, GraphQLObjectType | GraphQLInputObjectType):
                gaps.append(f"type {name} is missing")
                continue
            for field in node.fields or ():
                mine = ours.fields.get(field.name.value)
                where = f"{name}.{field.name.value}"
                if mine is None:
                    gaps.append(f"{where} is missing")
                    continue
                if str(mine.type) != print_ast(field.type):
                    gaps.append(f"{where} is {mine.type}, contract says {print_ast(field.type)}")
                for argument in getattr(field, "arguments", None) or ():
                    arg = mine.args.get(argument.name.value)
                    if arg is None:
                        gaps.append(f"{where}({argument.name.value}) is missing")
                    elif str(arg.type) != print_ast(argument.type):
                        gaps.append(
                            f"{where}({argument.name.value}) is {arg.type}, "
                            f"contract says {print_ast(argument.type)}"
                        )
        elif isinstance(node, EnumTypeDefinitionNode):
            if not isinstance(ours, GraphQLEnumType):
                gaps.append(f"enum {name} is missing")
                continue
            missing = {v.name.value for v in node.values or ()} - set(ours.values)
            gaps.extend(f"{name}.{value} is missing" for value in sorted(missing))
    return gaps


@pytest.mark.skipif(not CONTRACT.is_file(), reason="../shared/api-contract.graphql is absent")
def test_every_contract_name_and_type_is_served() -> None:
    assert _gaps() == []


@pytest.mark.skipif(not CONTRACT.is_file(), reason="../shared/api-contract.graphql is absent")
def test_a_renamed_field_or_changed_type_is_caught() -> None:
    supergraph = SUPERGRAPH_SDL.read_text()
    renamed = supergraph.replace("distanceMeters: Float!", "distanceInMeters: Float!")
    assert "NearbyDropOffPoint.distanceMeters is missing" in _gaps(renamed)
    retyped = supergraph.replace("progress: Int!", "progress: Float!", 1)
    assert any(gap.endswith("contract says Int!") for gap in _gaps(retyped))
