"""VNPost 17 ("Đã chuyển hoàn cho người gửi") while a result is out for delivery: the post has it back
without reporting a failed attempt first (a refusal at the door it did not send, a return it approved,
15–16). The result is back: the shipment is returned to the agency with what that does everywhere (the
citizen's SMS, the history, a COD order's requests released for the counter or online)."""
from datetime import timedelta

from sqlalchemy import select

from kernel.clock import now_utc
from kernel.notify import SMS_TOPIC
from kernel.outbox import OutboxMessage
from payments.models import PaymentRequest
from tests.api.test_postal_round3 import cod_app, cod_delivery, event, requests_of, shipment, webhook  # noqa: F401


def sms_texts(db) -> list[str]:
    with db() as s:
        return [m.payload["text"] for m in s.execute(select(OutboxMessage).where(
            OutboxMessage.topic == SMS_TOPIC).order_by(OutboxMessage.id)).scalars()]


def test_a_result_returned_while_out_for_delivery_is_back_at_the_agency(cod_app, auth, db):  # noqa: F811
    app, settings = cod_app
    client, shipment_id = cod_delivery(app, auth, db, settings)
    at = now_utc() - timedelta(hours=2)
    assert webhook(client, settings, event(shipment_id, "R-9", 9, at)).json["outcome"] == "applied"
    returned = webhook(client, settings, event(shipment_id, "R-17", 17, at + timedelta(hours=1)))
    assert returned.status_code == 200 and returned.json["outcome"] == "applied", returned.json
    seen = shipment(client, auth, shipment_id)
    assert seen["status"] == "returned_to_agency"
    [row] = [e for e in seen["events"] if e["event"] == "courier:17"]
    assert (row["applied"], row["from_status"], row["to_status"]) == (True, "out_for_delivery", "returned_to_agency")
    told = sms_texts(db)[-1]
    assert "đã trả về cơ quan giải quyết" in told
    with db() as s:  # the postman no longer collects: the fees may be paid at the counter or online again
        held = [(r.status, r.expires_at is not None) for r in
                s.execute(select(PaymentRequest).order_by(PaymentRequest.id)).scalars()]
        codes = [r.payment_code for r in s.execute(select(PaymentRequest).order_by(PaymentRequest.id)).scalars()]
    assert held == [("pending", True), ("pending", True)]
    assert "Vui lòng nộp" in told and all(code in told for code in codes), told  # what to pay now, and how
    # money reported collected afterwards is for a result that was not delivered: recorded, not credited
    assert webhook(client, settings, event(shipment_id, "R-21", 21, now_utc())).json["outcome"] == "recorded"
    assert [paid for _, _, paid in requests_of(db)] == [0, 0]
