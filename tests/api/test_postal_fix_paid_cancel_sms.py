"""A cancelled delivery (or pickup) whose postage was paid tells the citizen that the postage comes back, and
how much: the refund's own SMS comes only when finance pays it out, maybe days later, and a staff cancellation
sent none at all (the citizen asked for it), so the money taken back from revenue went unexplained meanwhile."""
from kernel.clock import now_utc
from kernel.db import unit_of_work
from payments.credits import IncomingCredit, record_credits
from payments.ledger import Accounts
from postal.service import dispatch_paid_deliveries
from tests.api.test_postal_fix_returned_while_out import sms_texts
from tests.api.test_postal_round2 import cancel, post_shipment
from tests.api.test_postal_round3 import event, webhook
from tests.postal_factories import make_dossier, mark_booked, pay_everything, shipment_body

REFUND = "Trung tâm sẽ hoàn trả 22.000 ₫ tiền cước bưu chính đã nộp."


def paid_delivery(client, auth, db, settings, code="D-17", booked=True) -> dict:
    """A prepaid delivery whose fee (8.000) and postage (22.000) were paid, booked with the courier (unless
    `booked` is False: ordered, the booking reply not in yet)."""
    make_dossier(db, settings, code=code)
    created = post_shipment(client, auth, shipment_body(dossier_code=code, direction="delivery")).json
    pay_everything(db, settings, code)
    with unit_of_work(db) as s:
        assert dispatch_paid_deliveries(s, settings=settings, now=now_utc()) == 1
    if booked:
        mark_booked(db, created["id"])
    return created


def test_a_paid_delivery_staff_cancel_tells_the_citizen_the_postage_comes_back(client, auth, db, test_settings):
    created = paid_delivery(client, auth, db, test_settings, code="D-17C")
    cancel(client, auth, created["id"])
    assert sms_texts(db)[-1] == f"TT Phục vụ HCC: Đơn chuyển phát kết quả hồ sơ D-17C đã được hủy. {REFUND}"


def test_a_paid_delivery_the_courier_cancels_tells_the_citizen_the_postage_comes_back(
        client, auth, db, test_settings):
    created = paid_delivery(client, auth, db, test_settings, code="D-18")
    assert webhook(client, test_settings, event(created["id"], "C-18", 18, now_utc())).json["outcome"] == "applied"
    assert sms_texts(db)[-1] == ("TT Phục vụ HCC: Bưu điện đã hủy đơn chuyển phát kết quả hồ sơ D-18. "
                                 f"Vui lòng nhận kết quả tại Trung tâm Phục vụ HCC. {REFUND}")


def test_a_pickup_whose_postage_was_part_paid_names_what_comes_back(client, auth, db, test_settings):
    make_dossier(db, test_settings, code="D-PART")
    created = post_shipment(client, auth, shipment_body(dossier_code="D-PART")).json  # a pickup, booked at once
    with unit_of_work(db) as s:  # 10.000 of the postage's 22.000
        record_credits(s, [IncomingCredit(
            provider="bank", provider_ref="PART-1", channel="vietqr_transfer", amount_vnd=10_000, booked_at=now_utc(),
            clearing_account=Accounts.bank("970436", "0071001234567"), payment_code=created["postage_payment_code"])],
            settings=test_settings, actor="test", now=now_utc())
    cancel(client, auth, created["id"])
    assert sms_texts(db)[-1] == ("TT Phục vụ HCC: Yêu cầu thu gom hồ sơ D-PART đã được hủy. "
                                 "Trung tâm sẽ hoàn trả 10.000 ₫ tiền cước bưu chính đã nộp.")


def test_an_unpaid_delivery_staff_cancel_sends_no_sms(client, auth, db, test_settings):
    make_dossier(db, test_settings, code="D-17U")
    created = post_shipment(client, auth, shipment_body(dossier_code="D-17U", direction="delivery")).json
    before = sms_texts(db)
    cancel(client, auth, created["id"])
    assert sms_texts(db) == before  # asked for at the counter: nothing to refund, nothing to tell


def test_the_refund_texts_fit_three_segments_with_a_long_dossier_code_and_amount():
    from postal import messages, states

    longest = dict(dossier_code="000.00.12.H40-261125-0901", refund_vnd=500_000_000)
    for direction in states.DIRECTIONS:
        for reason in (None, "Đổi địa chỉ", states.COURIER_CANCELLED, states.TWO_FAILED_ATTEMPTS):
            text = messages.sms_text(states.CANCELLED, direction=direction, reason=reason, **longest)
            if reason == states.TWO_FAILED_ATTEMPTS and direction == states.DELIVERY:
                continue  # a delivery failing twice is returned, not cancelled
            assert text.endswith("500.000.000 ₫ tiền cước bưu chính đã nộp.") and len(text) <= 201, (len(text), text)
    # nothing paid: a staff cancellation (the citizen asked at the counter) is not texted
    assert messages.sms_text(states.CANCELLED, direction=states.DELIVERY, dossier_code="HS-1", reason="x") is None
