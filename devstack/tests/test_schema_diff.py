"""schema_diff and `bunri schema-diff`: no database, no processes (no stack fixtures here)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from graphql import print_schema

from devstack.paths import SUPERGRAPH_SDL
from devstack.schema_diff import SchemaChange, api_schema, base_supergraph, compare

SUPERGRAPH = SUPERGRAPH_SDL.read_text(encoding="utf-8")
WASTE_CATEGORY = "  wasteCategory(code: ID!): WasteCategory @join__field(graph: RECYCLING)\n"
NICKNAME = "  nickname: String! @join__field(graph: USERS)\n"


def edited(old: str, new: str, sdl: str = SUPERGRAPH) -> str:
    assert sdl.count(old) == 1, f"the supergraph changed: {old!r} is not there exactly once"
    return sdl.replace(old, new)


def breaking(changes: list[SchemaChange]) -> list[SchemaChange]:
    return [c for c in changes if c.level == "BREAKING"]


# --- api_schema ----------------------------------------------------------------------------


def test_api_schema_has_no_federation_machinery() -> None:
    schema = api_schema(SUPERGRAPH)
    printed = print_schema(schema)
    assert "join__" not in printed
    assert "link" not in printed
    assert {d.name for d in schema.directives} <= {
        "include",
        "skip",
        "deprecated",
        "specifiedBy",
        "oneOf",
    }
    assert not [name for name in schema.type_map if name.startswith(("join__", "link__"))]
    query = schema.query_type
    assert query is not None
    assert "wasteCategory" in query.fields
    assert schema.mutation_type is not None
    assert schema.subscription_type is not None


def test_api_schema_drops_inaccessible_and_linked_names() -> None:
    sdl = """
    schema
      @link(url: "https://specs.apollo.dev/link/v1.0")
      @link(url: "https://specs.apollo.dev/inaccessible/v0.2", as: "hidden")
      @link(url: "https://specs.apollo.dev/tag/v0.3", import: [{name: "@tag", as: "@label"}]) {
      query: Query
    }
    directive @hidden on FIELD_DEFINITION | OBJECT | ARGUMENT_DEFINITION | ENUM_VALUE | INTERFACE
    directive @label(name: String!) repeatable on FIELD_DEFINITION | OBJECT
    directive @link(url: String, as: String, import: [link__Import]) repeatable on SCHEMA
    directive @client(always: Boolean) on FIELD
    scalar link__Import
    type Secret @hidden { x: Int }
    interface Node @hidden { id: ID! }
    union Result = Item | Secret
    type Item implements Node { id: ID! old: Int @deprecated(reason: "gone soon") }
    type Query @label(name: "q") {
      item(internal: Int @hidden, id: ID): Item
      secret: Secret @hidden
      result: Result
      color: Color
    }
    enum Color { RED BLUE @hidden }
    """
    schema = api_schema(sdl)
    assert "Secret" not in schema.type_map
    assert "Node" not in schema.type_map
    assert "link__Import" not in schema.type_map
    assert {d.name for d in schema.directives} >= {"client"}
    assert not {"hidden", "label", "link"} & {d.name for d in schema.directives}
    query = schema.query_type
    assert query is not None
    assert set(query.fields) == {"item", "result", "color"}
    assert set(query.fields["item"].args) == {"id"}
    assert print_schema(schema).count("union Result = Item\n") == 1
    assert list(schema.type_map["Color"].values) == ["RED"]  # type: ignore[attr-defined]
    assert schema.type_map["Item"].fields["old"].deprecation_reason == "gone soon"  # type: ignore[attr-defined]


# --- compare -------------------------------------------------------------------------------


def test_unchanged_supergraph_has_no_changes() -> None:
    assert compare(SUPERGRAPH, SUPERGRAPH) == []


def test_removed_query_field_is_breaking() -> None:
    changes = compare(SUPERGRAPH, edited(WASTE_CATEGORY, ""))
    assert changes == [
        SchemaChange("FIELD_REMOVED", "Field Query.wasteCategory was removed.", "BREAKING")
    ]


def test_removed_entity_field_is_breaking() -> None:
    changes = compare(SUPERGRAPH, edited(NICKNAME, ""))
    assert [(c.kind, c.level) for c in changes] == [("FIELD_REMOVED", "BREAKING")]
    assert "User.nickname" in changes[0].description


def test_changed_field_type_is_breaking() -> None:
    new = edited(NICKNAME, NICKNAME.replace("String!", "Int"))
    changes = breaking(compare(SUPERGRAPH, new))
    assert [c.kind for c in changes] == ["FIELD_CHANGED_KIND"]
    assert "User.nickname" in changes[0].description
    assert "String!" in changes[0].description
    assert "Int" in changes[0].description


def test_new_required_argument_is_breaking() -> None:
    new = edited("wasteCategory(code: ID!)", "wasteCategory(code: ID!, strict: Boolean!)")
    changes = compare(SUPERGRAPH, new)
    assert [(c.kind, c.level) for c in changes] == [("REQUIRED_ARG_ADDED", "BREAKING")]
    assert "Query.wasteCategory" in changes[0].description
    assert "strict" in changes[0].description


@pytest.mark.parametrize("argument", ["strict: Boolean = false", "strict: Boolean"])
def test_new_optional_argument_is_only_dangerous(argument: str) -> None:
    new = edited("wasteCategory(code: ID!)", f"wasteCategory(code: ID!, {argument})")
    changes = compare(SUPERGRAPH, new)
    assert [(c.kind, c.level) for c in changes] == [("OPTIONAL_ARG_ADDED", "DANGEROUS")]
    assert "Query.wasteCategory" in changes[0].description


def test_new_field_is_not_a_change() -> None:
    new = edited(NICKNAME, NICKNAME + "  bio: String @join__field(graph: USERS)\n")
    assert compare(SUPERGRAPH, new) == []


def test_federation_only_edits_are_not_changes() -> None:
    # Moving a field to another subgraph changes the plan, not what clients see.
    new = edited(NICKNAME, NICKNAME.replace("graph: USERS", "graph: AUTH"))
    assert compare(SUPERGRAPH, new) == []


def test_changes_are_sorted_breaking_first() -> None:
    new = edited(WASTE_CATEGORY, "")
    new = edited(NICKNAME, NICKNAME.replace("String!", "Int"), new)
    new = edited("  FAILED @join__enumValue(graph: WASTE)\n", "  FAILED\n  CANCELLED\n", new)
    changes = compare(SUPERGRAPH, new)
    assert [c.level for c in changes] == ["BREAKING", "BREAKING", "DANGEROUS"]
    assert [c.kind for c in changes] == [
        "FIELD_CHANGED_KIND",
        "FIELD_REMOVED",
        "VALUE_ADDED_TO_ENUM",
    ]
    assert compare(SUPERGRAPH, new) == changes


# --- base_supergraph and the command -------------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with the current supergraph committed at router/supergraph.graphql."""
    (tmp_path / "router").mkdir()
    (tmp_path / "router" / "supergraph.graphql").write_text(SUPERGRAPH, encoding="utf-8")
    for argv in (
        ["init", "--quiet"],
        ["config", "user.name", "Schema Test"],
        ["config", "user.email", "schema-test@example.invalid"],
        ["config", "commit.gpgsign", "false"],
        ["add", "router/supergraph.graphql"],
        ["commit", "--quiet", "-m", "supergraph"],
    ):
        subprocess.run(["git", "-C", str(tmp_path), *argv], check=True, capture_output=True)
    return tmp_path


def schema_diff(repo: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BUNRI_")}
    return subprocess.run(
        [sys.executable, "-m", "devstack.cli", "schema-diff", "--repo", str(repo), *args],
        capture_output=True,
        text=True,
        env={**clean, **env},
        timeout=120,
        check=False,
    )


def test_base_supergraph(repo: Path) -> None:
    assert base_supergraph(repo, "HEAD") == SUPERGRAPH
    assert base_supergraph(repo, "no-such-ref") is None
    assert base_supergraph(repo, "HEAD", "router/missing.graphql") is None
    assert base_supergraph(repo, "--output=/dev/null") is None


def test_command_passes_when_unchanged(repo: Path) -> None:
    done = schema_diff(repo, "--base", "HEAD")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 breaking, 0 dangerous" in done.stdout


def test_command_fails_on_a_removed_field(repo: Path) -> None:
    (repo / "router" / "supergraph.graphql").write_text(edited(WASTE_CATEGORY, ""), "utf-8")
    done = schema_diff(repo, "--base", "HEAD")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "BREAKING  FIELD_REMOVED: Field Query.wasteCategory was removed." in done.stdout
    assert "1 breaking" in done.stdout


def test_command_allows_breaking_when_asked(repo: Path) -> None:
    (repo / "router" / "supergraph.graphql").write_text(edited(WASTE_CATEGORY, ""), "utf-8")
    for done in (
        schema_diff(repo, "--base", "HEAD", "--allow-breaking"),
        schema_diff(repo, "--base", "HEAD", BUNRI_ALLOW_BREAKING="1"),
    ):
        assert done.returncode == 0, done.stdout + done.stderr
        assert "BREAKING" in done.stdout
        assert "Query.wasteCategory" in done.stdout


def test_command_reports_dangerous_changes_without_failing(repo: Path) -> None:
    new = edited("wasteCategory(code: ID!)", "wasteCategory(code: ID!, strict: Boolean)")
    (repo / "router" / "supergraph.graphql").write_text(new, "utf-8")
    done = schema_diff(repo, "--base", "HEAD")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "DANGEROUS OPTIONAL_ARG_ADDED:" in done.stdout


def test_command_without_a_base_supergraph(repo: Path) -> None:
    done = schema_diff(repo, "--base", "no-such-ref")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no supergraph at no-such-ref: nothing to compare" in done.stdout
    done = schema_diff(repo, BUNRI_SCHEMA_BASE="no-such-ref")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no supergraph at no-such-ref" in done.stdout
