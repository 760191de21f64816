"""What the citizen is told when a delivery is cancelled (the courier's 17 before it went out, 18, or staff's).

- The citizen's SMS said "contact the centre": the result stays at the centre, so it says to collect it there.
- A cash-on-delivery citizen was not told that the fee is payable again (its request has a deadline again):
  the SMS names the amount, the payment code and the deadline.
- A cancellation whose postage was asked together with the fee (a renewal) renews the fee alone under a new
  payment code: the citizen is texted the new code and the amount (money sent to the old code waits in
  suspense)."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from kernel.clock import format_local, now_utc
from payments.models import PaymentRequest
from tests.api.test_postal_fix_returned_while_out import sms_texts
from tests.api.test_postal_round2 import cancel, fee_and_postage_lapsed
from tests.api.test_postal_round3 import cod_app, cod_delivery, event, shipment, webhook  # noqa: F401
from tests.postal_factories import make_booked_shipment

SMS_MAX = 201  # three UCS-2 segments (docs/decisions.md, "COD in the SMS")


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


def test_the_cancellation_texts_fit_three_segments_with_a_long_dossier_code_and_amounts():
    from datetime import datetime, timezone

    from postal import messages, states

    due = datetime(2026, 12, 31, 16, 59, tzinfo=timezone.utc)
    payable = [("HS12345678978", 500_000_000, due)]
    for direction in states.DIRECTIONS:
        for reason in (states.COURIER_CANCELLED, "Đổi ý"):
            text = messages.sms_text(states.CANCELLED, direction=direction, dossier_code="D" * 25, reason=reason,
                                     payable=payable)
            assert len(text) <= SMS_MAX, (len(text), text)


def test_a_cancellation_that_renews_the_fee_alone_texts_its_new_code_and_amount(client, auth, db, test_settings):
    code, created = fee_and_postage_lapsed(client, auth, db, test_settings)
    renewed = client.post(f"/api/v1/dossiers/{code}/payment-requests", headers=auth("intake")).json
    before = len(sms_texts(db))
    cancel(client, auth, created["id"])  # a staff cancellation with nothing paid: no shipment SMS
    fee = fee_request(db)
    assert fee.payment_code != renewed["payment_code"] and fee.amount_vnd == 8000
    assert sms_texts(db)[before:] == [
        f"TT Phục vụ HCC: Hồ sơ {code} có mã thanh toán mới {fee.payment_code} thay mã {renewed['payment_code']}. "
        f"Vui lòng nộp 8.000 ₫ (mã {fee.payment_code}) trước {format_local(fee.expires_at)}."]


def test_the_renewal_text_fits_three_segments_with_a_long_dossier_code_and_amount():
    from datetime import datetime, timezone

    from payments.notifications import renewed_text

    text = renewed_text("D" * 25, "HS12345678978", "HS98765432101", 500_000_000,
                        datetime(2026, 12, 31, 16, 59, tzinfo=timezone.utc))
    assert len(text) <= SMS_MAX, (len(text), text)
