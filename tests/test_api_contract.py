"""The composed API keeps every name of the frontend's contract.

tests/data/api-contract.graphql is the contract the frontend team wrote against (copied
into the repository so these tests run in any clone); router/api.graphql is what the
gateway serves.
"""

from __future__ import annotations

from pathlib import Path

from graphql import (
    EnumTypeDefinitionNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLObjectType,
    InputObjectTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    build_schema,
    parse,
    print_ast,
)

from devstack.paths import API_SDL

CONTRACT = Path(__file__).parent / "data" / "api-contract.graphql"
# Types changed on purpose (issue 13, docs/decisions.md): what the contract's type became.
DELIBERATE = {
    # Nullable: nothing the caller may not see can cost them the tokens.
    "AuthPayload.user": "User",
    # An enum with a documented order, not a free string.
    "WasteAnalysis.stage": "AnalysisStage!",
    "AnalysisProgressEvent.stage": "AnalysisStage!",
}


def _gaps(api: str | None = None) -> list[str]:
    schema = build_schema(api or API_SDL.read_text(encoding="utf-8"))
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
                if str(mine.type) != print_ast(field.type) and DELIBERATE.get(where) != str(
                    mine.type
                ):
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


def test_every_contract_name_and_type_is_served() -> None:
    assert _gaps() == []


def test_every_deliberate_change_is_still_needed() -> None:
    """A listed change the API no longer makes is a stale entry: drop it."""
    schema = build_schema(API_SDL.read_text(encoding="utf-8"))
    for where, became in DELIBERATE.items():
        type_name, field = where.split(".")
        assert str(schema.type_map[type_name].fields[field].type) == became, where  # type: ignore[attr-defined]


def test_a_renamed_field_or_changed_type_is_caught() -> None:
    api = API_SDL.read_text(encoding="utf-8")
    renamed = api.replace("distanceMeters: Float!", "distanceInMeters: Float!")
    assert "NearbyDropOffPoint.distanceMeters is missing" in _gaps(renamed)
    retyped = api.replace("progress: Int!", "progress: Float!", 1)
    assert any(gap.endswith("contract says Int!") for gap in _gaps(retyped))
