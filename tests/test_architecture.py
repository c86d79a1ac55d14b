"""The layout's rules, checked: no subgraph imports another; shared/ imports none of them;
inside a subgraph, SQL only in its service layer, no GraphQL there, no worker code in the API."""

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


# -- layers inside a subgraph ----------------------------------------------------------
#
# Service modules: `service.py` and `repository.py`, or any module of a `service/` or
# `repository/` package. They hold every query and write of their domain and know nothing
# of GraphQL. SQL may also appear in `models.py` (table definitions, index predicates),
# in `migrations/`, and in offline data loaders (`seed.py`, `importer.py`: command-line
# tools, never on a request path).
SERVICE_NAMES = {"service", "repository"}
SQL_ALSO_IN = {"models", "seed", "importer"}
# What counts as SQL: a SQLAlchemy statement builder, or a call that runs a statement or
# changes the unit of work on something named `session` (`session.begin()` is not: the
# resolver owns the transaction and passes the session to the service).
SQL_BUILDERS = {"select", "insert", "update", "delete", "text", "exists", "func", "union"}
SESSION_CALLS = {
    "execute",
    "scalar",
    "scalars",
    "stream",
    "stream_scalars",
    "get",
    "get_one",
    "add",
    "add_all",
    "delete",
    "merge",
    "flush",
    "refresh",
}
# Worker modules: `tasks` (the Dramatiq actors; importing it configures a worker process)
# and the job code only workers run (`pipeline`, `classifiers`), modules or packages.
WORKER_NAMES = {"tasks", "pipeline", "classifiers"}


def _modules(name: str) -> dict[str, Path]:
    """Dotted module name -> file, for one subgraph's package."""
    src = REPO_ROOT / "subgraphs" / name / "src"
    found = {}
    for path in sorted((src / name).rglob("*.py")):
        parts = path.relative_to(src).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), filename=str(path))


def _is_service(module: str) -> bool:
    return bool(SERVICE_NAMES & set(module.split(".")[1:]))


def _sql_uses(tree: ast.Module) -> list[str]:
    uses, aliases = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            uses += [f"imports {a.name}" for a in node.names if a.name in SQL_BUILDERS]
        elif isinstance(node, ast.Import):
            aliases |= {a.asname or a.name for a in node.names if a.name == "sqlalchemy"}
        elif (
            isinstance(node, ast.Attribute)
            and node.attr in SQL_BUILDERS
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
        ):
            uses.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            receiver = node.func.value
            owner = receiver.attr if isinstance(receiver, ast.Attribute) else None
            owner = receiver.id if isinstance(receiver, ast.Name) else owner
            if node.func.attr in SESSION_CALLS and owner and owner.endswith("session"):
                uses.append(f"line {node.lineno}: {owner}.{node.func.attr}()")
    return uses


def _imported_modules(module: str, tree: ast.Module, known: dict[str, Path]) -> set[str]:
    """The package's own modules this one imports (anywhere in it, parents included)."""
    package = module if known[module].name == "__init__.py" else module.rpartition(".")[0]
    targets = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets.add(base)
            targets |= {f"{base}.{alias.name}" for alias in node.names}
    found = set()
    for target in targets:
        parts = target.split(".")
        found |= {".".join(parts[:i]) for i in range(1, len(parts) + 1)} & known.keys()
    return found


@pytest.mark.parametrize("name", SUBGRAPHS)
def test_service_modules_know_no_graphql(name: str) -> None:
    offending = [
        f"{path.relative_to(REPO_ROOT)} imports strawberry"
        for module, path in _modules(name).items()
        if _is_service(module)
        for node in ast.walk(_tree(path))
        if (
            isinstance(node, ast.Import)
            and any(a.name.startswith("strawberry") for a in node.names)
        )
        or (isinstance(node, ast.ImportFrom) and (node.module or "").startswith("strawberry"))
    ]
    assert not offending, offending


@pytest.mark.parametrize("name", SUBGRAPHS)
def test_sql_only_in_the_service_layer(name: str) -> None:
    offending = []
    for module, path in _modules(name).items():
        if _is_service(module) or module.split(".")[-1] in SQL_ALSO_IN:
            continue
        offending += [f"{path.relative_to(REPO_ROOT)}: {use}" for use in _sql_uses(_tree(path))]
    assert not offending, offending


def test_the_sql_rule_sees_sql() -> None:
    """The detector itself: statement builders, aliases and session calls are found."""
    code = (
        "import sqlalchemy as sa\n"
        "from sqlalchemy import select\n"
        "async def f(session, self):\n"
        "    await session.execute(sa.update(T))\n"
        "    await self.session.get(T, 1)\n"
        "    async with session.begin():\n"
        "        pass\n"
    )
    assert sorted(_sql_uses(ast.parse(code))) == [
        "imports select",
        "line 4: sa.update",
        "line 4: session.execute()",
        "line 5: session.get()",
    ]


def _api_modules(name: str) -> set[str]:
    """`<name>.main` and every module of the package it imports, transitively."""
    known = _modules(name)
    seen, todo = set(), [f"{name}.main"]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo += _imported_modules(module, _tree(known[module]), known)
    return seen


@pytest.mark.parametrize("name", SUBGRAPHS)
def test_the_api_process_imports_no_worker_code(name: str) -> None:
    offending = sorted(m for m in _api_modules(name) if WORKER_NAMES & set(m.split(".")[1:]))
    assert not offending, f"{name}.main imports worker modules: {offending}"


def test_the_import_walk_reaches_deep_modules() -> None:
    """Not vacuous: main → reconciler → `from waste.service import jobs` is followed."""
    assert {"waste.reconciler", "waste.service", "waste.service.jobs"} <= _api_modules("waste")
