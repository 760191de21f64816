"""Schema migrations (Alembic), driven from code so `hccpay db upgrade` needs no ini file."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

import migrations

SCRIPT_LOCATION = str(Path(migrations.__file__).parent)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    # ConfigParser treats % as interpolation: escape it (passwords may contain it).
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision`.

    On PostgreSQL a session advisory lock makes nodes that start together (each running
    `hccpay db upgrade`) take turns: the first migrates, the others find nothing to do.
    """
    from sqlalchemy import text

    from kernel.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_lock(hashtext('hccpay-migrations'))"))
                conn.commit()
            config = alembic_config(url)
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
            conn.commit()
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_unlock(hashtext('hccpay-migrations'))"))
                conn.commit()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    return ScriptDirectory(SCRIPT_LOCATION).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_current(engine: Engine) -> bool:
    """True when the database schema is at the code's head revision."""
    return current_revision(engine) == head_revision()
