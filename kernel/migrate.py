"""Schema migrations (Alembic), driven from code so `hccpay db upgrade` needs no ini file."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

import migrations

SCRIPT_LOCATION = str(Path(migrations.__file__).parent)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    # ConfigParser treats % as interpolation: escape it (passwords may contain it).
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


class MigrationError(RuntimeError):
    """A migration would leave the database inconsistent; nothing of it was kept."""


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at `url` to `revision`.

    On PostgreSQL a session advisory lock makes nodes that start together (each running
    `hccpay db upgrade`) take turns: the first migrates, the others find nothing to do.
    """
    _migrate(url, "upgrade", revision)


def downgrade(url: str, revision: str) -> None:
    """Take the database at `url` back to `revision` (tests; an operator undoing a release)."""
    _migrate(url, "downgrade", revision)


def _migrate(url: str, direction: str, revision: str) -> None:
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
            with _keys_checked_at_the_end(conn):
                try:
                    getattr(command, direction)(config, revision)
                except CommandError as exc:  # an unknown revision: the operator's typo, said as a sentence
                    raise MigrationError(f"cannot {direction} to {revision!r}: {exc}") from exc
            conn.commit()
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_unlock(hashtext('hccpay-migrations'))"))
                conn.commit()
    finally:
        engine.dispose()


@contextmanager
def _keys_checked_at_the_end(conn: Connection) -> Iterator[None]:
    """SQLite alters a table by copying it to a new one and dropping the old: with foreign keys
    enforced, dropping a table other rows point at fails (a payment request under its payments),
    so a database holding money could not be migrated. Its keys are switched off for the migration,
    which runs in one transaction, and checked before it commits: a row left pointing at nothing
    rolls the whole migration back. It is committed here, so that the keys are on again for
    whatever the connection runs next (inside a transaction SQLite ignores the pragma, so switched
    on before the commit they stayed off). PostgreSQL alters tables in place and checks as it goes."""
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.driver_connection
    raw.execute("PRAGMA foreign_keys=OFF")  # outside a transaction: inside one SQLite ignores it
    try:
        conn.begin()  # alembic runs inside it and leaves the commit to us
        yield
        dangling = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
        if dangling:
            conn.rollback()
            tables = sorted({row[0] for row in dangling})
            raise MigrationError(f"the migration would leave {len(dangling)} row(s) of {', '.join(tables)} "
                                 "pointing at nothing: rolled back")
        conn.commit()
    except BaseException:
        if conn.in_transaction():
            conn.rollback()
        raise
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def head_revision() -> str | None:
    return ScriptDirectory(SCRIPT_LOCATION).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_current(engine: Engine) -> bool:
    """True when the database schema is at the code's head revision."""
    return current_revision(engine) == head_revision()
