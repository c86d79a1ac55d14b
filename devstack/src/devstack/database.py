"""Database bootstrap: one database, one schema and one login role per subgraph.

Each role owns its schema and is granted nothing else, so isolation is enforced by
Postgres, not by convention. Extensions live in a shared `extensions` schema that
roles may only use.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Iterable

import psycopg
from alembic import command
from alembic.config import Config
from psycopg import sql
from sqlalchemy.engine import make_url

from bunri_shared.db import EXTENSIONS_SCHEMA, search_path
from devstack.subgraphs import Subgraph

log = logging.getLogger(__name__)

# Per-role server settings (BUNRI_DB_STATEMENT_TIMEOUT overrides the first).
ROLE_TIMEOUTS = {
    "statement_timeout": os.environ.get("BUNRI_DB_STATEMENT_TIMEOUT", "10s"),
    "idle_in_transaction_session_timeout": "60s",
}


def _url(admin_url: str, **parts: str) -> str:
    return make_url(admin_url).set(**parts).render_as_string(hide_password=False)


def _connect(url: str) -> psycopg.Connection:
    return psycopg.connect(_url(url, drivername="postgresql"), autocommit=True)


def on_database(admin_url: str, database: str) -> str:
    """The admin URL, pointed at another database of the same server."""
    return _url(admin_url, drivername="postgresql", database=database)


def role_url(admin_url: str, *, role: str, password: str, database: str) -> str:
    """The URL a subgraph connects with: same server, its own role."""
    return _url(
        admin_url, drivername="postgresql", username=role, password=password, database=database
    )


def ensure_database(admin_url: str, database: str, *, fresh: bool = False) -> None:
    with _connect(admin_url) as conn:
        if fresh:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (database,)
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))


def bootstrap(
    admin_url: str,
    *,
    database: str,
    subgraphs: Iterable[Subgraph],
    password_for: Callable[[Subgraph], str],
) -> None:
    """Idempotent: creates what is missing, re-applies grants, changes no data."""
    db = sql.Identifier(database)
    with _connect(_url(admin_url, database=database)) as conn:
        conn.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(db))
        conn.execute("REVOKE ALL ON SCHEMA public FROM PUBLIC")
        conn.execute(
            sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(EXTENSIONS_SCHEMA))
        )
        conn.execute(
            sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(sql.Identifier(EXTENSIONS_SCHEMA))
        )
        for subgraph in subgraphs:
            role, schema = sql.Identifier(subgraph.role), sql.Identifier(subgraph.db_schema)
            exists = conn.execute(
                "SELECT 1 FROM pg_roles WHERE rolname = %s", (subgraph.role,)
            ).fetchone()
            verb = "ALTER" if exists else "CREATE"
            conn.execute(
                sql.SQL(
                    verb + " ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                    "PASSWORD {}"
                ).format(role, sql.Literal(password_for(subgraph)))
            )
            conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(db, role))
            conn.execute(
                sql.SQL("CREATE SCHEMA IF NOT EXISTS {} AUTHORIZATION {}").format(schema, role)
            )
            conn.execute(sql.SQL("ALTER SCHEMA {} OWNER TO {}").format(schema, role))
            conn.execute(
                sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(
                    sql.Identifier(EXTENSIONS_SCHEMA), role
                )
            )
            conn.execute(
                sql.SQL("ALTER ROLE {} IN DATABASE {} SET search_path TO {}").format(
                    role, db, sql.SQL(search_path(subgraph.db_schema))
                )
            )
            # No statement of a service outlives its request's deadline, and no forgotten
            # transaction holds locks (migrations turn the first off for themselves).
            for setting, value in ROLE_TIMEOUTS.items():
                conn.execute(
                    sql.SQL("ALTER ROLE {} IN DATABASE {} SET {} TO {}").format(
                        role, db, sql.Identifier(setting), sql.Literal(value)
                    )
                )
            for extension in subgraph.extensions:
                conn.execute(
                    sql.SQL("CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {} CASCADE").format(
                        sql.Identifier(extension), sql.Identifier(EXTENSIONS_SCHEMA)
                    )
                )


def migrate(subgraph: Subgraph, database_url: str) -> None:
    config = Config(str(subgraph.directory / "alembic.ini"))
    config.attributes["database_url"] = database_url
    command.upgrade(config, "head")


def seed(subgraph: Subgraph, database_url: str) -> str | None:
    """Load the subgraph's reference data, if it has any (module `<name>.seed`)."""
    try:
        module = importlib.import_module(f"{subgraph.name}.seed")
    except ModuleNotFoundError as exc:
        if exc.name != f"{subgraph.name}.seed":
            raise
        return None
    return module.seed(database_url)
