"""What the citizen is told when a delivery is cancelled (the courier's 17 before it went out, 18, or staff's).

- The citizen's SMS said "contact the centre": the result stays at the centre, so it says to collect it there.
- A cash-on-delivery citizen was not told that the fee is payable again (its request has a deadline again):
  the SMS names the amount, the payment code and the deadline.
- A cancellation whose postage was asked together with the fee (a renewal) renews the fee alone under a new
  payment code: the citizen is texted the new code and the amount (money sent to the old code waits in
  suspense)."""
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from kernel.clock import format_local, now_utc
from kernel.notify import SMS_TOPIC
from kernel.outbox import OutboxMessage
from payments.models import Dossier, PaymentRequest
from tests.api.test_postal_fix_returned_while_out import sms_texts
from tests.api.test_postal_round2 import cancel, fee_and_postage_lapsed
from tests.api.test_postal_round3 import cod_app, cod_delivery, event, shipment, webhook  # noqa: F401
from tests.postal_factories import make_booked_shipment

def test_the_courier_cancelled_delivery_sms_says_to_collect_the_result_at_the_centre(client, auth, db, test_settings):
    shipment_id = make_booked_shipment(db, test_settings, "D-SMS18", direction="delivery")
    assert webhook(client, test_settings, event(shipment_id, "M-18", 18, now_utc())).json["outcome"] == "applied"
    assert sms_texts(db)[-1] == ("TT Phục vụ HCC: Bưu điện đã hủy đơn chuyển phát kết quả hồ sơ D-SMS18. "
                                 "Vui lòng nhận kết quả tại Trung tâm Phục vụ HCC.")


def fee_request(db) -> PaymentRequest:
    with db() as s:
        [fee] = [r for r in s.execute(select(PaymentRequest).order_by(PaymentRequest.id)).scalars()
                 if r.status == "pending"]
        return fee


@pytest.mark.parametrize("code", [17, 18])
def test_a_cod_delivery_the_courier_cancels_says_the_fee_is_payable_again(cod_app, auth, db, code):  # noqa: F811
    app, settings = cod_app
    client, shipment_id = cod_delivery(app, auth, db, settings, code=f"D-COD{code}")
    r = webhook(client, settings, event(shipment_id, f"C-{code}", code, now_utc() - timedelta(minutes=5)))
    assert r.json["outcome"] == "applied" and shipment(client, auth, shipment_id)["status"] == "cancelled"
    fee = fee_request(db)
    assert fee.amount_vnd == 8000 and fee.expires_at is not None  # released: a deadline again
    assert sms_texts(db)[-1] == (
        f"TT Phục vụ HCC: Bưu điện đã hủy đơn chuyển phát kết quả hồ sơ D-COD{code}. Vui lòng nộp 8.000 ₫ "
        f"(mã {fee.payment_code}) trước {format_local(fee.expires_at)} và nhận kết quả tại Trung tâm Phục vụ HCC.")


def test_a_cod_delivery_staff_cancel_tells_the_citizen_the_fee_is_payable_again(cod_app, auth, db):  # noqa: F811
    app, settings = cod_app
    client, shipment_id = cod_delivery(app, auth, db, settings, code="D-CODX")
    cancel(client, auth, shipment_id)
    fee = fee_request(db)
    assert sms_texts(db)[-1] == (
        f"TT Phục vụ HCC: Đơn chuyển phát kết quả hồ sơ D-CODX đã được hủy. Vui lòng nộp 8.000 ₫ "
        f"(mã {fee.payment_code}) trước {format_local(fee.expires_at)}.")


def sms_sent(db) -> list[tuple[str, str]]:
    with db() as s:
        return [(m.payload["to"], m.payload["text"]) for m in s.execute(select(OutboxMessage).where(
            OutboxMessage.topic == SMS_TOPIC).order_by(OutboxMessage.id)).scalars()]


def test_a_cancellation_that_renews_the_fee_alone_names_its_new_code_in_its_one_text(client, auth, db, test_settings):
    """The applicant is the shipment's contact: one SMS for the event, not the cancellation's and a second one."""
    code, created = fee_and_postage_lapsed(client, auth, db, test_settings)
    renewed = client.post(f"/api/v1/dossiers/{code}/payment-requests", headers=auth("intake")).json
    before = len(sms_sent(db))
    cancel(client, auth, created["id"])  # a staff cancellation with nothing paid: texted for the new code only
    fee = fee_request(db)
    assert fee.payment_code != renewed["payment_code"] and fee.amount_vnd == 8000
    assert [text for _, text in sms_sent(db)[before:]] == [
        f"TT Phục vụ HCC: Yêu cầu thu gom hồ sơ {code} đã được hủy. Vui lòng nộp 8.000 ₫ (mã mới {fee.payment_code} "
        f"thay mã {renewed['payment_code']}) trước {format_local(fee.expires_at)}."]


def test_the_applicant_is_texted_the_renewal_when_the_shipment_has_another_phone(client, auth, db, test_settings):
    code, created = fee_and_postage_lapsed(client, auth, db, test_settings)
    with db() as s, s.begin():
        s.execute(update(Dossier).where(Dossier.code == code).values(applicant_phone="0987654321"))
    renewed = client.post(f"/api/v1/dossiers/{code}/payment-requests", headers=auth("intake")).json
    before = len(sms_sent(db))
    cancel(client, auth, created["id"])
    fee = fee_request(db)
    sent = sms_sent(db)[before:]
    assert [phone for phone, _ in sent] == [created["recipient"]["phone"], "0987654321"]
    assert sent[1][1] == (
        f"TT Phục vụ HCC: Hồ sơ {code} có mã thanh toán mới {fee.payment_code} thay mã {renewed['payment_code']}. "
        f"Vui lòng nộp 8.000 ₫ (mã {fee.payment_code}) trước {format_local(fee.expires_at)}.")


def test_a_part_paid_fee_is_named_with_what_it_still_owes_and_its_local_deadline(cod_app, auth, db):  # noqa: F811
    from payments.credits import IncomingCredit, record_credits
    from payments.ledger import Accounts
    from kernel.db import unit_of_work

    app, settings = cod_app
    client, shipment_id = cod_delivery(app, auth, db, settings, code="D-CODP")
    with db() as s:
        [code] = s.execute(select(PaymentRequest.payment_code).where(PaymentRequest.amount_vnd == 8000)).scalars()
    with unit_of_work(db) as s:  # 3.000 of the 8.000 paid at the counter while the order was out
        record_credits(s, [IncomingCredit(provider="bank", provider_ref="PART-1", channel="vietqr_transfer",
                                          amount_vnd=3000, booked_at=now_utc(), payment_code=code,
                                          clearing_account=Accounts.bank("970436", "0071001234567"))],
                       settings=settings, actor="test", now=now_utc())
    r = webhook(client, settings, event(shipment_id, "P-18", 18, now_utc() - timedelta(minutes=5)))
    assert r.json["outcome"] == "applied"
    with db() as s:
        fee = s.execute(select(PaymentRequest).where(PaymentRequest.payment_code == code)).scalar_one()
        assert fee.outstanding_vnd == 5000 and fee.expires_at is not None
    local = fee.expires_at.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%d/%m/%Y %H:%M")
    assert sms_texts(db)[-1] == (
        "TT Phục vụ HCC: Bưu điện đã hủy đơn chuyển phát kết quả hồ sơ D-CODP. Vui lòng nộp 5.000 ₫ "
        f"(mã {code}) trước {local} và nhận kết quả tại Trung tâm Phục vụ HCC.")
