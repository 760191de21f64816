"""QA round 13: card terminals that number their sales again with each settlement batch."""
import pytest
from sqlalchemy import select

from kernel.clock import now_utc
from kernel.inbox import InboundCallback
from payments.models import Payment
from tests.api.test_pos_vnpay_cash import pos
from tests.factories import make_request

pytestmark = pytest.mark.usefixtures("ledger_checked")


def paid(client, code):
    return client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"]


# --- card terminals that number their sales again each settlement batch -----------------------------

def conflicts(client, auth):
    return client.get("/api/v1/finance/conflicts", headers=auth("finance")).json


def pos_payments(db):
    with db() as s:
        return [(p.provider_ref, p.amount_vnd, p.status) for p in
                s.execute(select(Payment).where(Payment.provider == "pos").order_by(Payment.id)).scalars()]


@pytest.mark.parametrize("first, second", [("000041", "000042"), (41, 42), ("41", "000042")])
def test_a_stan_used_again_in_a_new_batch_is_a_new_sale_and_a_resend_counts_once(
        client, auth, test_settings, db, first, second):
    a, b = make_request(client, auth), make_request(client, auth)
    assert pos(client, test_settings, transaction_id="000001", batch_number=first, payment_code=a).status_code == 200
    assert pos(client, test_settings, transaction_id="000001", batch_number=first, payment_code=a).status_code == 200
    # The next day's batch starts at 000001 again: another citizen, the same fee.
    r = pos(client, test_settings, transaction_id="000001", batch_number=second, payment_code=b, rrn="633412000001")
    assert r.status_code == 200
    assert paid(client, a) == 100_000 and paid(client, b) == 100_000
    assert pos_payments(db) == [("POS-01:41:1", 100_000, "active"), ("POS-01:42:1", 100_000, "active")]
    with db() as s:
        details = s.execute(select(Payment.details).order_by(Payment.id.desc())).scalars().first()
    assert details["batch_number"] == "42" and details["rrn"] == "633412000001"


def test_a_void_undoes_the_sale_of_its_own_batch_not_the_same_number_of_another(client, auth, test_settings, db):
    a, b = make_request(client, auth), make_request(client, auth)
    pos(client, test_settings, transaction_id="000007", batch_number="000003", payment_code=a)
    pos(client, test_settings, transaction_id="000007", batch_number="000004", payment_code=b)
    r = pos(client, test_settings, transaction_id="000008", batch_number="000004", type="void",
            original_transaction_id="000007")
    assert r.status_code == 200
    assert paid(client, a) == 100_000 and paid(client, b) == 0
    assert pos_payments(db) == [("POS-01:3:7", 100_000, "active"), ("POS-01:4:7", 100_000, "reversed")]


def test_a_void_that_comes_before_its_sale_waits_for_the_sale_of_its_batch(client, auth, test_settings, db):
    a = make_request(client, auth)
    pos(client, test_settings, transaction_id="000002", batch_number="9", type="void", original_transaction_id="000001")
    pos(client, test_settings, transaction_id="000001", batch_number="8", payment_code=a)
    assert paid(client, a) == 100_000  # another batch's sale of that number: not the one voided
    b = make_request(client, auth)
    pos(client, test_settings, transaction_id="000001", batch_number="9", payment_code=b)
    assert paid(client, b) == 0


def test_a_stan_reused_another_day_by_a_terminal_that_sends_no_batch_is_a_conflict_not_a_duplicate(
        client, auth, test_settings, db):
    from datetime import timedelta
    yesterday = (now_utc() - timedelta(days=1)).isoformat()
    for _ in range(2):
        assert pos(client, test_settings, transaction_id="000001", occurred_at=yesterday).status_code == 200
    with db() as s:
        assert s.execute(select(InboundCallback.status).order_by(InboundCallback.id.desc())).scalars().first() \
            == "duplicate"  # the true resend
    # Today the terminal's new batch starts at 000001 again, the same fee keyed without a code: the money was
    # taken from a card, and used to vanish as a "duplicate".
    assert pos(client, test_settings, transaction_id="000001", payment_code="").status_code == 200
    with db() as s:
        status, reason = s.execute(select(InboundCallback.status, InboundCallback.reason)
                                   .order_by(InboundCallback.id.desc())).first()
    assert status == "conflict" and "batch_number" in reason, reason


@pytest.mark.parametrize("batch", ["00-01", "1234567890123", " ", "lô 1", True, 1.5, -3, {"n": 1}])
def test_a_batch_number_that_is_no_batch_is_refused_and_kept(client, auth, test_settings, db, batch):
    code = make_request(client, auth)
    r = pos(client, test_settings, transaction_id="000001", batch_number=batch, payment_code=code)
    assert r.status_code == 400 and r.json["code"] == "invalid_field" and r.json["details"] == {"field": "batch_number"}
    with db() as s:
        assert s.execute(select(InboundCallback.status).order_by(InboundCallback.id.desc())).scalars().first() \
            == "rejected"
    assert paid(client, code) == 0


def test_a_transaction_id_too_long_beside_its_batch_is_refused_before_it_is_answered(client, auth, test_settings, db):
    code = make_request(client, auth)
    r = pos(client, test_settings, transaction_id="9" * 59, terminal_id="T" * 40, batch_number="1" + "0" * 11,
            payment_code=code)
    assert r.status_code == 400 and r.json["details"] == {"field": "transaction_id"}
