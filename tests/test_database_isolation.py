"""Each subgraph's role can use its own schema and nothing of any other."""

from __future__ import annotations

import itertools

import psycopg
import pytest
from psycopg import sql

from devstack.database import on_database
from devstack.stack import Stack
from devstack.subgraphs import load_subgraphs

NAMES = [s.name for s in load_subgraphs()]
PAIRS = [(a, b) for a, b in itertools.permutations(NAMES, 2)]


def _tables(stack: Stack, schema: str) -> list[str]:
    with psycopg.connect(on_database(stack.servers.database_url, stack.database)) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = %s AND table_name <> 'alembic_version' ORDER BY 1",
            (schema,),
        ).fetchall()
    return [row[0] for row in rows]


def _connect(stack: Stack, name: str) -> psycopg.Connection:
    subgraph = next(s for s in stack.subgraphs if s.name == name)
    return psycopg.connect(stack.role_url(subgraph), autocommit=True)


@pytest.mark.parametrize("name", NAMES)
def test_role_owns_its_schema(stack: Stack, name: str) -> None:
    tables = _tables(stack, name)
    assert tables, f"{name} has no tables"
    with _connect(stack, name) as conn:
        for table in tables:
            conn.execute(
                sql.SQL("SELECT * FROM {}.{} LIMIT 1").format(
                    sql.Identifier(name), sql.Identifier(table)
                )
            )
        conn.execute(
            sql.SQL("CREATE TABLE {}.isolation_probe (x int)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("DROP TABLE {}.isolation_probe").format(sql.Identifier(name)))


@pytest.mark.parametrize(("me", "other"), PAIRS, ids=[f"{a}-reads-{b}" for a, b in PAIRS])
def test_role_cannot_touch_another_schema(stack: Stack, me: str, other: str) -> None:
    tables = _tables(stack, other)
    assert tables
    with _connect(stack, me) as conn:
        for table in tables:
            target = sql.SQL("{}.{}").format(sql.Identifier(other), sql.Identifier(table))
            for statement in (
                sql.SQL("SELECT * FROM {} LIMIT 1").format(target),
                sql.SQL("DELETE FROM {}").format(target),
                sql.SQL("TRUNCATE {}").format(target),
            ):
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute(statement)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(sql.SQL("CREATE TABLE {}.intruder (x int)").format(sql.Identifier(other)))


@pytest.mark.parametrize("name", NAMES)
def test_role_cannot_create_schemas_or_use_public(stack: Stack, name: str) -> None:
    with _connect(stack, name) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE SCHEMA sneaky")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE public.sneaky (x int)")


@pytest.mark.parametrize("name", NAMES)
def test_no_statement_of_a_role_outlives_a_request(stack: Stack, name: str) -> None:
    with _connect(stack, name) as conn:
        assert conn.execute("SHOW statement_timeout").fetchone() == ("10s",)
        assert conn.execute("SHOW idle_in_transaction_session_timeout").fetchone() == ("1min",)
        conn.execute("SET statement_timeout = '100ms'")  # the role's limit, made quick to see
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("SELECT pg_sleep(2)")
