"""`bunri`: the developer's command line (run through the Makefile)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer
from honcho.manager import Manager

from devstack import schemas
from devstack.embedded import local_servers
from devstack.paths import data_dir
from devstack.stack import Stack, process_env
from devstack.subgraphs import Subgraph, load_subgraphs

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)

PG_PORT = int(os.environ.get("BUNRI_PG_PORT", "55432"))
REDIS_PORT = int(os.environ.get("BUNRI_REDIS_PORT", "56379"))
DATABASE = os.environ.get("BUNRI_DB_NAME", "bunri")
GATEWAY_PORT = int(os.environ.get("BUNRI_GATEWAY_PORT", "4000"))

SubgraphOption = Annotated[
    str | None, typer.Option("--subgraph", "-s", help="Only this subgraph (default: all).")
]


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
    outcomes = [schemas.export_subgraph(s, check=check) for s in _selected(subgraph)]
    for outcome in outcomes:
        typer.echo(outcome.message, err=not outcome.ok)
    if not all(o.ok for o in outcomes):
        raise typer.Exit(1)


@app.command()
def compose(check: Annotated[bool, typer.Option(help="Fail if stale.")] = False) -> None:
    """Compose router/supergraph.graphql from the subgraph SDLs."""
    outcome = schemas.compose(check=check)
    typer.echo(outcome.message, err=not outcome.ok)
    if not outcome.ok:
        raise typer.Exit(1)


@app.command()
def prepare(fresh: Annotated[bool, typer.Option(help="Drop the database first.")] = False) -> None:
    """Start the servers, then create roles and schemas, migrate and load reference data."""
    with local_servers(data_dir(), pg_port=PG_PORT, redis_port=REDIS_PORT) as servers:
        stack = Stack(servers=servers, database=DATABASE, subgraphs=load_subgraphs())
        for line in stack.prepare(fresh=fresh):
            typer.echo(line)


@app.command()
def dev() -> None:
    """Run everything: servers, migrations, reference data, subgraphs, workers, gateway."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # SIGTERM before the supervisor takes over must still stop the embedded servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    outcome = schemas.compose()
    if not outcome.ok:
        typer.echo(outcome.message, err=True)
        raise typer.Exit(1)
    with local_servers(data_dir(), pg_port=PG_PORT, redis_port=REDIS_PORT) as servers:
        stack = Stack(
            servers=servers,
            database=DATABASE,
            subgraphs=load_subgraphs(),
            gateway_port=GATEWAY_PORT,
        )
        for line in stack.prepare():
            typer.echo(line)
        manager = Manager()
        for spec in stack.processes(supergraph=schemas.SUPERGRAPH_SDL):
            manager.add_process(
                spec.name, _shell(spec.argv), env=process_env(spec), cwd=str(spec.cwd or Path.cwd())
            )
        _print_urls(stack, servers_embedded=(servers.embedded_postgres, servers.embedded_redis))
        manager.loop()
    sys.exit(manager.returncode or 0)


@app.command("import-sites")
def import_sites(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
) -> None:
    """Import KECO-format drop-off sites into the locations schema (as the locations role)."""
    with local_servers(data_dir(), pg_port=PG_PORT, redis_port=REDIS_PORT, redis=False) as servers:
        stack = Stack(servers=servers, database=DATABASE, subgraphs=load_subgraphs())
        locations = next(s for s in stack.subgraphs if s.name == "locations")
        done = subprocess.run(
            [sys.executable, "-m", "locations.cli", "import-sites", str(path.resolve())],
            env={**os.environ, "DATABASE_URL": stack.role_url(locations)},
            check=False,
        )
    raise typer.Exit(done.returncode)


def _shell(argv: list[str]) -> str:
    import shlex

    return "exec " + shlex.join(argv)


def _print_urls(stack: Stack, *, servers_embedded: tuple[bool, bool]) -> None:
    lines = [
        f"  gateway (GraphiQL): {stack.gateway_url}",
        f"  gateway health:     http://127.0.0.1:{stack.gateway_port}/healthcheck",
        *(f"  {s.name:<19} {s.local_url()}" for s in stack.subgraphs),
        f"  postgres:           {'embedded' if servers_embedded[0] else 'external'}"
        f" (database {stack.database})",
        f"  redis:              {'embedded' if servers_embedded[1] else 'external'}"
        f" ({stack.servers.redis_url})",
    ]
    typer.echo("Bunri is starting:\n" + "\n".join(lines) + "\nCtrl-C stops everything.")


if __name__ == "__main__":
    app()
