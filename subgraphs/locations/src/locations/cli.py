"""`python -m locations.cli import-sites FILE`: load a KECO-format drop-off site file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from locations.importer import import_sites
from locations.keco import KecoFormatError

app = typer.Typer(add_completion=False, no_args_is_help=True)


@app.callback()
def main() -> None:
    """Locations subgraph tools."""


@app.command("import-sites")
def import_sites_command(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    prune: Annotated[
        bool, typer.Option(help="Delete points that are no longer in the file.")
    ] = False,
) -> None:
    """Import drop-off sites (KECO open-data CSV). Idempotent; all or nothing."""
    try:
        report = import_sites(os.environ["DATABASE_URL"], path, prune=prune)
    except KecoFormatError as exc:
        typer.echo(f"{path}: {exc} (nothing imported)", err=True)
        raise typer.Exit(2) from exc
    for line in report.lines():
        typer.echo(line)


if __name__ == "__main__":
    app()
