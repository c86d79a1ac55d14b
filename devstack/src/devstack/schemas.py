"""Subgraph SDL export and supergraph composition (both committed, both checked)."""

from __future__ import annotations

import importlib
import subprocess
from dataclasses import dataclass
from pathlib import Path

from strawberry.printer import print_schema

from devstack.paths import REPO_ROOT, ROUTER_DIR, SUPERGRAPH_CONFIG, SUPERGRAPH_SDL
from devstack.subgraphs import Subgraph


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    message: str


def subgraph_sdl(subgraph: Subgraph) -> str:
    """The SDL exactly as `strawberry export-schema` prints it (= `_service { sdl }`)."""
    module_name, symbol = subgraph.schema_symbol.split(":")
    schema = getattr(importlib.import_module(module_name), symbol)
    return print_schema(schema) + "\n"


def export_subgraph(subgraph: Subgraph, *, check: bool) -> Outcome:
    sdl = subgraph_sdl(subgraph)
    path = subgraph.schema_file
    relative = path.relative_to(REPO_ROOT)
    if check:
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != sdl:
            return Outcome(False, f"{subgraph.name}: {relative} is stale: run `make schema`")
        return Outcome(True, f"{subgraph.name}: {relative} is up to date")
    path.write_text(sdl, encoding="utf-8")
    return Outcome(True, f"{subgraph.name}: wrote {relative}")


def compose(
    *,
    check: bool = False,
    config: Path = SUPERGRAPH_CONFIG,
    out: Path = SUPERGRAPH_SDL,
    override_urls: dict[str, str] | None = None,
) -> Outcome:
    """Run router/compose.mjs (@theguild/federation-composition): the supergraph at `out`
    and the client-facing API (public SDL) as api.graphql beside it.

    On failure its output names the subgraph(s) and the reason.
    """
    argv = ["node", str(ROUTER_DIR / "compose.mjs"), "--config", str(config), "--out", str(out)]
    if check:
        argv.append("--check")
    for name, url in (override_urls or {}).items():
        argv += ["--override-url", f"{name}={url}"]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=REPO_ROOT, check=False)
    message = (done.stdout + done.stderr).strip()
    return Outcome(done.returncode == 0, message)
