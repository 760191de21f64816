"""After a cancelled shipment's postage is withdrawn: a request that asks for nothing and whose money is then
voided holds nothing and asks nothing, so it is cancelled, not waiting for 0 ₫; a part-paid request that the
withdrawal settles is announced as paid (event, SMS, receipt for the fees paid); the pay page shows a withdrawn
item struck, at 0 ₫, and the total the request actually asks."""
import re

import pytest
from sqlalchemy import select

from kernel.clock import business_date, now_utc
from kernel.outbox import OutboxMessage
from payments.models import PaymentRequest
from tests.api.test_postal_fix_withdrawn_postage_refund import credit, queue
from tests.api.test_postal_round2 import cancel, fee_and_postage_lapsed, post_shipment
from tests.api.test_void_after_refund import pos
from tests.factories import send_callback
from tests.integration.test_announcements import subscribed  # noqa: F401 (fixture)
from tests.integration.test_receipts import pdf_text
from tests.postal_factories import make_dossier, shipment_body

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def queued(db, topic: str) -> list[dict]:
    with db() as s:
        return [m.payload for m in s.execute(select(OutboxMessage).where(OutboxMessage.topic == topic)
                                             .order_by(OutboxMessage.id)).scalars()]


def events(db, payment_code: str) -> list[tuple[str, dict]]:
    return [(p["event"]["type"], p["event"]["data"]) for p in queued(db, "webhook")
            if p["event"]["data"].get("payment_code") == payment_code]


def texts(db, payment_code: str) -> list[str]:
    """The citizen's SMS about this request, oldest first: by their key, which names the request (a text about
    a request with nothing left to pay names its dossier, not its payment code)."""
    with db() as s:
        request = s.execute(select(PaymentRequest.id).where(PaymentRequest.payment_code == payment_code)).scalar_one()
        keyed = OutboxMessage.key.startswith(f"sms:request:{request}:")
        return [m.payload["text"] for m in s.execute(select(OutboxMessage).where(OutboxMessage.topic == "sms", keyed)
                                                     .order_by(OutboxMessage.id)).scalars()]


def summary(client, payment_code: str) -> tuple:
    r = client.get(f"/api/v1/payment-requests/{payment_code}").json
    return r["status"], r["amount_vnd"], r["paid_vnd"], r["outstanding_vnd"], r["vietqr"]


def delivery(client, auth, db, settings) -> dict:
    make_dossier(db, settings)
    return post_shipment(client, auth, shipment_body(direction="delivery")).json


# --- 1. a request asking nothing whose money is voided holds nothing: it is closed --------------------

def test_a_postage_request_asking_nothing_whose_card_payment_is_voided_is_cancelled_not_waiting_for_0_vnd(
        client, auth, db, test_settings, subscribed):
    shipment = delivery(client, auth, db, test_settings)
    postage = shipment["postage_payment_code"]
    pos(client, test_settings, postage, 22000, transaction_id="S1", type="sale")
    cancel(client, auth, shipment["id"])
    assert summary(client, postage) == ("overpaid", 0, 22000, 0, None)

    pos(client, test_settings, postage, 22000, transaction_id="V1", type="void", original_transaction_id="S1")
    assert summary(client, postage) == ("cancelled", 0, 0, 0, None)  # nothing asked, nothing held
    assert f"request:{postage}:over_payment" not in queue(client, auth, business_date(now_utc()).isoformat())
    kind, data = events(db, postage)[-1]
    assert (kind, data["previous_status"], data["status"]) == ("payment_request.status_changed", "overpaid",
                                                                "cancelled")
    page = client.get(f"/pay/{postage}").get_data(as_text=True)
    assert "Yêu cầu thanh toán đã bị hủy" in page and 'id="pay-section"' not in page

    # Money sent for it afterwards is not a payment it asked for: it waits in suspense for finance.
    assert send_callback(client, test_settings, "bank", code=postage, amount=22000).status_code == 200
    assert summary(client, postage) == ("cancelled", 0, 0, 0, None)
    [money] = client.get("/api/v1/finance/suspense", headers=auth("finance")).json["payments"]
    assert money["unallocated_vnd"] == 22000


def test_a_postage_request_asking_nothing_whose_transfer_is_taken_back_into_suspense_is_cancelled(
        client, auth, db, test_settings):
    """A match undone (finance releases the allocation) takes the money back as a void does."""
    shipment = delivery(client, auth, db, test_settings)
    postage = shipment["postage_payment_code"]
    credit(db, test_settings, postage, 22000, "POSTAGE-1")
    cancel(client, auth, shipment["id"])
    [payment] = client.get(f"/api/v1/payment-requests/{postage}/payments", headers=auth("finance")).json["payments"]
    [allocation] = payment["allocations"]
    r = client.post(f"/api/v1/finance/allocations/{allocation['id']}/release", headers=auth("finance"),
                    json={"reason": "ghép nhầm hồ sơ"})
    assert r.status_code == 200, r.json
    assert summary(client, postage) == ("cancelled", 0, 0, 0, None)
    assert r.json["unallocated_vnd"] == 22000  # in suspense for finance, as before


# --- 2. a part-paid request settled by the withdrawal is told as paid -------------------------------

def part_paid_renewal(client, auth, db, settings, amount: int) -> tuple[str, dict]:
    """The dossier's fee (8.000) and a pickup's postage (22.000) renewed together, `amount` of it paid."""
    code, shipment = fee_and_postage_lapsed(client, auth, db, settings)
    renewed = client.post(f"/api/v1/dossiers/{code}/payment-requests", headers=auth("intake")).json["payment_code"]
    credit(db, settings, renewed, amount, f"PART-{amount}")
    return renewed, shipment


def test_a_part_paid_request_whose_withdrawn_postage_was_all_it_still_owed_is_announced_paid_with_its_receipt(
        client, auth, db, test_settings, subscribed):
    renewed, shipment = part_paid_renewal(client, auth, db, test_settings, 8000)
    assert summary(client, renewed)[0] == "partially_paid"
    cancel(client, auth, shipment["id"])

    assert summary(client, renewed) == ("paid", 8000, 8000, 0, None)
    kind, data = events(db, renewed)[-1]
    assert kind == "payment_request.paid"
    assert (data["previous_status"], data["received_vnd"], data["withdrawn_vnd"], data["outstanding_vnd"]) == \
        ("partially_paid", 0, 22000, 0)
    assert texts(db, renewed)[-1] == (
        "TT Phục vụ HCC: Thôi thu 22.000 ₫ cước bưu chính hồ sơ 000.00.12.H40-261125-0901, đã nộp đủ.")
    receipt = pdf_text(client.get(f"/api/v1/payment-requests/{renewed}/receipt.pdf").data)
    assert "Phí cấp bản sao" in receipt and "Tám nghìn đồng" in receipt and "22.000" not in receipt, receipt


def test_a_part_paid_request_the_withdrawal_leaves_overpaid_is_paid_and_the_sms_names_the_excess(
        client, auth, db, test_settings, subscribed):
    renewed, shipment = part_paid_renewal(client, auth, db, test_settings, 10000)
    cancel(client, auth, shipment["id"])
    assert summary(client, renewed) == ("overpaid", 8000, 10000, 0, None)
    assert events(db, renewed)[-1][0] == "payment_request.paid"
    assert texts(db, renewed)[-1].endswith("đã nộp đủ. Tiền thừa 2.000 ₫ sẽ được hoàn trả.")


def test_a_request_still_short_after_the_withdrawal_is_paid_later_for_its_fees_not_the_withdrawn_postage(
        client, auth, db, test_settings):
    renewed, shipment = part_paid_renewal(client, auth, db, test_settings, 5000)
    cancel(client, auth, shipment["id"])
    assert summary(client, renewed)[:4] == ("partially_paid", 8000, 5000, 3000)
    credit(db, test_settings, renewed, 3000, "REST-3000")
    assert texts(db, renewed)[-1] == ("TT Phục vụ HCC: Hồ sơ 000.00.12.H40-261125-0901 đã nộp đủ 8.000 ₫, có biên lai "
                                      "điện tử.")


def test_a_postage_request_left_asking_nothing_is_not_announced_paid(client, auth, db, test_settings, subscribed):
    """Part paid, its postage withdrawn: it asks for nothing and all it got is to give back, no fee paid."""
    shipment = delivery(client, auth, db, test_settings)
    postage = shipment["postage_payment_code"]
    credit(db, test_settings, postage, 10000, "PART-1")
    cancel(client, auth, shipment["id"])
    assert summary(client, postage) == ("overpaid", 0, 10000, 0, None)
    assert [kind for kind, _ in events(db, postage)][-1] == "payment_request.status_changed"
    assert [t for t in texts(db, postage) if "nộp đủ" in t] == []


# --- 3. the pay page of a request with a withdrawn item --------------------------------------------

def cells(page: str) -> list[tuple[str, str]]:
    """(name, amount) of each row of the pay page's items, tags kept in the amount."""
    return [(re.sub(r"\s+", " ", name).strip(), amount.strip())
            for name, amount in re.findall(r"<tr><td>(.*?)</td><td>.*?</td><td class=\"num\">(.*?)</td></tr>", page)]


def due(page: str) -> str:
    return re.search(r'<dd id="amount"[^>]*>(.*?)</dd>', page).group(1)


def test_the_pay_page_of_a_postage_request_cancelled_with_its_shipment_strikes_the_item_and_asks_0_vnd(
        client, auth, db, test_settings):
    shipment = delivery(client, auth, db, test_settings)
    cancel(client, auth, shipment["id"])
    page = client.get(f"/pay/{shipment['postage_payment_code']}").get_data(as_text=True)
    [(name, amount)] = cells(page)
    assert "(không còn thu)" in name
    assert amount == "<del>22.000 ₫</del> 0 ₫"
    assert due(page) == "0 ₫"


def test_the_pay_page_of_a_renewal_cancelled_with_its_shipment_asks_for_the_fee_alone(
        client, auth, db, test_settings):
    code, shipment = fee_and_postage_lapsed(client, auth, db, test_settings)
    renewed = client.post(f"/api/v1/dossiers/{code}/payment-requests", headers=auth("intake")).json["payment_code"]
    cancel(client, auth, shipment["id"])
    page = client.get(f"/pay/{renewed}").get_data(as_text=True)
    assert [amount for _, amount in cells(page)] == ["8.000 ₫", "<del>22.000 ₫</del> 0 ₫"]
    assert due(page) == "8.000 ₫"


def test_the_pay_page_of_paid_postage_withdrawn_strikes_it_too(client, auth, db, test_settings):
    shipment = delivery(client, auth, db, test_settings)
    postage = shipment["postage_payment_code"]
    credit(db, test_settings, postage, 22000, "POSTAGE-1")
    cancel(client, auth, shipment["id"])
    page = client.get(f"/pay/{postage}").get_data(as_text=True)
    assert [amount for _, amount in cells(page)] == ["<del>22.000 ₫</del> 0 ₫"] and due(page) == "0 ₫"
