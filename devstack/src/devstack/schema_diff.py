"""Breaking-change check: the public API of two supergraphs, compared with graphql-core.

The supergraph SDL carries federation machinery (join__/link__ types and directives,
@inaccessible elements) that clients never see. `api_schema` strips it so the comparison
is about the API clients query; `compare` reports what graphql-core calls breaking and
dangerous changes between two versions.
"""

from __future__ import annotations

import copy
import dataclasses
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from graphql import (
    DirectiveDefinitionNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    FieldDefinitionNode,
    GraphQLSchema,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    ListTypeNode,
    ListValueNode,
    NamedTypeNode,
    NonNullTypeNode,
    ObjectValueNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    StringValueNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    TypeNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    build_ast_schema,
    find_breaking_changes,
    find_dangerous_changes,
    parse,
    specified_directives,
)

Level = Literal["BREAKING", "DANGEROUS"]

DEFAULT_SUPERGRAPH_PATH = "router/supergraph.graphql"

# Directive usages clients can observe through introspection (@deprecated, ...); every
# other usage in a supergraph is composition metadata.
_BUILTIN_DIRECTIVES = frozenset(d.name for d in specified_directives)
# Federation namespaces and spec-named directives recognised even without an @link
# (federation 1 supergraphs use @core; a file may lack the schema @link directives).
_FEDERATION_PREFIXES = ("join", "link", "core")
_FEDERATION_DIRECTIVES = frozenset({"link", "core", "inaccessible", "tag"})
_INACCESSIBLE = "inaccessible"
_VERSION = re.compile(r"^v\d+(\.\d+)*$")

N = TypeVar("N")


@dataclass(frozen=True, slots=True)
class SchemaChange:
    kind: str
    description: str
    level: Level


@dataclass(slots=True)
class _Federation:
    """Names that belong to linked specs (join, link, inaccessible, ...), as used locally."""

    prefixes: set[str] = dataclasses.field(default_factory=lambda: set(_FEDERATION_PREFIXES))
    directives: set[str] = dataclasses.field(default_factory=lambda: set(_FEDERATION_DIRECTIVES))
    types: set[str] = dataclasses.field(default_factory=set)
    inaccessible: set[str] = dataclasses.field(default_factory=lambda: {_INACCESSIBLE})

    def is_directive(self, name: str) -> bool:
        return name in self.directives or _namespaced(name, self.prefixes)

    def is_type(self, name: str) -> bool:
        return name in self.types or _namespaced(name, self.prefixes)


def api_schema(supergraph_sdl: str) -> GraphQLSchema:
    """The schema clients see: the supergraph without federation machinery and @inaccessible.

    Also accepts a plain SDL (no federation directives at all).
    """
    return build_ast_schema(api_document(parse(supergraph_sdl)))


def api_document(document: DocumentNode) -> DocumentNode:
    federation = _federation(document)
    removed_types = {
        node.name.value
        for node in document.definitions
        if isinstance(node, TypeDefinitionNode | TypeExtensionNode)
        and (federation.is_type(node.name.value) or _inaccessible(node, federation))
    }
    definitions: list[Any] = []
    for node in document.definitions:
        if isinstance(node, DirectiveDefinitionNode):
            if not federation.is_directive(node.name.value):
                arguments = _input_values(node.arguments, federation, removed_types)
                definitions.append(_with(node, arguments=arguments))
        elif isinstance(node, SchemaDefinitionNode | SchemaExtensionNode):
            operations = tuple(
                op for op in node.operation_types or () if op.type.name.value not in removed_types
            )
            if isinstance(node, SchemaDefinitionNode) or operations:
                definitions.append(_with(node, directives=(), operation_types=operations))
        elif (
            isinstance(node, TypeDefinitionNode | TypeExtensionNode)
            and node.name.value not in removed_types
        ):
            definitions.append(_type(node, federation, removed_types))
        # Anything else (operations, fragments) has no place in a schema document.
    return _with(document, definitions=tuple(definitions))


def compare(old_sdl: str, new_sdl: str) -> list[SchemaChange]:
    """Breaking and dangerous changes from the old supergraph's API to the new one's."""
    old, new = api_schema(old_sdl), api_schema(new_sdl)
    changes = [
        SchemaChange(change.type.name, change.description, "BREAKING")
        for change in find_breaking_changes(old, new)
    ] + [
        SchemaChange(change.type.name, change.description, "DANGEROUS")
        for change in find_dangerous_changes(old, new)
    ]
    order = {"BREAKING": 0, "DANGEROUS": 1}
    return sorted(set(changes), key=lambda c: (order[c.level], c.kind, c.description))


def base_supergraph(repo: Path, base: str, path: str = DEFAULT_SUPERGRAPH_PATH) -> str | None:
    """The supergraph SDL committed at `base` (any git revision); None if there is none.

    `path` is relative to `repo` (which need not be the top of the git work tree).
    """
    if not base or base.startswith("-"):  # never let a "ref" become a git option
        return None
    spec = path if path.startswith(("./", "/")) else f"./{path}"
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), "show", f"{base}:{spec}"],
            capture_output=True,
            check=False,
        )
    except FileNotFoundError:  # no git at all
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8")


# --- helpers ---------------------------------------------------------------------------


def _with(node: N, **changes: Any) -> N:
    """A copy of an AST node with some attributes replaced (frozen or mutable nodes)."""
    if dataclasses.is_dataclass(node):
        return dataclasses.replace(node, **changes)  # type: ignore[type-var]
    clone = copy.copy(node)
    for name, value in changes.items():
        setattr(clone, name, value)
    return clone


def _namespaced(name: str, prefixes: Iterable[str]) -> bool:
    return any(name == p or name.startswith(f"{p}__") for p in prefixes)


def _federation(document: DocumentNode) -> _Federation:
    """Read the schema's @link directives: each linked spec's namespace and imports."""
    federation = _Federation()
    for node in document.definitions:
        if not isinstance(node, SchemaDefinitionNode | SchemaExtensionNode):
            continue
        for directive in node.directives or ():
            if directive.name.value not in ("link", "core"):
                continue
            arguments = {arg.name.value: arg.value for arg in directive.arguments or ()}
            url = _string(arguments.get("url")) or _string(arguments.get("feature"))
            if url is None:
                continue
            spec = _spec_name(url)
            prefix = _string(arguments.get("as")) or spec
            federation.prefixes.add(prefix)
            federation.directives.add(prefix)
            if spec == _INACCESSIBLE:
                federation.inaccessible.add(prefix)
            for imported in _imports(arguments.get("import")):
                original, local = imported
                if original.startswith("@"):
                    federation.directives.add(local.lstrip("@"))
                    if original == f"@{_INACCESSIBLE}":
                        federation.inaccessible.add(local.lstrip("@"))
                else:
                    federation.types.add(local)
    return federation


def _spec_name(url: str) -> str:
    parts = [p for p in url.split("?")[0].rstrip("/").split("/") if p]
    if len(parts) >= 2 and _VERSION.match(parts[-1]):
        return parts[-2]
    return parts[-1] if parts else url


def _string(value: Any) -> str | None:
    return value.value if isinstance(value, StringValueNode) else None


def _imports(value: Any) -> list[tuple[str, str]]:
    """@link(import: ["@key", {name: "@tag", as: "@mytag"}, "Purpose"]) as (original, local)."""
    if not isinstance(value, ListValueNode):
        return []
    found: list[tuple[str, str]] = []
    for item in value.values:
        if isinstance(item, StringValueNode):
            found.append((item.value, item.value))
        elif isinstance(item, ObjectValueNode):
            fields = {f.name.value: f.value for f in item.fields}
            name = _string(fields.get("name"))
            if name is not None:
                found.append((name, _string(fields.get("as")) or name))
    return found


def _inaccessible(node: Any, federation: _Federation) -> bool:
    return any(d.name.value in federation.inaccessible for d in node.directives or ())


def _visible(directives: Sequence[DirectiveNode] | None) -> tuple[DirectiveNode, ...]:
    return tuple(d for d in directives or () if d.name.value in _BUILTIN_DIRECTIVES)


def _named(type_node: TypeNode) -> str:
    while isinstance(type_node, ListTypeNode | NonNullTypeNode):
        type_node = type_node.type
    assert isinstance(type_node, NamedTypeNode)
    return type_node.name.value


def _input_values(
    values: Sequence[InputValueDefinitionNode] | None,
    federation: _Federation,
    removed_types: set[str],
) -> tuple[InputValueDefinitionNode, ...]:
    return tuple(
        _with(value, directives=_visible(value.directives))
        for value in values or ()
        if not _inaccessible(value, federation) and _named(value.type) not in removed_types
    )


def _fields(
    fields: Sequence[FieldDefinitionNode] | None,
    federation: _Federation,
    removed_types: set[str],
) -> tuple[FieldDefinitionNode, ...]:
    return tuple(
        _with(
            field,
            directives=_visible(field.directives),
            arguments=_input_values(field.arguments, federation, removed_types),
        )
        for field in fields or ()
        if not _inaccessible(field, federation) and _named(field.type) not in removed_types
    )


def _type(node: Any, federation: _Federation, removed_types: set[str]) -> Any:
    changes: dict[str, Any] = {"directives": _visible(node.directives)}
    if isinstance(node, InputObjectTypeDefinitionNode | InputObjectTypeExtensionNode):
        changes["fields"] = _input_values(node.fields, federation, removed_types)
    elif hasattr(node, "fields"):  # object and interface types
        changes["fields"] = _fields(node.fields, federation, removed_types)
    if hasattr(node, "interfaces"):
        changes["interfaces"] = tuple(
            i for i in node.interfaces or () if i.name.value not in removed_types
        )
    if isinstance(node, UnionTypeDefinitionNode | UnionTypeExtensionNode):
        changes["types"] = tuple(t for t in node.types or () if t.name.value not in removed_types)
    if isinstance(node, EnumTypeDefinitionNode | EnumTypeExtensionNode):
        changes["values"] = tuple(
            _with(value, directives=_visible(value.directives))
            for value in node.values or ()
            if not _inaccessible(value, federation)
        )
    return _with(node, **changes)
