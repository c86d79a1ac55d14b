"""The layout's rules, checked: no subgraph imports another; shared/ imports none of them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from devstack.paths import REPO_ROOT
from devstack.subgraphs import load_subgraphs

SUBGRAPHS = [s.name for s in load_subgraphs()]


def _imports(root: Path) -> set[tuple[Path, str]]:
    found = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                found |= {(path, alias.name.split(".")[0]) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add((path, node.module.split(".")[0]))
    return found


@pytest.mark.parametrize("name", SUBGRAPHS)
def test_a_subgraph_imports_no_other_subgraph(name: str) -> None:
    others = set(SUBGRAPHS) - {name}
    directory = REPO_ROOT / "subgraphs" / name
    offending = [
        f"{path.relative_to(REPO_ROOT)} imports {module}"
        for path, module in _imports(directory / "src") | _imports(directory / "migrations")
        if module in others
    ]
    assert not offending, offending


def test_shared_imports_no_subgraph_and_no_dev_tooling() -> None:
    forbidden = {*SUBGRAPHS, "devstack"}
    offending = [
        f"{path.relative_to(REPO_ROOT)} imports {module}"
        for path, module in _imports(REPO_ROOT / "shared" / "src")
        if module in forbidden
    ]
    assert not offending, offending
