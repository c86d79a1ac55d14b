"""The body of every subgraph's Alembic env.py: its role, its schema, its version table."""

from __future__ import annotations

import os
import warnings

from alembic import context
from sqlalchemy import MetaData, create_engine, pool
from sqlalchemy.exc import SAWarning
from sqlalchemy.types import TypeEngine, UserDefinedType

from bunri_shared.db import EXTENSIONS_SCHEMA, with_driver


def _ours(name: str | None, type_: str, schema: str) -> bool:
    """Compare only this subgraph's schema, minus Alembic's own version table."""
    if type_ == "schema":
        return name == schema
    return not (type_ == "table" and name == "alembic_version")


def _compare_type(
    _context: object,
    _inspected_column: object,
    _metadata_column: object,
    _inspected_type: object,
    metadata_type: TypeEngine[object],
) -> bool | None:
    # Types from extensions (earthdistance's `earth`) reflect as unknown: do not compare.
    return False if isinstance(metadata_type, UserDefinedType) else None


def run_migrations(metadata: MetaData, *, schema: str) -> None:
    # earthdistance's `earth` domain over `cube` is not a type SQLAlchemy knows; it is not
    # compared anyway (see _compare_type).
    warnings.filterwarnings("ignore", "Did not recognize type 'cube'", SAWarning)
    config = context.config
    url = config.attributes.get("database_url") or os.environ["DATABASE_URL"]
    options = {
        "target_metadata": metadata,
        "version_table_schema": schema,
        "include_schemas": True,
        "compare_type": _compare_type,
        "include_name": lambda name, type_, _parent: _ours(name, type_, schema),
    }
    if context.is_offline_mode():
        context.configure(url=str(with_driver(url, "psycopg")), literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    # Everything in migrations is schema-qualified. With the subgraph's own schema off the
    # path from the first connect, reflection names it like the models do, so autogenerate
    # and `alembic check` see no phantom changes.
    engine = create_engine(
        with_driver(url, "psycopg"),
        poolclass=pool.NullPool,
        # Migrations may rebuild indexes on big tables: no statement_timeout (roles have one).
        connect_args={"options": f"-csearch_path={EXTENSIONS_SCHEMA} -cstatement_timeout=0"},
    )
    with engine.connect() as connection:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
