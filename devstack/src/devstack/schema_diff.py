"""Breaking-change check: the client-facing API (router/api.graphql) of two revisions.

`router/api.graphql` is the composer's public SDL, with no federation machinery, so
graphql-core compares the two versions as they are and reports what it calls breaking
and dangerous changes. A base revision from before api.graphql existed is composed from
its own committed subgraph SDLs (router/compose.mjs) for the comparison.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from graphql import build_schema, find_breaking_changes, find_dangerous_changes

from devstack.paths import ROUTER_DIR

Level = Literal["BREAKING", "DANGEROUS"]

DEFAULT_API_PATH = "router/api.graphql"
SUPERGRAPH_CONFIG_PATH = "supergraph.yaml"


@dataclass(frozen=True, slots=True)
class SchemaChange:
    kind: str
    description: str
    level: Level


def compare(old_sdl: str, new_sdl: str) -> list[SchemaChange]:
    """Breaking and dangerous changes from the old API SDL to the new one."""
    old, new = build_schema(old_sdl), build_schema(new_sdl)
    changes = [
        SchemaChange(change.type.name, change.description, "BREAKING")
        for change in find_breaking_changes(old, new)
    ] + [
        SchemaChange(change.type.name, change.description, "DANGEROUS")
        for change in find_dangerous_changes(old, new)
    ]
    order = {"BREAKING": 0, "DANGEROUS": 1}
    return sorted(set(changes), key=lambda c: (order[c.level], c.kind, c.description))


def base_api(repo: Path, base: str, path: str = DEFAULT_API_PATH) -> str | None:
    """The API SDL at `base` (any git revision): its committed `path`, else composed from
    its committed subgraph SDLs; None if it has neither."""
    committed = git_show(repo, base, path)
    if committed is not None:
        return committed
    return _compose_at(repo, base)


def git_show(repo: Path, base: str, path: str) -> str | None:
    """A file's text at a revision; None if either is missing. `path` is relative to
    `repo` (which need not be the top of the git work tree)."""
    if not base or base.startswith("-"):  # never let a "ref" become a git option
        return None
    spec = path if path.startswith(("./", "/")) else f"./{path}"
    try:
        done = subprocess.run(
            ["git", "-C", str(repo), "show", f"{base}:{spec}"], capture_output=True, check=False
        )
    except FileNotFoundError:  # no git at all
        return None
    return done.stdout.decode("utf-8") if done.returncode == 0 else None


def _compose_at(repo: Path, base: str) -> str | None:
    config_text = git_show(repo, base, SUPERGRAPH_CONFIG_PATH)
    if config_text is None:
        return None
    config = yaml.safe_load(config_text) or {}
    with tempfile.TemporaryDirectory(prefix="bunri-base-") as tmp:
        root = Path(tmp)
        (root / SUPERGRAPH_CONFIG_PATH).write_text(config_text, encoding="utf-8")
        for entry in (config.get("subgraphs") or {}).values():
            file = str(((entry or {}).get("schema") or {}).get("file", ""))
            sdl = git_show(repo, base, file) if file else None
            if sdl is None:
                return None
            (root / file).parent.mkdir(parents=True, exist_ok=True)
            (root / file).write_text(sdl, encoding="utf-8")
        done = subprocess.run(
            [
                "node",
                str(ROUTER_DIR / "compose.mjs"),
                "--config",
                str(root / SUPERGRAPH_CONFIG_PATH),
                "--out",
                str(root / "supergraph.graphql"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        api = root / "api.graphql"
        return api.read_text(encoding="utf-8") if done.returncode == 0 else None
