"""kernel.bulk writes exactly what a Core insert writes, on SQLite and PostgreSQL alike."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Text, cast, insert, select

from kernel import bulk
from kernel.outbox import OutboxMessage
from reconciliation import files
from reconciliation.models import StatementImport, StatementLine

AT = datetime(2026, 11, 24, 3, 4, 5, 678901, tzinfo=timezone.utc)


def _outbox_rows(prefix: str, n: int) -> list[dict]:
    return [{"topic": "sms", "key": f"{prefix}:{i}", "payload": {"to": "0912345678", "text": f"Đã nhận {i} đ"},
             "status": "pending", "next_attempt_at": AT + timedelta(seconds=i), "created_at": AT} for i in range(n)]


def _read(session, prefix: str) -> list[tuple]:
    return [(m.key.split(":", 1)[1], m.topic, m.payload, m.status, m.attempts, m.next_attempt_at, m.created_at,
             m.locked_until) for m in session.execute(
        select(OutboxMessage).where(OutboxMessage.key.startswith(prefix)).order_by(OutboxMessage.id)).scalars()]


@pytest.mark.parametrize("n", [3, bulk.BULK_FROM + 7, 2 * bulk.SQLITE_ROWS_PER_INSERT + 7])
def test_rows_read_back_as_a_core_insert_writes_them(sessions, db, n):
    with sessions.begin() as session:
        session.execute(insert(OutboxMessage), [{**r, "attempts": 0} for r in _outbox_rows("core", n)])
        bulk.insert_rows(session.connection(), OutboxMessage.__table__, _outbox_rows("bulk", n))  # attempts: default
    with sessions() as session:
        core, written = _read(session, "core:"), _read(session, "bulk:")
    assert len(written) == n
    assert written == core
    assert written[1][5] == AT + timedelta(seconds=1) and written[1][5].tzinfo is not None


@pytest.mark.parametrize("n", [3, bulk.BULK_FROM + 7])
def test_conflicting_keys_are_skipped_and_the_rest_written(sessions, db, n):
    rows = _outbox_rows("k", n)
    with sessions.begin() as session:
        bulk.insert_rows(session.connection(), OutboxMessage.__table__, rows[:2], skip_conflicts_on=("key",))
    changed = [{**row, "topic": "webhook"} for row in rows]
    with sessions.begin() as session:
        bulk.insert_rows(session.connection(), OutboxMessage.__table__, changed, skip_conflicts_on=("key",))
    with sessions() as session:
        stored = _read(session, "k:")
    assert [row[1] for row in stored] == ["sms", "sms"] + ["webhook"] * (n - 2)


def test_rows_sent_several_to_a_statement_go_in_in_their_order_and_skip_conflicts_as_one_by_one(
        sessions, db, monkeypatch):
    """SQLite gets several rows per INSERT (groups of SQLITE_ROWS_PER_INSERT, then the rest): a key met
    again, in an earlier batch, an earlier group or earlier in its own group, is skipped, the first one kept."""
    monkeypatch.setattr(bulk, "SQLITE_ROWS_PER_INSERT", 4)
    with sessions.begin() as session:
        bulk.insert_rows(session.connection(), OutboxMessage.__table__, _outbox_rows("g", 3))
    rows = _outbox_rows("g", bulk.BULK_FROM + 3)
    rows[10]["key"] = rows[11]["key"] = "g:again"  # the same group
    rows[20]["key"] = rows[5]["key"]  # an earlier group
    for row in rows:
        row["topic"] = "webhook"
    with sessions.begin() as session:
        bulk.insert_rows(session.connection(), OutboxMessage.__table__, rows, skip_conflicts_on=("key",))
    with sessions() as session:
        stored = _read(session, "g:")
    kept = [row["key"].split(":", 1)[1] for i, row in enumerate(rows) if i >= 3 and i not in (11, 20)]
    assert [key for key, *_ in stored] == ["0", "1", "2"] + kept
    assert [topic for _, topic, *_ in stored] == ["sms"] * 3 + ["webhook"] * len(kept)


def test_dates_booleans_nulls_and_json_lists_survive(sessions, db):
    with sessions.begin() as session:
        sha256 = files.store_bytes(session, b"x", content_type="text/csv", now=AT)
        import_id = session.execute(insert(StatementImport).values(
            filename="x.csv", format="csv", account_number="1", clearing_account="bank:1", file_sha256=sha256,
            status="done", lines_total=60, created_at=AT, created_by="test").returning(StatementImport.id)).scalar_one()
        rows = [{"import_id": import_id, "line_no": i, "clearing_account": "bank:1", "line_key": f"key{i}",
                 "booking_date": (AT + timedelta(days=i % 3)).date(), "recon_date": AT.date(), "booked_at": AT,
                 "amount_vnd": 10**12 + i, "direction": "credit", "is_reversal": i % 2 == 1, "bank_ref": None,
                 "memo": "nộp lệ phí, \"trích dẫn\"\ttab\\gạch\nxuống dòng", "payer_name": None,
                 "payer_account": None, "balance_after_vnd": None, "payment_id": None, "source": None,
                 "status": "unmatched", "score": 0, "reasons": ["no_code", "điều chỉnh"],
                 "proposal": {"codes": ["HS1"], "score": 40} if i == 0 else None, "created_at": AT}
                for i in range(bulk.BULK_FROM + 10)]
        bulk.insert_rows(session.connection(), StatementLine.__table__, rows)
    with sessions() as session:
        lines = session.execute(select(StatementLine).order_by(StatementLine.line_no)).scalars().all()
    assert len(lines) == len(rows)
    first, second = lines[0], lines[1]
    assert first.booking_date == AT.date() and second.booking_date == (AT + timedelta(days=1)).date()
    assert (first.is_reversal, second.is_reversal) == (False, True)
    assert first.memo == rows[0]["memo"] and first.amount_vnd == 10**12
    assert first.reasons == ["no_code", "điều chỉnh"] and first.proposal == {"codes": ["HS1"], "score": 40}
    assert second.proposal is None and second.bank_ref is None and first.version == 1
    assert first.booked_at == AT


def test_a_naive_time_is_refused_as_core_refuses_it(sessions, db):
    rows = _outbox_rows("naive", bulk.BULK_FROM)
    rows[-1]["created_at"] = AT.replace(tzinfo=None)
    with pytest.raises(ValueError), sessions.begin() as session:
        bulk.insert_rows(session.connection(), OutboxMessage.__table__, rows)


def test_a_duplicate_key_raises_sqlalchemys_integrity_error(sessions, db):
    from sqlalchemy.exc import IntegrityError

    rows = _outbox_rows("dup", bulk.BULK_FROM)
    with pytest.raises(IntegrityError), sessions.begin() as session:
        bulk.insert_rows(session.connection(), OutboxMessage.__table__, rows + rows[:1])
    with sessions() as session:
        assert _read(session, "dup:") == []


@pytest.mark.parametrize("n", [3, bulk.BULK_FROM + 7])
def test_updates_set_the_given_columns_of_the_rows_named_by_key(sessions, db, n):
    with sessions.begin() as session:
        bulk.insert_rows(session.connection(), OutboxMessage.__table__, _outbox_rows("u", n + 1))
    with sessions() as session:
        ids = session.execute(select(OutboxMessage.id).where(OutboxMessage.key.startswith("u:"))
                              .order_by(OutboxMessage.id)).scalars().all()
    later = AT + timedelta(hours=1)
    with sessions.begin() as session:
        bulk.update_rows(session.connection(), OutboxMessage.__table__, [
            {"id": message_id, "status": "done", "attempts": i, "done_at": later}
            for i, message_id in enumerate(ids[:n])])
    with sessions() as session:
        stored = session.execute(select(OutboxMessage).where(OutboxMessage.key.startswith("u:"))
                                 .order_by(OutboxMessage.id)).scalars().all()
    assert [(m.status, m.attempts, m.done_at) for m in stored] == \
        [("done", i, later) for i in range(n)] + [("pending", 0, None)]
    assert stored[0].payload == {"to": "0912345678", "text": "Đã nhận 0 đ"}


@pytest.mark.parametrize("write", [bulk.insert_rows, bulk.update_rows])
def test_an_unknown_column_is_refused_before_anything_is_sent(sessions, db, write):
    rows = [{"id": i, "status": "done", "colour": "red"} for i in range(bulk.BULK_FROM)]
    with pytest.raises(ValueError, match="colour"), sessions.begin() as session:
        write(session.connection(), OutboxMessage.__table__, rows)


def test_json_is_stored_as_the_very_text_core_stores(sessions, db):
    """The text itself, not only what it reads back as: a dict or list goes through the JSON encoder
    kernel.bulk builds once, and must come out as json.dumps writes it (ASCII escapes, separators, floats)."""
    payloads = [{"to": "0912345678", "text": "TT Phục vụ HCC: đã nộp đủ 150.000 ₫, \"có\" \\ biên lai\n\x01"},
                {"a": [1, 2.5, None, True, False, {"b": "é", "c": []}], "n": 10**20, "f": 1e100, "z": -0.0},
                {"amount_vnd": 150000, "channel": "vietqr_transfer", "payment_id": 7}, {}]
    rows = [{**row, "payload": payloads[i % len(payloads)]} for i, row in enumerate(_outbox_rows("text", bulk.BULK_FROM))]
    with sessions.begin() as session:
        session.execute(insert(OutboxMessage), [{**r, "key": f"core-{r['key']}", "attempts": 0} for r in rows])
        bulk.insert_rows(session.connection(), OutboxMessage.__table__, rows)
    with sessions() as session:
        stored = dict(session.execute(select(OutboxMessage.key, cast(OutboxMessage.payload, Text))).all())
    assert all(stored[row["key"]] == stored[f"core-{row['key']}"] for row in rows)
    assert stored["text:0"] == json.dumps(payloads[0])


def test_equal_values_are_converted_once_only_when_they_are_written_alike():
    seen = []

    def process(value):
        seen.append(value)
        return repr(value)

    same_instant = [AT, AT.astimezone(timezone(timedelta(hours=7)))]
    column = [AT.date(), AT.date().replace(), True, 1, 1.0, Decimal("1.0"), Decimal("1.00"), "ab", "".join(["a", "b"]),
              AT, AT.replace(), *same_instant, AT.replace(tzinfo=None), AT.replace(tzinfo=None)]
    assert bulk._convert(column, process) == [repr(value) for value in column]
    assert seen == [AT.date(), True, 1, 1.0, Decimal("1.0"), Decimal("1.00"), "ab", AT, same_instant[1],
                    AT.replace(tzinfo=None), AT.replace(tzinfo=None)]


def test_an_sqlite_with_few_parameters_per_statement_gets_smaller_groups(sessions, db, engine):
    """SQLite builds before 3.32 allow 999 parameters per statement (SQLITE_MAX_VARIABLE_NUMBER):
    the rows per INSERT follow the connection's own limit, not SQLITE_ROWS_PER_INSERT alone."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's parameter limit")
    import sqlite3

    rows = _outbox_rows("few", bulk.BULK_FROM + 7)
    with sessions.begin() as session:
        raw = session.connection().connection.driver_connection
        before = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 3 * len(rows[0]) + 2)  # 3 rows a statement
        try:
            bulk.insert_rows(session.connection(), OutboxMessage.__table__, rows, skip_conflicts_on=("key",))
        finally:
            raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, before)
    with sessions() as session:
        assert [key for key, *_ in _read(session, "few:")] == [str(i) for i in range(len(rows))]
