"""Every type, field, argument and enum value of the public API has a description.

GraphiQL and codegen show these to frontend developers; router/api.graphql is what they
read. Built-in scalars and introspection types are the spec's, not ours.
"""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
)

from devstack.paths import API_SDL

BUILT_IN = {"String", "Int", "Float", "Boolean", "ID"}


def undescribed(schema: GraphQLSchema) -> list[str]:
    missing: list[str] = []
    for name, type_ in sorted(schema.type_map.items()):
        if name.startswith("__") or name in BUILT_IN:
            continue
        if not (type_.description or "").strip():
            missing.append(f"type {name}")
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in type_.fields.items():
                if not (field.description or "").strip():
                    missing.append(f"{name}.{field_name}")
                missing.extend(
                    f"{name}.{field_name}({arg_name})"
                    for arg_name, arg in field.args.items()
                    if not (arg.description or "").strip()
                )
        elif isinstance(type_, GraphQLInputObjectType):
            missing.extend(
                f"{name}.{field_name}"
                for field_name, field in type_.fields.items()
                if not (field.description or "").strip()
            )
        elif isinstance(type_, GraphQLEnumType):
            missing.extend(
                f"{name}.{value_name}"
                for value_name, value in type_.values.items()
                if not (value.description or "").strip()
            )
    return missing


def test_the_public_api_is_fully_described() -> None:
    missing = undescribed(build_schema(API_SDL.read_text(encoding="utf-8")))
    assert missing == [], f"{len(missing)} without a description: {missing}"


def test_a_missing_description_is_caught() -> None:
    schema = build_schema(
        '"Root." type Query { "Described." a(x: Int): Int  b: Int  "E." e: E }'
        ' enum E { "Yes." YES NO }'
    )
    assert undescribed(schema) == ["type E", "E.NO", "Query.a(x)", "Query.b"]
