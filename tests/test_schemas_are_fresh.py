"""The committed SDLs and supergraph match the code; a stale one names its subgraph."""

from __future__ import annotations

import pytest

from devstack import schemas
from devstack.subgraphs import load_subgraphs


@pytest.mark.parametrize("subgraph", load_subgraphs(), ids=lambda s: s.name)
def test_committed_subgraph_sdl_is_current(subgraph) -> None:
    outcome = schemas.export_subgraph(subgraph, check=True)
    assert outcome.ok, outcome.message


def test_committed_supergraph_is_current() -> None:
    outcome = schemas.compose(check=True)
    assert outcome.ok, outcome.message


def test_stale_sdl_is_reported_with_the_subgraph_name(tmp_path, monkeypatch) -> None:
    subgraph = load_subgraphs()[0]
    stale = tmp_path / "schema.graphql"
    stale.write_text(subgraph.schema_file.read_text() + "\ntype Leftover { x: Int }\n")
    moved = type(subgraph)(
        name=subgraph.name, routing_url=subgraph.routing_url, schema_file=stale, port=subgraph.port
    )
    monkeypatch.setattr("devstack.schemas.REPO_ROOT", tmp_path)
    outcome = schemas.export_subgraph(moved, check=True)
    assert not outcome.ok
    assert outcome.message.startswith(f"{subgraph.name}: ")
    assert "stale" in outcome.message
