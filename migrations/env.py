"""Alembic environment: runs migrations on the connection or URL the caller configured."""
from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from migrations.registry import target_metadata

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = engine_from_config(config.get_section(config.config_ini_section) or {},
                                prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)


def _run(connection) -> None:
    # Batch mode lets ALTER TABLE work on SQLite (copy-and-move); PostgreSQL ignores it.
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
