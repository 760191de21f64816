"""Waiting, in a test, until another transaction waits for a lock the test holds: how concurrency
tests make a race happen every time instead of by luck."""
from __future__ import annotations

import threading
import time

from sqlalchemy import text

# This database's backends only: another test run (or CI) on the same server may wait for its own locks.
WAITING = text("SELECT count(*) FROM pg_locks WHERE NOT granted AND pid NOT IN (pg_backend_pid(), :holder) "
               "AND pid IN (SELECT pid FROM pg_stat_activity WHERE datname = current_database())")


def wait_until_blocked(engine, thread: threading.Thread, deadline_s: float = 10.0, *, holder_pid: int = 0) -> None:
    """Return once `thread` waits for a lock: on PostgreSQL, a lock request of another backend (not
    `holder_pid`, a connection of the test that may itself wait later) shows as not granted (polled
    with a deadline); SQLite cannot show a waiter, so the thread must still be waiting for the write
    lock a moment later. Either way it must not have finished: one that finished did not wait."""
    if engine.dialect.name != "postgresql":
        thread.join(timeout=0.3)
        assert thread.is_alive(), "the other transaction did not wait for the lock"
        return
    started = time.monotonic()
    with engine.connect() as conn:
        while not conn.execute(WAITING, {"holder": holder_pid}).scalar():
            assert thread.is_alive(), "the other transaction did not wait for the lock"
            assert time.monotonic() - started < deadline_s, "the other transaction never asked for the lock"
            thread.join(timeout=0.02)
            conn.rollback()  # a fresh snapshot for the next look
