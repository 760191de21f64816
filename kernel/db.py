"""Database plumbing: the declarative base, types that survive both SQLite and PostgreSQL,
engine construction and the one-transaction-per-unit-of-work helper.

Engines are built by `create_app`/the CLI from settings, never at import time.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Annotated, Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from kernel.clock import ensure_aware_utc


class UTCDateTime(TypeDecorator):
    """Aware UTC in, aware UTC out, on both databases.

    PostgreSQL stores timestamptz. SQLite has no time zones, so the value is stored as
    naive UTC and the zone is re-attached on the way out. Naive input is refused.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        value = ensure_aware_utc(value)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")
PK = Annotated[int, mapped_column(BigIntPK, primary_key=True, autoincrement=True)]
MAX_ID = 2**63 - 1  # the largest key a BIGINT column holds

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        int: BigInteger(),  # money and counters are BIGINT everywhere
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


def make_engine(url: str, **kwargs) -> Engine:
    """An engine for `url`, with the SQLite settings that make it a safe single-file store.

    Statement parameters are kept out of error messages (`hide_parameters`): they are names,
    phone and ID numbers, and a logged database error must not carry them."""
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy issue BEGIN itself (below) instead of pysqlite's implicit one.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL, not NORMAL: in WAL mode NORMAL does not sync the log at commit, so a committed
        # transaction "might roll back following a power loss or system crash" (SQLite docs). A
        # callback is answered 2xx once its raw row commits, and that answer promises "durably
        # recorded": the bank will not send it again. FULL costs one fsync per commit.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=30000")
        # The page cache stays SQLite's default (2 MiB). 64 MiB (cache_size=-65536), alone or with
        # temp_store=MEMORY and mmap_size=256 MiB, made no difference beyond the noise to a statement
        # import (2026-11-27, alternated: 50k lines, eight runs each, median 23.4 s vs 21.9 s without,
        # CPU 16.1 s vs 17.1 s, of which system time, all a bigger cache could save, 0.6 s) and costs
        # its size in memory (peak RSS 210 MiB vs 145 MiB; with mmap 242 MiB, and 278 MiB at 100k
        # lines, past the 300 MiB goal at 1M): the operating system's page cache holds the file anyway.
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # BEGIN IMMEDIATE takes the write lock up front: SQLite then serialises writers
        # instead of failing one of two read-then-write transactions with "database is
        # locked". It is the SQLite stand-in for PostgreSQL's row locks.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session inside one transaction: committed on success, rolled back on error."""
    with factory() as session, session.begin():
        yield session


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def insert_returning_id(engine: Engine, statement, params: dict | None = None) -> int:
    """Run one INSERT ... RETURNING id committed on its own.

    On PostgreSQL it runs in autocommit: one round trip instead of BEGIN, INSERT, COMMIT
    (this is on the hot path of every callback). SQLite keeps its usual serialised transaction.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            return conn.execute(statement, params).scalar_one()
    with engine.begin() as conn:
        return conn.execute(statement, params).scalar_one()


def reserve_ids(conn, table: str, count: int) -> list[int]:
    """`count` primary keys for rows the caller will insert with explicit ids.

    Bulk inserts then need no RETURNING, which costs PostgreSQL several times the insert itself.
    PostgreSQL draws them from the table's sequence (shared safely with every other writer);
    SQLite continues after the largest id, which is safe because the transaction already
    holds the database's single write lock (BEGIN IMMEDIATE).
    """
    from sqlalchemy import text

    if conn.dialect.name == "postgresql":
        # The sequence is looked up once (a subquery the plan runs first), not for each id: written as
        # nextval(pg_get_serial_sequence(…)) the lookup ran for every row, 7 times nextval's own cost.
        return list(conn.execute(text("SELECT nextval((SELECT pg_get_serial_sequence(:t, 'id')::regclass)) "
                                      "FROM generate_series(1, :n)"),
                                 {"t": table, "n": count}).scalars())
    start = conn.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")).scalar_one()  # noqa: S608 - our name
    return list(range(start + 1, start + count + 1))


def advisory_lock(session: Session, key: str, *, shared: bool = False) -> None:
    """Serialise a critical section across every app and worker node until the transaction ends;
    `shared` holders run together and only exclude the (exclusive) holders of the same key.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: nothing to do, because every
    write transaction already holds the database's single write lock (BEGIN IMMEDIATE).
    """
    if is_postgres(session):
        from sqlalchemy import text

        function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
        session.execute(text(f"SELECT {function}(hashtextextended(:k, 0))"), {"k": key})


LOST_RACE_SQLSTATES = ("40P01", "40001")  # deadlock detected, serialization failure


def lost_race(exc: BaseException) -> bool:
    """A deadlock or serialization failure: PostgreSQL rolled this transaction back because another
    one took the same rows in the other order. Nothing was written, the database is fine, and doing
    it again normally succeeds (requests answer 409 `concurrent_update`, not 503)."""
    from sqlalchemy.exc import DBAPIError

    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in LOST_RACE_SQLSTATES


def unavailable_reason(exc: BaseException) -> tuple[str, str] | None:
    """When a database error means "the store cannot take this now" (down, read-only, full),
    the stable code and message for a 503; None for anything else (a bug: 500). A lost race
    (`lost_race`) counts too, since workers wait and retry it alike; requests check it first."""
    from sqlalchemy.exc import DBAPIError, OperationalError

    if not isinstance(exc, DBAPIError):
        return None
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    text = str(exc.orig).lower()
    if sqlstate == "25006" or "readonly database" in text or "read-only" in text:
        return "database_read_only", "the database is read-only at the moment; nothing was written, try again later"
    if sqlstate == "53100" or "disk is full" in text or "database or disk is full" in text:
        return "storage_full", "the database has no space left; nothing was written, try again later"
    # A table or column this code expects is missing: a node started before `hccpay db upgrade` ran
    # (what /readyz reports as well), not a fault of the request.
    if sqlstate in ("42P01", "42703") or "no such table" in text or "no such column" in text:
        return "migrations_pending", "the database schema is not current: run hccpay db upgrade"
    if isinstance(exc, OperationalError) or exc.connection_invalidated or sqlstate.startswith(("08", "57P")):
        return "database_unavailable", "the database is not reachable; try again shortly"
    return None
