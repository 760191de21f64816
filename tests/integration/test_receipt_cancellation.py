"""A receipt stands while its money does: cancelled when the money goes back, a new one when paid again."""
import io

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from kernel.clock import now_utc
from kernel.outbox import OutboxMessage
from payments.receipts import Receipt, verification_code
from tests.api.test_refunds import paid, refund
from tests.factories import make_request, send_callback, signed

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def receipts(db) -> list[Receipt]:
    with db() as s:
        return s.execute(select(Receipt).order_by(Receipt.id)).scalars().all()


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def pos(client, settings, code, **fields):
    headers, body = signed(settings, "HCCPAY_POS_WEBHOOK_SECRET", {
        "terminal_id": "T1", "amount_vnd": 100_000, "payment_code": code, "card_masked": "970436******1234",
        "occurred_at": now_utc().isoformat(), **fields})
    assert client.post("/api/v1/callbacks/pos", data=body, headers=headers).status_code == 200


def verify(client, settings, receipt, **kwargs):
    return client.get(f"/api/v1/receipts/{receipt.series}/{receipt.number_text}",
                      query_string={"code": verification_code(settings, receipt)}, **kwargs)


def citizen_sms(db) -> list[OutboxMessage]:
    with db() as s:
        return s.execute(select(OutboxMessage).where(OutboxMessage.topic == "sms").order_by(OutboxMessage.id)
                         ).scalars().all()


def test_a_voided_card_payment_cancels_its_receipt_and_paying_again_issues_a_new_one(client, auth, test_settings,
                                                                                      db):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    pos(client, test_settings, code, transaction_id="S9", type="sale")
    pos(client, test_settings, code, transaction_id="V9", type="void", original_transaction_id="S9")
    assert client.get(f"/api/v1/payment-requests/{code}").json["status"] == "pending"

    [first] = receipts(db)
    assert (first.cancel_reason, first.cancelled_at is not None) == ("payment_reversed", True)
    assert first.cancelled_by  # who: the flow that applied the void
    answer = verify(client, test_settings, first).json
    assert answer["valid"] is False and answer["cancel_reason"] == "payment_reversed" and answer["cancelled_at"]
    page = verify(client, test_settings, first, headers=BROWSER).get_data(as_text=True)
    assert "Biên lai đã hủy" in page and "không còn giá trị" in page and "Biên lai hợp lệ" not in page
    stamped = client.get(f"/api/v1/payment-requests/{code}/receipt.pdf")
    assert stamped.status_code == 200 and "da-huy" in stamped.headers["Content-Disposition"]
    assert "BIÊN LAI ĐÃ HỦY" in pdf_text(stamped.data) and "Thẻ (POS)" in pdf_text(stamped.data)
    # the pay page does not offer a cancelled receipt as proof of payment while money is owed again
    assert client.get(f"/pay/{code}/receipt.pdf").status_code == 404

    send_callback(client, test_settings, "bank", code=code, amount=100_000)
    old, new = receipts(db)
    assert (old.number, old.cancel_reason) == (first.number, "payment_reversed")
    assert new.number == first.number + 1 and new.cancelled_at is None and new.amount_vnd == 100_000
    assert verify(client, test_settings, new).json["valid"] is True
    assert verify(client, test_settings, old).json["valid"] is False
    text = pdf_text(client.get(f"/api/v1/payment-requests/{code}/receipt.pdf").data)
    assert new.number_text in text and "ĐÃ HỦY" not in text
    assert "Chuyển khoản (VietQR)" in text and "Thẻ (POS)" not in text

    paid_sms = [m for m in citizen_sms(db) if "có biên lai điện tử" in m.payload["text"]]
    assert len(paid_sms) == 2 and len({m.key for m in paid_sms}) == 2  # the second payment is announced too


def test_a_partial_payment_again_after_a_void_is_announced_again(client, auth, test_settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 200_000))
    pos(client, test_settings, code, transaction_id="S1", type="sale")
    pos(client, test_settings, code, transaction_id="V1", type="void", original_transaction_id="S1")
    pos(client, test_settings, code, transaction_id="S2", type="sale")
    partial = [m for m in citizen_sms(db) if "Đã nhận 100.000" in m.payload["text"]]
    assert len(partial) == 2 and len({m.key for m in partial}) == 2
    assert receipts(db) == []


def test_a_full_refund_cancels_the_receipt_once_its_money_is_paid_out(client, auth, test_settings, db):
    code, payment_id = paid(client, auth, test_settings, amount=150_000)
    r = refund(client, auth, payment_id, 150_000, 150_000)
    [receipt] = receipts(db)
    assert receipt.cancelled_at is None  # approved only: the transfer may still bounce
    page = verify(client, test_settings, receipt, headers=BROWSER).get_data(as_text=True)
    assert "đang được hoàn trả" in page
    done = client.post(f"/api/v1/refunds/{r.json['id']}/executed", json={"bank_reference": "FT26330009"},
                       headers=auth("finance"))
    assert done.status_code == 200
    [receipt] = receipts(db)
    assert receipt.cancel_reason == "refunded" and receipt.cancelled_by
    assert verify(client, test_settings, receipt).json["valid"] is False
    page = verify(client, test_settings, receipt, headers=BROWSER).get_data(as_text=True)
    assert "Biên lai đã hủy (đã hoàn tiền)" in page and "hoàn trả toàn bộ" in page
    # a refunded request keeps its receipt retrievable, stamped cancelled
    for address in (f"/pay/{code}/receipt.pdf", f"/api/v1/payment-requests/{code}/receipt.pdf"):
        answer = client.get(address)
        assert answer.status_code == 200 and "-da-huy.pdf" in answer.headers["Content-Disposition"]
        assert "BIÊN LAI ĐÃ HỦY" in pdf_text(answer.data)


def test_a_partial_or_bounced_refund_leaves_the_receipt_standing(client, auth, test_settings, db):
    code, payment_id = paid(client, auth, test_settings)
    partial = refund(client, auth, payment_id, 40_000, 100_000).json
    client.post(f"/api/v1/refunds/{partial['id']}/executed", json={"bank_reference": "FT1"}, headers=auth("finance"))
    bounced = refund(client, auth, payment_id, 60_000, 60_000).json
    client.post(f"/api/v1/refunds/{bounced['id']}/failed", json={"reason": "Sai số tài khoản"},
                headers=auth("finance"))
    [receipt] = receipts(db)
    assert receipt.cancelled_at is None and verify(client, test_settings, receipt).json["valid"] is True


def test_a_receipt_stands_while_part_of_a_refund_in_full_is_still_to_be_paid_out(client, auth, test_settings, db):
    code, payment_id = paid(client, auth, test_settings)
    first = refund(client, auth, payment_id, 40_000, 100_000).json
    second = refund(client, auth, payment_id, 60_000, 60_000).json  # together: all of it
    client.post(f"/api/v1/refunds/{first['id']}/executed", json={"bank_reference": "FT1"}, headers=auth("finance"))
    [receipt] = receipts(db)
    assert receipt.cancelled_at is None  # 60.000 has not left yet
    client.post(f"/api/v1/refunds/{second['id']}/failed", json={"reason": "Sai số tài khoản"}, headers=auth("finance"))
    [receipt] = receipts(db)
    assert receipt.cancelled_at is None and verify(client, test_settings, receipt).json["valid"] is True
    third = refund(client, auth, payment_id, 60_000, 60_000).json
    client.post(f"/api/v1/refunds/{third['id']}/executed", json={"bank_reference": "FT3"}, headers=auth("finance"))
    [receipt] = receipts(db)
    assert receipt.cancel_reason == "refunded"  # now all of it is back with the payer


def test_the_refund_statuses_awaiting_payout_are_those_of_payments_refunds():
    from payments import refunds
    from payments.notifications import AWAITING_PAYOUT

    assert set(AWAITING_PAYOUT) == {refunds.AWAITING_APPROVAL, refunds.SENDING, refunds.TRANSFER_ORDERED,
                                    refunds.CASH_DUE}


def test_a_request_has_at_most_one_valid_receipt(db, client, auth, test_settings):
    from sqlalchemy.exc import IntegrityError

    code = make_request(client, auth)
    send_callback(client, test_settings, "bank", code=code, amount=100_000)
    [receipt] = receipts(db)
    with pytest.raises(IntegrityError):
        with db() as s, s.begin():
            s.add(Receipt(payment_request_id=receipt.payment_request_id, form_symbol="X", series="X", number=1,
                          amount_vnd=1, issued_at=now_utc()))
