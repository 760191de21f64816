"""The paid postage of a cancelled shipment is money to give back: its request no longer asks for it, so what
it received for it is an over-payment, in the exception queue of the day finance works in (the payment's own
while open, else the next open day, as an adjustment) until finance refunds it through the refund flow. The
days' totals and the ledger follow to the đồng, and a closed day stays as it was approved."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from kernel.clock import business_date, now_utc
from payments.ledger import balances
from payments.models import PaymentRequest
from tests.api.test_postal_round2 import cancel, post_shipment
from tests.postal_factories import make_dossier, pay_everything, shipment_body

FRIDAY, MONDAY = "2026-11-20", "2026-11-23"


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def queue(client, auth, day: str) -> dict[str, dict]:
    r = client.get(f"/api/v1/reconciliation/days/{day}/exceptions?state=all", headers=auth("finance"))
    assert r.status_code == 200, r.json
    return {e["key"]: e for e in r.json["exceptions"]}


def totals(client, auth, day: str) -> dict:
    r = client.get(f"/api/v1/reconciliation/days/{day}", headers=auth("auditor"))
    assert r.status_code == 200, r.json
    return r.json["totals"]


def rows(found: list[dict]) -> dict[str, int]:
    return {row["agency_code"]: row["amount_vnd"] for row in found}


def ledger(db) -> dict[str, int]:
    with db() as s:
        return {account: -amount for account, amount in balances(s).items()
                if account.startswith("revenue:") or account in ("overpayments", "refunds_payable")}


def refund(client, auth, payment_code: str, amount: int) -> None:
    """Finance refunds `amount` of the request's payment and makes the transfer (the existing refund flow)."""
    [payment] = client.get(f"/api/v1/payment-requests/{payment_code}/payments",
                           headers=auth("finance")).json["payments"]
    refundable = client.get(f"/api/v1/payments/{payment['id']}/refunds", headers=auth("finance")).json["refundable_vnd"]
    asked = client.post(f"/api/v1/payments/{payment['id']}/refunds", headers=auth("finance"), json={
        "amount_vnd": amount, "expected_refundable_vnd": refundable, "reason": "Hủy chuyển phát: hoàn cước"})
    assert asked.status_code == 201, asked.json
    done = client.post(f"/api/v1/refunds/{asked.json['id']}/executed", headers=auth("finance"),
                       json={"bank_reference": "FT26331000001"})
    assert done.status_code == 200, done.json


def paid_then_cancelled(client, auth, db, settings) -> str:
    """A delivery whose postage (22.000) was paid with the dossier's fee (8.000), then cancelled: its postage code."""
    make_dossier(db, settings)
    shipment = post_shipment(client, auth, shipment_body(direction="delivery")).json
    pay_everything(db, settings, shipment["dossier_code"])
    cancel(client, auth, shipment["id"])
    return shipment["postage_payment_code"]


def test_the_paid_postage_of_a_cancelled_delivery_is_an_over_payment_to_refund_in_the_days_queue(
        client, auth, db, test_settings):
    postage = paid_then_cancelled(client, auth, db, test_settings)
    today = business_date(now_utc()).isoformat()
    request = client.get(f"/api/v1/payment-requests/{postage}").json
    assert (request["status"], request["amount_vnd"], request["paid_vnd"], request["outstanding_vnd"]) == \
        ("overpaid", 0, 22000, 0)  # it asks for nothing now: the 22.000 is to give back
    pay_page = client.get(f"/pay/{postage}").get_data(as_text=True)  # the citizen reads why, and that it comes back
    assert "(không còn thu)" in pay_page and "Trung tâm sẽ hoàn trả phần nộp thừa" in pay_page
    over = queue(client, auth, today)[f"request:{postage}:over_payment"]
    assert (over["amount_vnd"], over["open"], over["severity"]) == (22000, True, "blocking")
    assert rows(totals(client, auth, today)["by_agency"]) == {"H40.22": 8000, "overpaid": 22000}
    assert ledger(db) == {"revenue:H40.22:fee": 8000, "revenue:H40.22:postage": 0, "overpayments": 22000}
    page = client.get(f"/staff/finance/exceptions?date={today}", headers=auth("finance"))
    html = page.get_data(as_text=True)  # with the way to the refund desk
    assert page.status_code == 200 and postage in html and "Hoàn phần nộp thừa" in html and "22.000" in html

    refund(client, auth, postage, 22000)  # the refund flow finance already uses
    assert client.get(f"/api/v1/payment-requests/{postage}").json["status"] == "refunded"
    assert f"request:{postage}:over_payment" not in queue(client, auth, today)
    assert rows(totals(client, auth, today)["by_agency"]) == {"H40.22": 8000, "refunded": 22000}
    assert ledger(db) == {"revenue:H40.22:fee": 8000, "revenue:H40.22:postage": 0, "overpayments": 0,
                          "refunds_payable": 0}


def test_the_postage_paid_on_a_closed_day_is_refunded_in_the_next_open_day_which_alone_changes(
        client, auth, db, test_settings):
    friday_10am = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
    make_dossier(db, test_settings)
    shipment = post_shipment(client, auth, shipment_body(direction="delivery")).json
    pay_everything(db, test_settings, shipment["dossier_code"], now=friday_10am)
    for key in queue(client, auth, FRIDAY):  # the transfers wait for their statement lines: accepted
        r = client.post(f"/api/v1/reconciliation/days/{FRIDAY}/exceptions/{key}/acknowledge",
                        headers=auth("finance"), json={"reason": "sao kê về sau"})
        assert r.status_code == 201, r.json
    assert client.post(f"/api/v1/reconciliation/days/{FRIDAY}/close", headers=auth("finance")).status_code == 202
    closed = client.post(f"/api/v1/reconciliation/days/{FRIDAY}/close/approve", headers=auth("approver"))
    assert closed.status_code == 200, closed.json
    cancel(client, auth, shipment["id"])
    postage = shipment["postage_payment_code"]

    friday = client.get(f"/api/v1/reconciliation/days/{FRIDAY}", headers=auth("auditor")).json
    assert friday["totals"] == closed.json["totals"]  # as approved
    assert rows(friday["totals"]["by_agency"]) == {"H40.22": 30000}
    assert f"request:{postage}:over_payment" not in queue(client, auth, FRIDAY)
    over = queue(client, auth, MONDAY)[f"request:{postage}:over_payment"]
    assert (over["amount_vnd"], over["open"]) == (22000, True)
    adjustments = totals(client, auth, MONDAY)["adjustments"]
    assert rows(adjustments["by_agency"]) == {"H40.22": -22000, "overpaid": 22000} and adjustments["net_vnd"] == 0

    refund(client, auth, postage, 22000)
    assert f"request:{postage}:over_payment" not in queue(client, auth, MONDAY)
    adjustments = totals(client, auth, MONDAY)["adjustments"]
    assert rows(adjustments["by_agency"]) == {"H40.22": -22000, "refunded": 22000} and adjustments["net_vnd"] == 0
    assert client.get(f"/api/v1/reconciliation/days/{FRIDAY}", headers=auth("auditor")).json["totals"] == \
        closed.json["totals"]


def test_postage_renewed_with_the_fee_and_paid_leaves_the_fee_paid_once_the_postage_is_refunded(
        client, auth, db, test_settings):
    """One request asked for the fee and the postage (renewed together): the fee stays paid, the postage
    is the over-payment; refunding it leaves the request paid, never asking for the postage again."""
    from tests.api.test_postal_round2 import fee_and_postage_lapsed

    code, shipment = fee_and_postage_lapsed(client, auth, db, test_settings)
    renewed = client.post(f"/api/v1/dossiers/{code}/payment-requests", headers=auth("intake")).json["payment_code"]
    pay_everything(db, test_settings, code)
    cancel(client, auth, shipment["id"])
    request = client.get(f"/api/v1/payment-requests/{renewed}").json
    assert (request["status"], request["amount_vnd"], request["paid_vnd"]) == ("overpaid", 8000, 30000)
    today = business_date(now_utc()).isoformat()
    assert queue(client, auth, today)[f"request:{renewed}:over_payment"]["amount_vnd"] == 22000
    refund(client, auth, renewed, 22000)
    request = client.get(f"/api/v1/payment-requests/{renewed}").json
    assert (request["status"], request["outstanding_vnd"], request["vietqr"]) == ("paid", 0, None)
    assert f"request:{renewed}:over_payment" not in queue(client, auth, today)
    assert ledger(db) == {"revenue:H40.22:fee": 8000, "revenue:H40.22:postage": 0, "overpayments": 0,
                          "refunds_payable": 0}


def credit(db, settings, payment_code: str, amount: int, ref: str) -> None:
    from kernel.db import unit_of_work
    from payments.credits import IncomingCredit, record_credits
    from payments.ledger import Accounts

    with unit_of_work(db) as s:
        record_credits(s, [IncomingCredit(
            provider="bank", provider_ref=ref, channel="vietqr_transfer", amount_vnd=amount, booked_at=now_utc(),
            clearing_account=Accounts.bank("970436", "0071001234567"), payment_code=payment_code)],
            settings=settings, actor="test", now=now_utc())


def test_the_fee_and_postage_part_paid_when_the_shipment_is_cancelled_is_the_fee_paid_with_its_receipt_alone(
        client, auth, db, test_settings):
    """10.000 of a renewed 30.000 (fee 8.000, postage 22.000): the postage withdrawn, the fee is paid and
    2.000 over; the receipt then issued is for the fee, and lists the fee alone."""
    from tests.api.test_postal_round2 import fee_and_postage_lapsed
    from tests.integration.test_receipts import pdf_text

    code, shipment = fee_and_postage_lapsed(client, auth, db, test_settings)
    renewed = client.post(f"/api/v1/dossiers/{code}/payment-requests", headers=auth("intake")).json["payment_code"]
    credit(db, test_settings, renewed, 10000, "PART-2")
    cancel(client, auth, shipment["id"])
    request = client.get(f"/api/v1/payment-requests/{renewed}").json
    assert (request["status"], request["amount_vnd"], request["paid_vnd"]) == ("overpaid", 8000, 10000)
    assert queue(client, auth, business_date(now_utc()).isoformat())[f"request:{renewed}:over_payment"][
        "amount_vnd"] == 2000
    text = pdf_text(client.get(f"/api/v1/payment-requests/{renewed}/receipt.pdf").data)
    assert "Phí cấp bản sao" in text and "Tám nghìn đồng" in text and "22.000" not in text, text
    assert ledger(db) == {"revenue:H40.22:fee": 8000, "revenue:H40.22:postage": 0, "overpayments": 2000}


def test_postage_part_paid_when_its_shipment_is_cancelled_is_asked_no_more_and_gets_no_receipt_for_nothing(
        client, auth, db, test_settings):
    """Postage part paid when its shipment is cancelled: the request asks for nothing, what it got is to give
    back; no receipt is issued for 0 ₫."""
    from payments.receipts import Receipt

    make_dossier(db, test_settings)
    shipment = post_shipment(client, auth, shipment_body(direction="delivery")).json
    postage = shipment["postage_payment_code"]
    credit(db, test_settings, postage, 10000, "PART-1")
    cancel(client, auth, shipment["id"])
    request = client.get(f"/api/v1/payment-requests/{postage}").json
    assert (request["status"], request["amount_vnd"], request["paid_vnd"], request["vietqr"]) == \
        ("overpaid", 0, 10000, None)
    with db() as s:
        [request_id] = s.execute(select(PaymentRequest.id).where(PaymentRequest.payment_code == postage)).scalars()
        assert s.execute(select(Receipt).where(Receipt.payment_request_id == request_id)).first() is None
    today = business_date(now_utc()).isoformat()
    assert queue(client, auth, today)[f"request:{postage}:over_payment"]["amount_vnd"] == 10000
