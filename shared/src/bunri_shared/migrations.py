"""The body of every subgraph's Alembic env.py: its role, its schema, its version table."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import MetaData, create_engine, pool, text

from bunri_shared.db import search_path, with_driver


def run_migrations(metadata: MetaData, *, schema: str) -> None:
    config = context.config
    url = config.attributes.get("database_url") or os.environ["DATABASE_URL"]
    options = {
        "target_metadata": metadata,
        "version_table_schema": schema,
        "include_schemas": False,
        "compare_type": True,
        # The version table lives in the schema too; it is Alembic's, not the model's.
        "include_name": lambda name, type_, _parent: (
            not (type_ == "table" and name == "alembic_version")
        ),
    }
    if context.is_offline_mode():
        context.configure(url=str(with_driver(url, "psycopg")), literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(with_driver(url, "psycopg"), poolclass=pool.NullPool)
    with engine.connect() as connection:
        connection.execute(text(f"SET search_path TO {search_path(schema)}"))
        connection.commit()
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
