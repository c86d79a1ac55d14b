"""The breaking-change check on router/api.graphql, and the schema-diff command."""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from graphql import Node, Visitor, parse, print_ast, visit

from devstack.paths import REPO_ROOT
from devstack.schema_diff import SchemaChange, base_api, compare, git_show

API_TEXT = (REPO_ROOT / "router" / "api.graphql").read_text(encoding="utf-8")


def _without_descriptions(sdl: str) -> str:
    """The API printed plainly (no descriptions), so edits below can name exact lines."""

    class Strip(Visitor):
        def enter(self, node: Node, *_: object) -> Node | None:
            if getattr(node, "description", None) is None:
                return None  # unchanged
            return dataclasses.replace(node, description=None)  # type: ignore[type-var]

    return print_ast(visit(parse(sdl), Strip())) + "\n"


API = _without_descriptions(API_TEXT)
WASTE_CATEGORY = "  wasteCategory(code: ID!): WasteCategory\n"
USER_HEAD = "type User {\n  id: ID!\n"
NICKNAME = USER_HEAD + "  nickname: String!\n"


def edited(old: str, new: str, sdl: str = API) -> str:
    assert sdl.count(old) == 1, f"the API changed: {old!r} is not there exactly once"
    return sdl.replace(old, new)


def breaking(changes: list[SchemaChange]) -> list[SchemaChange]:
    return [c for c in changes if c.level == "BREAKING"]


def test_the_api_schema_has_no_federation_machinery() -> None:
    for internal in ("join__", "link__", "@key", "@link", "_entities", "_service", "_Any"):
        assert internal not in API_TEXT, internal


# --- compare -------------------------------------------------------------------------------


def test_unchanged_supergraph_has_no_changes() -> None:
    assert compare(API, API) == []


def test_removed_query_field_is_breaking() -> None:
    changes = compare(API, edited(WASTE_CATEGORY, ""))
    assert changes == [
        SchemaChange("FIELD_REMOVED", "Field Query.wasteCategory was removed.", "BREAKING")
    ]


def test_removed_entity_field_is_breaking() -> None:
    changes = compare(API, edited(NICKNAME, USER_HEAD))
    assert [(c.kind, c.level) for c in changes] == [("FIELD_REMOVED", "BREAKING")]
    assert "User.nickname" in changes[0].description


def test_changed_field_type_is_breaking() -> None:
    new = edited(NICKNAME, NICKNAME.replace("String!", "Int"))
    changes = breaking(compare(API, new))
    assert [c.kind for c in changes] == ["FIELD_CHANGED_KIND"]
    assert "User.nickname" in changes[0].description
    assert "String!" in changes[0].description
    assert "Int" in changes[0].description


def test_new_required_argument_is_breaking() -> None:
    new = edited("wasteCategory(code: ID!)", "wasteCategory(code: ID!, strict: Boolean!)")
    changes = compare(API, new)
    assert [(c.kind, c.level) for c in changes] == [("REQUIRED_ARG_ADDED", "BREAKING")]
    assert "Query.wasteCategory" in changes[0].description
    assert "strict" in changes[0].description


@pytest.mark.parametrize("argument", ["strict: Boolean = false", "strict: Boolean"])
def test_new_optional_argument_is_only_dangerous(argument: str) -> None:
    new = edited("wasteCategory(code: ID!)", f"wasteCategory(code: ID!, {argument})")
    changes = compare(API, new)
    assert [(c.kind, c.level) for c in changes] == [("OPTIONAL_ARG_ADDED", "DANGEROUS")]
    assert "Query.wasteCategory" in changes[0].description


def test_new_field_is_not_a_change() -> None:
    new = edited(NICKNAME, NICKNAME + "  bio: String\n")
    assert compare(API, new) == []


def test_changes_are_sorted_breaking_first() -> None:
    new = edited(WASTE_CATEGORY, "")
    new = edited(NICKNAME, NICKNAME.replace("String!", "Int"), new)
    new = edited("  UNCLASSIFIED\n  FAILED\n", "  UNCLASSIFIED\n  FAILED\n  CANCELLED\n", new)
    changes = compare(API, new)
    assert [c.level for c in changes] == ["BREAKING", "BREAKING", "DANGEROUS"]
    assert [c.kind for c in changes] == [
        "FIELD_CHANGED_KIND",
        "FIELD_REMOVED",
        "VALUE_ADDED_TO_ENUM",
    ]
    assert compare(API, new) == changes


# --- base_api and the command --------------------------------------------------------------


def _git(repo: Path, *argv: str) -> None:
    subprocess.run(["git", "-C", str(repo), *argv], check=True, capture_output=True)


def _init(repo: Path, *files: str) -> None:
    _git(repo, "init", "--quiet")
    _git(repo, "config", "user.name", "Schema Test")
    _git(repo, "config", "user.email", "schema-test@example.invalid")
    _git(repo, "config", "commit.gpgsign", "false")
    _git(repo, "add", *files)
    _git(repo, "commit", "--quiet", "-m", "base")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository with the current API committed at router/api.graphql."""
    (tmp_path / "router").mkdir()
    (tmp_path / "router" / "api.graphql").write_text(API, encoding="utf-8")
    _init(tmp_path, "router/api.graphql")
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


def test_base_api(repo: Path) -> None:
    assert base_api(repo, "HEAD") == API
    assert base_api(repo, "no-such-ref") is None
    assert git_show(repo, "HEAD", "router/missing.graphql") is None
    assert base_api(repo, "--output=/dev/null") is None


def test_a_base_without_api_graphql_is_composed_from_its_subgraph_sdls(tmp_path: Path) -> None:
    """Revisions from before router/api.graphql existed still have a comparable API."""
    files = ["supergraph.yaml"] + [
        str(p.relative_to(REPO_ROOT)) for p in sorted(REPO_ROOT.glob("subgraphs/*/schema.graphql"))
    ]
    for file in files:
        (tmp_path / file).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / file, tmp_path / file)
    _init(tmp_path, *files)
    assert base_api(tmp_path, "HEAD") == API_TEXT
    (tmp_path / "router").mkdir()
    (tmp_path / "router" / "api.graphql").write_text(edited(WASTE_CATEGORY, ""), "utf-8")
    done = schema_diff(tmp_path, "--base", "HEAD")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Field Query.wasteCategory was removed." in done.stdout


def test_command_passes_when_unchanged(repo: Path) -> None:
    done = schema_diff(repo, "--base", "HEAD")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 breaking, 0 dangerous" in done.stdout


def test_command_fails_on_a_removed_field(repo: Path) -> None:
    (repo / "router" / "api.graphql").write_text(edited(WASTE_CATEGORY, ""), "utf-8")
    done = schema_diff(repo, "--base", "HEAD")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "BREAKING  FIELD_REMOVED: Field Query.wasteCategory was removed." in done.stdout
    assert "1 breaking" in done.stdout


def test_command_allows_breaking_when_asked(repo: Path) -> None:
    (repo / "router" / "api.graphql").write_text(edited(WASTE_CATEGORY, ""), "utf-8")
    for done in (
        schema_diff(repo, "--base", "HEAD", "--allow-breaking"),
        schema_diff(repo, "--base", "HEAD", BUNRI_ALLOW_BREAKING="1"),
    ):
        assert done.returncode == 0, done.stdout + done.stderr
        assert "BREAKING" in done.stdout
        assert "Query.wasteCategory" in done.stdout


def test_command_reports_dangerous_changes_without_failing(repo: Path) -> None:
    new = edited("wasteCategory(code: ID!)", "wasteCategory(code: ID!, strict: Boolean)")
    (repo / "router" / "api.graphql").write_text(new, "utf-8")
    done = schema_diff(repo, "--base", "HEAD")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "DANGEROUS OPTIONAL_ARG_ADDED:" in done.stdout


def test_command_without_a_base_api(repo: Path) -> None:
    done = schema_diff(repo, "--base", "no-such-ref")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no API schema at no-such-ref: nothing to compare" in done.stdout
    done = schema_diff(repo, BUNRI_SCHEMA_BASE="no-such-ref")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no API schema at no-such-ref" in done.stdout
