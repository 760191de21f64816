"""Round 18: a verified callback whose verdict cannot be stored is still kept raw (the inbox's promise: nothing a
bank sent vanishes, even when our code fails on it)."""
import pytest

from kernel.clock import now_utc
from sandbox.bank import callback_request
from tests.api.test_input_hardening import inbox, payments
from tests.factories import make_request

pytestmark = pytest.mark.usefixtures("ledger_checked")


def test_a_callback_whose_verdict_cannot_be_stored_is_still_kept_raw_and_answered_an_error(
        client, auth, test_settings, db, monkeypatch):
    """Verified, but its verdict could not be stored (here: the event could not be written): the raw callback is
    kept `received` with why and the request id, answered 500 (its sender retries), nothing credited. It was
    answered 500 with nothing kept: a callback our code failed on vanished from the inbox."""
    from payments import callback_routes

    def broken(event):
        raise RuntimeError("event not writable")
    monkeypatch.setattr(callback_routes, "event_to_json", broken)
    code = make_request(client, auth)
    path, headers, body = callback_request("bank", settings=test_settings, payment_code=code, amount_vnd=100_000,
                                           txn_id="kept-1", at=now_utc())
    r = client.post(path, data=body, headers=headers)
    assert r.status_code == 500
    [row] = inbox(db)
    assert (row.status, row.body, row.event) == ("received", body, None)
    assert row.reason == f"storing its verdict failed (RuntimeError); request {r.headers['X-Request-Id']}"
    assert payments(db) == []


def test_a_card_sale_whose_check_fails_is_kept_raw_and_answered_an_error(client, auth, test_settings, db,
                                                                       monkeypatch):
    """A POS sale is checked against its decline and stored in one transaction: that transaction failing kept
    nothing either."""
    from kernel import inbox as inbox_module

    def broken(*args, **kwargs):
        raise RuntimeError("check failed")
    monkeypatch.setattr(inbox_module, "flag_declined_sale", broken)
    code = make_request(client, auth)
    path, headers, body = callback_request("pos", settings=test_settings, payment_code=code, amount_vnd=100_000,
                                           txn_id="kept-2", at=now_utc())
    r = client.post(path, data=body, headers=headers)
    assert r.status_code == 500
    [row] = inbox(db)
    assert (row.status, row.event) == ("received", None)
    assert row.reason.startswith("storing its verdict failed (RuntimeError); request ")
    assert payments(db) == []


def test_a_void_that_waited_for_its_sale_says_so_once_the_sale_undoes_it(client, auth, test_settings, db):
    """A void stored before its sale reads "reversal waits for its original sale"; once the sale came and the void
    undid it, that reason still said it waited, as if the card's money were still on the request."""
    from sqlalchemy import select

    from kernel.inbox import InboundCallback
    from tests.api.test_pos_vnpay_cash import pos

    code = make_request(client, auth)
    assert pos(client, test_settings, transaction_id="000002", batch_number="7", type="void",
               original_transaction_id="000001").status_code == 200
    assert pos(client, test_settings, transaction_id="000001", batch_number="7", payment_code=code).status_code == 200
    assert client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"] == 0
    with db() as s:
        void, sale = s.execute(select(InboundCallback).order_by(InboundCallback.id)).scalars().all()
    assert void.status == "applied"
    assert void.reason.startswith("reversal waits for its original sale; its sale POS-01:7:1 arrived ")
    assert void.reason.endswith(f"(callback #{sale.id}): applied to it then")
