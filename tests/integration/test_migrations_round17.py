"""Round 17's 0029: set-asides told by their reason's prefix become a state of their own, and card-sale declines
stored before round 16 get the mark a later approval looks for (flagged at once when the approval is stored)."""
from datetime import datetime, timezone

import sqlalchemy as sa

from kernel.inbox import InboundCallback
from tests.integration.test_migrations import _to

AT = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
WHY = "Ngân hàng đã gửi lại; khoản tiền đối soát theo sao kê"
FAILURE = "RuntimeError: a defect (request 1a2b)"
COLUMNS = ("id", "provider", "received_at", "method", "path", "query", "headers", "body", "source_ip", "status",
           "reason", "external_id", "processed_at", "event")


def _row(i, provider, status, reason, external_id=None, event=None):
    return {"id": i, "provider": provider, "received_at": AT, "method": "POST", "path": f"/api/v1/callbacks/{provider}",
            "query": "", "headers": {}, "body": b"{}", "source_ip": "10.0.0.1", "status": status, "reason": reason,
            "external_id": external_id, "processed_at": AT, "event": event}


def test_0029_makes_set_asides_and_old_declines_explicit(engine, database_url, db):
    from kernel.db import UTCDateTime
    table = sa.table("callback_inbox", *(sa.column(n, t) for n, t in zip(COLUMNS, (
        sa.BigInteger(), sa.String(), UTCDateTime(), sa.String(), sa.String(), sa.Text(), sa.JSON(),
        sa.LargeBinary(), sa.String(), sa.String(), sa.Text(), sa.String(), UTCDateTime(), sa.JSON()))))
    audit = sa.table("audit_log", sa.column("at", UTCDateTime()), *(sa.column(n) for n in (
        "id", "actor", "action", "subject_type", "subject_id", "reason", "data", "prev_hash", "hash")))
    credit = {"type": "credit", "provider_ref": "T1:B1:000042"}
    _to(database_url, "downgrade", "0028")
    try:
        with engine.begin() as conn:
            conn.execute(sa.insert(table), [
                _row(1, "bank", "conflict", f"set aside at {AT.isoformat()}: {WHY} (after: {FAILURE})"),
                _row(2, "bank", "conflict", f"set aside at {AT.isoformat()}: unaudited (after: x)"),
                _row(3, "bank", "conflict", "transaction FT1 was recorded with another amount"),
                _row(4, "pos", "ignored", "card sale declined (response code 05)", "T1:B1:000042"),
                _row(5, "pos", "queued", None, "T1:B1:000042", credit),
                _row(6, "pos", "ignored", "query truncated: 9,000 characters, the first 8,000 kept; card sale "
                                          "declined (status declined)", "T1:B1:000043"),
                _row(7, "pos", "ignored", "card void declined (status declined)", "T1:B1:000044"),
                _row(8, "bank", "ignored", "card sale declined (not ours to say)", "FT9"),
            ])
            conn.execute(sa.insert(audit), [{
                "id": 1, "at": AT, "actor": "user:3:Ngô Văn Bình", "action": "callback.set_aside",
                "subject_type": "callback", "subject_id": "1", "reason": WHY, "data": "{}", "prev_hash": "0" * 64,
                "hash": "1" * 64}])
    finally:
        _to(database_url, "upgrade", "head")
    with db() as s:
        rows = {r.id: r for r in s.scalars(sa.select(InboundCallback))}
    assert (rows[1].set_aside_by, rows[1].set_aside_reason, rows[1].reason) == ("user:3:Ngô Văn Bình", WHY, FAILURE)
    assert rows[1].set_aside_at == AT and rows[1].status == "conflict"
    assert rows[2].set_aside_at == AT and rows[2].set_aside_by is None  # no entry: marked, its words kept as written
    assert rows[2].reason.startswith("set aside at ")
    assert rows[3].set_aside_at is None and rows[3].handled_at is None
    # the decline whose approval is stored is the contradiction round 16 flags; the other waits, marked
    assert rows[4].status == "conflict" and rows[4].event == {"type": "declined_sale"}
    assert "callback #5 reported transaction T1:B1:000042 approved" in rows[4].reason
    assert rows[4].reason.startswith("card sale declined (response code 05)")
    assert rows[6].status == "ignored" and rows[6].event == {"type": "declined_sale"}
    assert rows[6].reason.startswith("query truncated")  # what storing noted stays
    assert rows[7].event is None and rows[8].event is None  # a void's decline, another provider: not a sale's


def test_0029_goes_down_with_the_set_aside_told_by_its_reason_again(engine, database_url, client, auth,
                                                                    test_settings, monkeypatch, db):
    from tests.api.test_finance_callbacks_page_round16 import make_failed
    _, stuck = make_failed(client, auth, test_settings, monkeypatch)
    assert client.post(f"/api/v1/finance/failed-callbacks/{stuck['id']}/set-aside", json={"reason": WHY},
                       headers=auth("admin")).status_code == 200
    _to(database_url, "downgrade", "0028")
    try:
        with engine.connect() as conn:
            reason = conn.execute(sa.text("SELECT reason FROM callback_inbox WHERE id = :i"), {"i": stuck["id"]}).scalar()
        assert reason.startswith("set aside at ") and f": {WHY} (after: {stuck['reason']})" in reason
    finally:
        _to(database_url, "upgrade", "head")
    with db() as s:
        row = s.get(InboundCallback, stuck["id"])
        assert (row.set_aside_reason, row.reason) == (WHY, stuck["reason"])
