"""kernel.bulk on PostgreSQL writes by binary COPY: every value still arrives as a Core insert writes it,
JSON that is not a dict or list included, and a table with a column binary COPY does not cover still
takes its rows (text COPY)."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Text, cast, insert, select

from kernel import bulk
from kernel.outbox import OutboxMessage
from reconciliation import files
from reconciliation.models import StoredFileChunk

AT = datetime(2026, 11, 24, 3, 4, 5, 678901, tzinfo=timezone.utc)


def test_json_scalars_and_nulls_are_stored_as_core_stores_them(sessions, db):
    payloads = ["chuỗi \"có\" \\ dấu", 150_000, None, JSON.NULL, True, [], {"a": None}]
    rows = [{"topic": "sms", "key": f"s:{i}", "payload": payloads[i % len(payloads)], "status": "pending",
             "next_attempt_at": AT, "created_at": AT} for i in range(bulk.BULK_FROM + 3)]
    with sessions.begin() as session:
        session.execute(insert(OutboxMessage), [{**r, "key": f"core-{r['key']}", "attempts": 0} for r in rows])
        bulk.insert_rows(session.connection(), OutboxMessage.__table__, rows)
    with sessions() as session:
        stored = {key: (text, payload) for key, text, payload in session.execute(
            select(OutboxMessage.key, cast(OutboxMessage.payload, Text), OutboxMessage.payload))}
    assert len(stored) == 2 * len(rows)
    assert all(stored[row["key"]] == stored[f"core-{row['key']}"] for row in rows)
    assert stored["s:0"][1] == payloads[0] and stored["s:1"][1] == 150_000


def test_a_table_with_a_column_outside_binary_copy_still_takes_its_rows(sessions, db):
    chunks = [bytes([i % 256]) * 3 + b"\\\t\n\x00" for i in range(bulk.BULK_FROM + 2)]
    with sessions.begin() as session:
        sha256 = files.store_bytes(session, b"x", content_type="text/csv", now=AT)
        bulk.insert_rows(session.connection(), StoredFileChunk.__table__,
                         [{"sha256": sha256, "seq": 100 + i, "data": data} for i, data in enumerate(chunks)])
    with sessions() as session:
        stored = session.execute(select(StoredFileChunk.data).where(
            StoredFileChunk.sha256 == sha256, StoredFileChunk.seq >= 100).order_by(StoredFileChunk.seq)).scalars().all()
    assert stored == chunks


def test_reserved_ids_are_the_tables_own_and_never_handed_out_again(sessions, db):
    from kernel.db import reserve_ids

    rows = [{"topic": "sms", "key": f"r:{i}", "payload": {}, "status": "pending", "next_attempt_at": AT,
             "created_at": AT} for i in range(3)]
    with sessions.begin() as session:
        conn = session.connection()
        ids = reserve_ids(conn, "outbox", bulk.BULK_FROM + 1)
        assert len(set(ids)) == len(ids) and ids == sorted(ids)
        bulk.insert_rows(conn, OutboxMessage.__table__, [{**rows[0], "key": f"id:{i}", "id": i} for i in ids])
        later = session.execute(insert(OutboxMessage).values(rows[1]).returning(OutboxMessage.id)).scalar_one()
        assert later > max(ids)
