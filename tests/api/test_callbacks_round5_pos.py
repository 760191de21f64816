"""Card terminals: an approved sale is never refused or dropped for how the terminal writes its
details. Any masked card number is kept (only a full card number is refused), an approval sent as
the number 0 is an approval, and a sale without a payment code waits in suspense."""
import pytest
from sqlalchemy import select

from kernel.clock import now_utc
from kernel.inbox import InboundCallback
from payments.models import Payment
from tests.api.test_pos_vnpay_cash import pos
from tests.factories import make_request, signed


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def paid(client, code):
    return client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"]


def last_inbox(db):
    with db() as s:
        row = s.execute(select(InboundCallback).order_by(InboundCallback.id.desc())).scalars().first()
        return row.status, row.reason


def card_kept(db):
    with db() as s:
        return s.execute(select(Payment.details).order_by(Payment.id.desc())).scalars().first()["card_masked"]


@pytest.mark.parametrize("mask", ["************1234", "XXXXXXXXXXXX1234", "**** **** **** 1234", "9704 36** **** 1234",
                                  "9704-36XX-XXXX-1234", "****1234", "1234", "970436******123"])
def test_an_approved_sale_with_any_masked_card_number_is_credited_and_the_mask_kept(
        client, auth, test_settings, db, mask):
    code = make_request(client, auth)
    r = pos(client, test_settings, transaction_id="S1", payment_code=code, card_masked=mask)
    assert r.status_code == 200 and r.json == {"received": True}
    assert paid(client, code) == 100_000
    assert card_kept(db) == mask


def test_an_empty_card_mask_is_kept_as_no_mask(client, auth, test_settings, db):
    code = make_request(client, auth)
    assert pos(client, test_settings, transaction_id="S1", payment_code=code, card_masked="").status_code == 200
    assert paid(client, code) == 100_000
    assert card_kept(db) is None


@pytest.mark.parametrize("pan", ["9704361234561234", "9704 3612 3456 1234", "card 9704-3612-3456-1234"])
def test_a_card_mask_holding_a_full_card_number_is_still_refused(client, auth, test_settings, db, pan):
    code = make_request(client, auth)
    r = pos(client, test_settings, transaction_id="S1", payment_code=code, card_masked=pan)
    assert r.status_code == 400 and r.json["code"] == "invalid_field" and r.json["details"] == {"field": "card_masked"}
    assert last_inbox(db)[0] == "rejected"
    assert paid(client, code) == 0


@pytest.mark.parametrize("approved", [0, "0", "00", "000"])
def test_an_approval_code_written_as_zero_in_any_width_is_an_approved_sale(client, auth, test_settings, db, approved):
    code = make_request(client, auth)
    r = pos(client, test_settings, transaction_id="S1", payment_code=code, response_code=approved)
    assert r.status_code == 200
    assert last_inbox(db) == ("applied", None)
    assert paid(client, code) == 100_000


@pytest.mark.parametrize("offline", ["Y1", "Y3", "y1"])
def test_an_emv_offline_approval_is_an_approved_sale(client, auth, test_settings, db, offline):
    code = make_request(client, auth)
    assert pos(client, test_settings, transaction_id="S1", payment_code=code, response_code=offline).status_code == 200
    assert last_inbox(db) == ("applied", None)
    assert paid(client, code) == 100_000


@pytest.mark.parametrize("declined, shown", [(5, "05"), ("5", "05"), ("51", "51"), (51, "51"), ("Z3", "Z3")])
def test_a_declined_sale_is_recorded_with_its_two_digit_code_and_not_credited(
        client, auth, test_settings, db, declined, shown):
    code = make_request(client, auth)
    assert pos(client, test_settings, transaction_id="S1", payment_code=code, response_code=declined).status_code == 200
    assert last_inbox(db) == ("ignored", f"card sale declined (response code {shown})")
    assert paid(client, code) == 0


@pytest.mark.parametrize("odd", [0.0, True, [], {}, "", " ", -1, 1000])
def test_a_response_code_that_is_no_code_is_refused_not_taken_for_a_decline(client, auth, test_settings, db, odd):
    code = make_request(client, auth)
    r = pos(client, test_settings, transaction_id="S1", payment_code=code, response_code=odd)
    assert r.status_code == 400 and r.json["code"] == "invalid_field"
    assert r.json["details"] == {"field": "response_code"}
    assert last_inbox(db)[0] == "rejected"  # listed for finance, not silently ignored
    assert client.get("/api/v1/finance/rejected-callbacks", headers=auth("finance")).json["callbacks"]


@pytest.mark.parametrize("how", ["missing", "null", "empty"])
def test_a_sale_without_a_payment_code_waits_in_suspense(client, auth, test_settings, db, how):
    data = {"transaction_id": "S1", "terminal_id": "POS-01", "type": "sale", "amount_vnd": 100_000,
            "approval_code": "123456", "card_masked": "970436******1234", "occurred_at": now_utc().isoformat()}
    if how != "missing":
        data["payment_code"] = None if how == "null" else ""
    headers, body = signed(test_settings, "HCCPAY_POS_WEBHOOK_SECRET", data)
    r = client.post("/api/v1/callbacks/pos", data=body, headers=headers)
    assert r.status_code == 200 and r.json == {"received": True}
    assert last_inbox(db) == ("applied", "no_code")
    with db() as s:
        [payment] = s.execute(select(Payment)).scalars().all()
    assert payment.unallocated_vnd == 100_000 and payment.suspense_reason == "no_code"
