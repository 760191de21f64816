"""Round 14, the callback inbox: what was noted while storing a callback (its body redacted or cut, its
query cut) survives the verdict written later, which is added to it, not put in its place; a query cut to
the stored size says so."""
import pytest
from sqlalchemy import select

from kernel.inbox import InboundCallback
from tests.factories import make_request, signed
from tests.api.test_pos_vnpay_cash import pos


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def last_inbox(db):
    with db() as s:
        row = s.execute(select(InboundCallback).order_by(InboundCallback.id.desc())).scalars().first()
        return row.status, row.reason, row.query


def void_body(test_settings, **extra):
    data = {"transaction_id": "000002", "terminal_id": "POS-01", "type": "void", "original_transaction_id": "000001",
            "amount_vnd": 100_000, "occurred_at": "2026-11-27T10:00:00+07:00", **extra}
    return signed(test_settings, "HCCPAY_POS_WEBHOOK_SECRET", data)


def test_a_redacted_body_is_still_said_after_the_verdict(client, test_settings, db):
    headers, body = void_body(test_settings, note="thẻ 9704361234561234")
    assert client.post("/api/v1/callbacks/pos", data=body, headers=headers).status_code == 200
    status, reason, _ = last_inbox(db)
    assert status == "applied"
    assert "body redacted before storing" in reason and "reversal waits for its original sale" in reason, reason


def test_a_query_cut_to_the_stored_size_says_so_and_keeps_saying_it(client, test_settings, db):
    headers, body = void_body(test_settings)
    r = client.post("/api/v1/callbacks/pos?pad=" + "x" * 9000, data=body, headers=headers)
    assert r.status_code == 200
    status, reason, query = last_inbox(db)
    assert len(query) == 8000
    assert "query truncated" in reason and "reversal waits for its original sale" in reason, reason


def test_a_query_that_fits_is_not_said_to_be_cut(client, auth, test_settings, db):
    code = make_request(client, auth)
    assert pos(client, test_settings, transaction_id="S1", payment_code=code).status_code == 200
    assert last_inbox(db)[:2] == ("applied", None)


def test_a_void_found_to_contradict_its_sale_keeps_the_storing_note_and_drops_the_wait(
        client, auth, test_settings, db):
    headers, body = void_body(test_settings, note="thẻ 9704361234561234", amount_vnd=5_000)
    assert client.post("/api/v1/callbacks/pos", data=body, headers=headers).status_code == 200
    code = make_request(client, auth)
    assert pos(client, test_settings, transaction_id="000001", payment_code=code).status_code == 200
    with db() as s:
        row = s.execute(select(InboundCallback).where(InboundCallback.external_id == "POS-01:2")).scalar_one()
    assert row.status == "conflict"
    assert row.reason.startswith("body redacted before storing; reversal_amount_mismatch: "), row.reason
    assert "waits" not in row.reason
