"""Each subgraph's migrations: match its models, and revert cleanly."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.config import Config

from devstack import database
from devstack.stack import Stack
from devstack.subgraphs import Subgraph, load_subgraphs

SUBGRAPHS = load_subgraphs()


def _config(subgraph: Subgraph, url: str) -> Config:
    config = Config(str(subgraph.directory / "alembic.ini"))
    config.attributes["database_url"] = url
    return config


@pytest.mark.parametrize("subgraph", SUBGRAPHS, ids=lambda s: s.name)
def test_models_and_migrations_agree(stack: Stack, subgraph: Subgraph) -> None:
    # Raises if autogenerate would produce any operation.
    command.check(_config(subgraph, stack.role_url(subgraph)))


def test_every_migration_reverts_and_reapplies(stack: Stack) -> None:
    scratch = Stack(servers=stack.servers, database="bunri_migrations_test", subgraphs=SUBGRAPHS)
    database.ensure_database(stack.servers.database_url, scratch.database, fresh=True)
    database.bootstrap(
        stack.servers.database_url,
        database=scratch.database,
        subgraphs=SUBGRAPHS,
        password_for=scratch.password_for,
    )
    for subgraph in SUBGRAPHS:
        config = _config(subgraph, scratch.role_url(subgraph))
        command.upgrade(config, "head")
        command.downgrade(config, "base")
        command.upgrade(config, "head")
        command.check(config)
