"""`bunri`: the developer's command line (run through the Makefile)."""

from __future__ import annotations

import logging
import os
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from graphql import GraphQLError
from honcho.manager import Manager

from devstack import schema_diff
from devstack.paths import REPO_ROOT, data_dir
from devstack.subgraphs import Subgraph, load_subgraphs

# The stack (SQLAlchemy, Alembic) and the schema export (Strawberry) are imported by the
# commands that use them: `schema-diff`, run on every CI build, starts without either.
if TYPE_CHECKING:
    from devstack import schemas
    from devstack.stack import Stack

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)

PG_PORT = int(os.environ.get("BUNRI_PG_PORT", "55432"))
REDIS_PORT = int(os.environ.get("BUNRI_REDIS_PORT", "56379"))
DATABASE = os.environ.get("BUNRI_DB_NAME", "bunri")
GATEWAY_PORT = int(os.environ.get("BUNRI_GATEWAY_PORT", "4000"))
# BUNRI_DB_PASSWORD_<NAME> gives one subgraph's role its own password (deployments).
ROLE_PASSWORD_PREFIX = "BUNRI_DB_PASSWORD_"

SubgraphOption = Annotated[
    str | None, typer.Option("--subgraph", "-s", help="Only this subgraph (default: all).")
]


@contextmanager
def _local_stack(*, redis: bool = True, dev: bool = False) -> Iterator[Stack]:
    """The stack on this machine: embedded servers unless DATABASE_URL/REDIS_URL are set."""
    from devstack.embedded import local_servers
    from devstack.stack import DEFAULT_ROLE_PASSWORD, DEV_SETTINGS, Stack

    with local_servers(data_dir(), pg_port=PG_PORT, redis_port=REDIS_PORT, redis=redis) as servers:
        yield Stack(
            servers=servers,
            database=DATABASE,
            subgraphs=load_subgraphs(),
            gateway_port=GATEWAY_PORT,
            role_password=os.environ.get("BUNRI_DB_ROLE_PASSWORD", DEFAULT_ROLE_PASSWORD),
            role_passwords={
                name.removeprefix(ROLE_PASSWORD_PREFIX).lower(): value
                for name, value in os.environ.items()
                if name.startswith(ROLE_PASSWORD_PREFIX) and value
            },
            # Generous limits for `make dev`; a value set in the environment still wins.
            env_overrides={k: v for k, v in DEV_SETTINGS.items() if k not in os.environ}
            if dev
            else {},
        )


def _report(*outcomes: schemas.Outcome) -> bool:
    for outcome in outcomes:
        typer.echo(outcome.message, err=not outcome.ok)
    return all(outcome.ok for outcome in outcomes)


def _selected(name: str | None) -> list[Subgraph]:
    subgraphs = load_subgraphs()
    if name is None:
        return subgraphs
    chosen = [s for s in subgraphs if s.name == name]
    if not chosen:
        raise typer.BadParameter(f"no subgraph {name!r} in supergraph.yaml")
    return chosen


@app.command("export-schema")
def export_schema(
    subgraph: SubgraphOption = None,
    check: Annotated[bool, typer.Option(help="Fail if a committed SDL is stale.")] = False,
) -> None:
    """Export each subgraph's SDL to subgraphs/<name>/schema.graphql."""
    from devstack import schemas

    if not _report(*(schemas.export_subgraph(s, check=check) for s in _selected(subgraph))):
        raise typer.Exit(1)


@app.command()
def compose(check: Annotated[bool, typer.Option(help="Fail if stale.")] = False) -> None:
    """Compose router/supergraph.graphql from the subgraph SDLs."""
    from devstack import schemas

    if not _report(schemas.compose(check=check)):
        raise typer.Exit(1)


BaseOption = Annotated[
    str,
    typer.Option(
        "--base",
        envvar="BUNRI_SCHEMA_BASE",
        help="Git revision whose committed supergraph is the published API.",
    ),
]
RepoOption = Annotated[
    Path,
    typer.Option(
        "--repo",
        file_okay=False,
        help="Checkout whose working-tree router/supergraph.graphql is compared.",
    ),
]
AllowBreakingOption = Annotated[
    bool,
    typer.Option(
        "--allow-breaking",
        envvar="BUNRI_ALLOW_BREAKING",
        help="Report breaking changes but do not fail.",
    ),
]


@app.command("schema-diff")
def schema_diff_command(
    base: BaseOption = "origin/main",
    repo: RepoOption = REPO_ROOT,
    allow_breaking: AllowBreakingOption = False,
) -> None:
    """Compare the client-facing API (router/api.graphql) with the one at --base."""
    code = _schema_diff(base=base, repo=repo, allow_breaking=allow_breaking)
    if code:
        raise typer.Exit(code)


@app.command("schema-check")
def schema_check(
    base: BaseOption = "origin/main",
    repo: RepoOption = REPO_ROOT,
    allow_breaking: AllowBreakingOption = False,
) -> None:
    """export-schema --check, compose --check, then schema-diff; stops at the first failure.

    The first two always check this checkout; --repo only applies to schema-diff.
    """
    from devstack import schemas

    typer.echo("== export-schema --check")
    if not _report(*(schemas.export_subgraph(s, check=True) for s in load_subgraphs())):
        raise typer.Exit(1)
    typer.echo("== compose --check")
    if not _report(schemas.compose(check=True)):
        raise typer.Exit(1)
    typer.echo(f"== schema-diff --base {base}")
    code = _schema_diff(base=base, repo=repo, allow_breaking=allow_breaking)
    if code:
        raise typer.Exit(code)


def _schema_diff(*, base: str, repo: Path, allow_breaking: bool) -> int:
    path = schema_diff.DEFAULT_API_PATH
    old = schema_diff.base_api(repo, base, path)
    if old is None:
        typer.echo(f"no API schema at {base}: nothing to compare")
        return 0
    current = repo / path
    if not current.is_file():
        typer.echo(f"no {path} in {repo}: run `make schema`", err=True)
        return 1
    try:
        changes = schema_diff.compare(old, current.read_text(encoding="utf-8"))
    except GraphQLError as error:
        typer.echo(f"cannot compare API schemas: {error}", err=True)
        return 1
    for change in changes:
        typer.echo(f"{change.level:<9} {change.kind}: {change.description}")
    breaking = sum(c.level == "BREAKING" for c in changes)
    dangerous = len(changes) - breaking
    typer.echo(f"schema-diff against {base}: {breaking} breaking, {dangerous} dangerous")
    if breaking and not allow_breaking:
        typer.echo(
            "breaking API changes: clients of the published schema would fail; if intended,"
            " pass --allow-breaking (or BUNRI_ALLOW_BREAKING=1)",
            err=True,
        )
        return 1
    if breaking:
        typer.echo("breaking changes allowed (--allow-breaking / BUNRI_ALLOW_BREAKING)")
    return 0


@app.command()
def prepare(fresh: Annotated[bool, typer.Option(help="Drop the database first.")] = False) -> None:
    """Start the servers, then create roles and schemas, migrate and load reference data."""
    with _local_stack(redis=False) as stack:
        for line in stack.prepare(fresh=fresh):
            typer.echo(line)


@app.command()
def dev() -> None:
    """Run everything: servers, migrations, reference data, subgraphs, workers, gateway."""
    from devstack import schemas
    from devstack.stack import process_env

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # SIGTERM before the supervisor takes over must still stop the embedded servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not _report(schemas.compose()):
        raise typer.Exit(1)
    with _local_stack(dev=True) as stack:
        for line in stack.prepare():
            typer.echo(line)
        manager = Manager()
        for spec in stack.processes(supergraph=schemas.SUPERGRAPH_SDL):
            # One crashed process is restarted (and reported), not a silent whole-stack exit.
            argv = [sys.executable, "-m", "devstack.restarting", "--", *spec.argv]
            manager.add_process(
                spec.name, _shell(argv), env=process_env(spec), cwd=str(spec.cwd or Path.cwd())
            )
        _print_urls(stack)
        manager.loop()
    sys.exit(manager.returncode or 0)


@app.command("import-sites")
def import_sites(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    prune: Annotated[
        bool, typer.Option(help="Delete points that are no longer in the file.")
    ] = False,
) -> None:
    """Import KECO-format drop-off sites into the locations schema (as the locations role)."""
    with _local_stack(redis=False) as stack:
        locations = next(s for s in stack.subgraphs if s.name == "locations")
        command = [sys.executable, "-m", "locations.cli", "import-sites", str(path.resolve())]
        done = subprocess.run(
            command + (["--prune"] if prune else []),
            env={**os.environ, "DATABASE_URL": stack.role_url(locations)},
            check=False,
        )
    raise typer.Exit(done.returncode)


@app.command("purge-uploads")
def purge_uploads() -> None:
    """Upload retention now: unanalysed uploads past 24 h, images of analyses past 30 days
    (BUNRI_UNREFERENCED_UPLOAD_RETENTION_SECONDS, BUNRI_ANALYSED_IMAGE_RETENTION_DAYS).
    Idempotent; the waste workers also run it every BUNRI_RETENTION_INTERVAL_SECONDS."""
    with _local_stack(redis=False) as stack:
        waste = next(s for s in stack.subgraphs if s.name == "waste")
        env = stack.subgraph_env(waste)
        done = subprocess.run(
            [sys.executable, "-m", "waste.retention"],
            # The operator's own settings (e.g. BUNRI_STORAGE_*) win over the local ones.
            env={**env, **os.environ, "DATABASE_URL": env["DATABASE_URL"]},
            check=False,
        )
    raise typer.Exit(done.returncode)


def _shell(argv: list[str]) -> str:
    return "exec " + shlex.join(argv)


def _print_urls(stack: Stack) -> None:
    servers = stack.servers
    lines = [
        f"  gateway (GraphiQL): {stack.gateway_url}",
        f"  gateway health:     http://127.0.0.1:{stack.gateway_port}/healthcheck",
        f"  gateway metrics:    http://127.0.0.1:{stack.gateway_port}/metrics",
        *(f"  {s.name:<19} {s.local_url()}" for s in stack.subgraphs),
        *(
            f"  {s.name + '-worker metrics:':<19} {stack.worker_metrics_url(s)}metrics"
            for s in stack.subgraphs
            if s.has_worker
        ),
        f"  postgres:           {'embedded' if servers.embedded_postgres else 'external'}"
        f" (database {stack.database})",
        f"  redis:              {'embedded' if servers.embedded_redis else 'external'}"
        f" ({servers.redis_url})",
    ]
    typer.echo("Bunri is starting:\n" + "\n".join(lines) + "\nCtrl-C stops everything.")


if __name__ == "__main__":
    app()
