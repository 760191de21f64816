"""On SQLite (the demo and development store) a callback's 2xx means what it says: its raw row was
committed durably, so a power cut right after the answer cannot take it back."""
import pytest


def test_a_sqlite_commit_reaches_the_disk_before_it_returns(app):
    engine = app.extensions["hccpay"].engine
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL commits are durable (synchronous_commit) whatever we set")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL: the WAL is synced at each commit
