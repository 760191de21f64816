"""A void/reversal id received again must say the same thing: another amount or another original
sale is a conflict for finance (GET /finance/conflicts), never a duplicate, and never a second
sale undone under the same id."""
import pytest
from sqlalchemy import select

from kernel.inbox import InboundCallback
from payments.models import Payment
from tests.api.test_pos_vnpay_cash import pos as pos_callback
from tests.factories import make_request


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def pos(client, settings, **fields):
    r = pos_callback(client, settings, **{"transaction_id": "S1", **fields})
    assert r.status_code == 200, r.json
    return r


def void(client, settings, original="S1", amount=100_000, txn="V1"):
    return pos(client, settings, transaction_id=txn, type="void", original_transaction_id=original, amount_vnd=amount)


def inbox_statuses(db):
    with db() as s:
        return [c.status for c in s.execute(select(InboundCallback).order_by(InboundCallback.id)).scalars()]


def conflicts(client, auth):
    return client.get("/api/v1/finance/conflicts", headers=auth("finance")).json["callbacks"]


def paid(client, code):
    return client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"]


def test_a_waiting_void_repeated_with_another_amount_or_original_is_a_conflict(client, auth, test_settings, db):
    code = make_request(client, auth)
    void(client, test_settings)  # its sale S1 not seen yet: it waits
    void(client, test_settings)  # the same again: harmless
    void(client, test_settings, amount=999_000)
    void(client, test_settings, original="S9")
    assert inbox_statuses(db) == ["applied", "duplicate", "conflict", "conflict"]
    assert len(conflicts(client, auth)) == 2
    pos(client, test_settings, payment_code=code)  # the sale: undone by the void as first received
    assert paid(client, code) == 0


def test_an_applied_void_repeated_for_another_sale_undoes_nothing_more(client, auth, test_settings, db):
    first, second = make_request(client, auth), make_request(client, auth)
    pos(client, test_settings, transaction_id="S1", payment_code=first)
    pos(client, test_settings, transaction_id="S2", payment_code=second)
    void(client, test_settings)
    void(client, test_settings, original="S2")
    assert (paid(client, first), paid(client, second)) == (0, 100_000)
    assert inbox_statuses(db)[-2:] == ["applied", "conflict"]
    with db() as s:
        assert sorted(s.execute(select(Payment.status)).scalars()) == ["active", "reversed"]


def test_a_waiting_void_repeated_for_a_sale_already_recorded_undoes_nothing(client, auth, test_settings, db):
    code = make_request(client, auth)
    void(client, test_settings, original="S5")  # waits for S5
    pos(client, test_settings, transaction_id="S2", payment_code=code)
    void(client, test_settings, original="S2")  # the same void id now names another, recorded sale
    assert paid(client, code) == 100_000
    assert inbox_statuses(db)[-1] == "conflict" and len(conflicts(client, auth)) == 1
