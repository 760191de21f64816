"""Postal, second QA round: postage after a cancellation, cancelled dossiers, courier webhooks that
name the wrong shipment, loose ends after a courier cancellation, late and early courier events."""
import json
import time
from datetime import datetime, timedelta, timezone
from datetime import time as clock_time

from sqlalchemy import select

from kernel.clock import VN_TZ, now_utc
from kernel.db import unit_of_work
from kernel.inbox import InboundCallback
from kernel.outbox import OutboxMessage
from kernel.signing import HEADER, sign
from payments.models import Dossier, FeeItem, PaymentRequest
from payments.service import cancel_payment_request, dossier_fees_settled, renew_payment_request
from postal.models import Route, Shipment
from postal.service import dispatch_paid_deliveries
from tests.postal_factories import make_dossier, pay_everything, shipment_body


def post_shipment(client, auth, body, role="intake"):
    return client.post("/api/v1/postal/shipments", json=body, headers=auth(role))


def request_for(db, payment_code):
    with db() as s:
        request = s.execute(select(PaymentRequest).where(PaymentRequest.payment_code == payment_code)).scalar_one()
        return request.status, request.amount_vnd, sorted(i.amount_vnd for i in request.items)


def cancel(client, auth, shipment_id):
    r = client.post(f"/api/v1/postal/shipments/{shipment_id}/cancel", json={"reason": "Đổi địa chỉ"},
                    headers=auth("intake"))
    assert r.status_code == 200, r.json
    return r


# --- 1. postage after a cancellation; cancelled dossiers --------------------------------------

def test_a_rebooked_delivery_asks_only_for_its_own_postage_never_the_cancelled_one(client, auth, db,
                                                                                 test_settings):
    code = make_dossier(db, test_settings)
    pay_everything(db, test_settings, code)
    first = post_shipment(client, auth, shipment_body(direction="delivery")).json
    cancel(client, auth, first["id"])
    second = post_shipment(client, auth, shipment_body(direction="delivery", weight_grams=600))
    assert second.status_code == 201, second.json
    assert second.json["postage_vnd"] == 26000
    assert request_for(db, second.json["postage_payment_code"]) == ("pending", 26000, [26000])
    assert request_for(db, first["postage_payment_code"])[0] == "cancelled"


def test_a_cancelled_shipments_postage_no_longer_blocks_the_delivery_nor_comes_back_on_renewal(
        client, auth, db, test_settings):
    code = make_dossier(db, test_settings)
    first = post_shipment(client, auth, shipment_body(direction="delivery")).json
    cancel(client, auth, first["id"])
    second = post_shipment(client, auth, shipment_body(direction="delivery", weight_grams=600)).json
    pay_everything(db, test_settings, code)  # the dossier fee (8000) and the new postage (26000) only
    with unit_of_work(db) as s:
        assert dossier_fees_settled(s, code)
        assert dispatch_paid_deliveries(s, settings=test_settings, now=now_utc()) == 1
        withdrawn = s.execute(select(FeeItem).where(FeeItem.amount_vnd == 22000)).scalar_one()
        assert withdrawn.withdrawn_at is not None
    assert request_for(db, second["postage_payment_code"])[0] == "paid"


def test_renewing_the_dossier_fee_after_a_cancelled_shipment_asks_for_the_fee_alone(client, auth, db,
                                                                                     test_settings):
    code = make_dossier(db, test_settings)
    shipment = post_shipment(client, auth, shipment_body()).json
    cancel(client, auth, shipment["id"])
    with unit_of_work(db) as s:
        dossier = s.execute(select(Dossier).where(Dossier.code == code)).scalar_one()
        main = s.execute(select(PaymentRequest).where(PaymentRequest.dossier_id == dossier.id)
                         .order_by(PaymentRequest.id)).scalars().first()
        cancel_payment_request(s, code=main.payment_code, reason="in lại mã", settings=test_settings, actor="t",
                               now=now_utc())
        renewed = renew_payment_request(s, dossier_code=code, settings=test_settings, actor="t", now=now_utc())
        assert renewed.amount_vnd == 8000 and [i.amount_vnd for i in renewed.items] == [8000]


def lapse(db, *codes):
    with unit_of_work(db) as s:
        for payment_code in codes:
            s.execute(PaymentRequest.__table__.update().where(PaymentRequest.payment_code == payment_code)
                      .values(status="expired"))


def fee_and_postage_lapsed(client, auth, db, settings) -> tuple[str, dict]:
    """A dossier whose fee request and shipment's postage request both lapsed unpaid: (its code, the shipment)."""
    code = make_dossier(db, settings)
    shipment = post_shipment(client, auth, shipment_body()).json
    with db() as s:
        [main] = [r.payment_code for r in s.execute(select(PaymentRequest)).scalars()
                  if r.payment_code != shipment["postage_payment_code"]]
    lapse(db, main, shipment["postage_payment_code"])
    return code, shipment


def test_a_cancelled_shipments_postage_renewed_with_the_fee_is_withdrawn_and_the_fee_asked_alone(
        client, auth, db, test_settings):
    code, shipment = fee_and_postage_lapsed(client, auth, db, test_settings)
    renewed = client.post(f"/api/v1/dossiers/{code}/payment-requests", headers=auth("intake")).json
    assert request_for(db, renewed["payment_code"]) == ("pending", 30000, [8000, 22000])
    cancel(client, auth, shipment["id"])
    assert request_for(db, renewed["payment_code"])[0] == "cancelled"  # it asked for the postage too
    dossier = client.get(f"/api/v1/dossiers/{code}", headers=auth("intake")).json
    live = [r for r in dossier["payment_requests"] if r["status"] == "pending"]
    assert [(r["amount_vnd"], r["outstanding_vnd"]) for r in live] == [(8000, 8000)]  # the fee alone, asked again
    with db() as s:
        postage = s.execute(select(FeeItem).where(FeeItem.amount_vnd == 22000)).scalar_one()
        assert postage.withdrawn_at is not None


def test_a_cancelled_shipments_renewed_postage_alone_is_cancelled_and_withdrawn(client, auth, db, test_settings):
    code = make_dossier(db, test_settings)
    pay_everything(db, test_settings, code)
    shipment = post_shipment(client, auth, shipment_body()).json
    lapse(db, shipment["postage_payment_code"])
    renewed = client.post(f"/api/v1/dossiers/{code}/payment-requests", headers=auth("intake")).json
    assert request_for(db, renewed["payment_code"]) == ("pending", 22000, [22000])
    cancel(client, auth, shipment["id"])
    assert request_for(db, renewed["payment_code"])[0] == "cancelled"
    assert client.post(f"/api/v1/dossiers/{code}/payment-requests", headers=auth("intake")).json["code"] == \
        "nothing_to_request"  # never asked for again


def test_a_postage_request_never_bundles_the_dossiers_unrequested_fee(client, auth, db, test_settings):
    code = make_dossier(db, test_settings)
    with unit_of_work(db) as s:
        dossier = s.execute(select(Dossier).where(Dossier.code == code)).scalar_one()
        main = s.execute(select(PaymentRequest).where(PaymentRequest.dossier_id == dossier.id)).scalar_one()
        main.status = "expired"  # the dossier fee is owed but no live request asks for it
    r = post_shipment(client, auth, shipment_body())
    assert r.status_code == 201, r.json
    assert request_for(db, r.json["postage_payment_code"]) == ("pending", 22000, [22000])


def test_no_shipment_is_booked_on_a_dossier_whose_fees_were_cancelled(client, auth, db, test_settings):
    code = make_dossier(db, test_settings)
    with unit_of_work(db) as s:
        dossier = s.execute(select(Dossier).where(Dossier.code == code)).scalar_one()
        main = s.execute(select(PaymentRequest).where(PaymentRequest.dossier_id == dossier.id)).scalar_one()
        cancel_payment_request(s, code=main.payment_code, reason="công dân rút hồ sơ", settings=test_settings,
                               actor="t", now=now_utc())
    for direction in ("pickup", "delivery"):
        r = post_shipment(client, auth, shipment_body(direction=direction))
        assert r.status_code == 409 and r.json["code"] == "dossier_cancelled", r.json
    with db() as s:
        assert s.execute(select(FeeItem).where(FeeItem.kind == "postage")).first() is None


# --- 2. a webhook names one of our shipments, exactly, or none -----------------------------------

def webhook(client, settings, body):
    raw = json.dumps(body).encode()
    signature = sign(settings.secret_values("HCCPAY_COURIER_WEBHOOK_SECRET"), raw, int(time.time()))
    return client.post("/api/v1/callbacks/courier", data=raw,
                       headers={HEADER: signature, "Content-Type": "application/json"})


def booked_pickups(db, test_settings, n):
    from tests.postal_factories import make_booked_shipment
    return [make_booked_shipment(db, test_settings, f"D-{i}") for i in range(n)]


def status_of(client, auth, shipment_id):
    return client.get(f"/api/v1/postal/shipments/{shipment_id}", headers=auth("postal")).json["status"]


def tracking(shipment_id):
    return f"EB0000{shipment_id:04d}VN"  # what mark_booked gives


def cancelled_event(**ids):
    return {"event_id": f"E-{sorted(ids.items())}", "status_code": 18, "occurred_at": now_utc().isoformat(), **ids}


def test_a_foreign_reference_without_a_tracking_number_touches_no_shipment(client, auth, db, test_settings):
    [shipment_id] = booked_pickups(db, test_settings, 1)
    r = webhook(client, test_settings, cancelled_event(reference="VNP-ORDER-777"))
    assert r.status_code == 200 and r.json["outcome"] == "unknown_shipment"
    assert status_of(client, auth, shipment_id) == "booked"


def test_a_reference_too_large_for_an_id_is_an_unknown_shipment_not_a_500(client, auth, db, test_settings):
    [shipment_id] = booked_pickups(db, test_settings, 1)
    r = webhook(client, test_settings, cancelled_event(reference="HCC-" + "9" * 30))
    assert r.status_code == 200 and r.json["outcome"] == "unknown_shipment"
    assert status_of(client, auth, shipment_id) == "booked"


def test_a_tracking_number_and_a_reference_naming_different_shipments_are_refused(client, auth, db,
                                                                                  test_settings):
    a, b = booked_pickups(db, test_settings, 2)
    for ids in ({"tracking_number": tracking(a), "reference": f"HCC-{b}"},
                {"tracking_number": tracking(a), "reference": "VNP-ORDER-777"},
                {"tracking_number": "EB999999999VN", "reference": f"HCC-{b}"}):
        r = webhook(client, test_settings, cancelled_event(**ids))
        assert r.status_code == 409 and r.json["code"] == "shipment_mismatch", (ids, r.json)
    assert (status_of(client, auth, a), status_of(client, auth, b)) == ("booked", "booked")
    with db() as s:
        rows = s.execute(select(InboundCallback.status).where(InboundCallback.provider == "courier")).scalars()
        assert list(rows) == ["rejected"] * 3


def test_a_reference_and_the_tracking_number_of_the_same_shipment_are_applied(client, auth, db, test_settings):
    a, _ = booked_pickups(db, test_settings, 2)
    r = webhook(client, test_settings, cancelled_event(tracking_number=tracking(a), reference=f"HCC-{a}"))
    assert r.status_code == 200 and r.json["outcome"] == "applied"
    assert status_of(client, auth, a) == "cancelled"


# --- 3. every way a shipment ends cancelled has the effects of a cancellation --------------------

def outbox(db, topic):
    with db() as s:
        return [m.payload for m in s.execute(select(OutboxMessage).where(OutboxMessage.topic == topic)
                                             .order_by(OutboxMessage.id)).scalars()]


def postage_withdrawn(db):
    with db() as s:
        return s.execute(select(FeeItem.withdrawn_at).where(FeeItem.kind == "postage")).scalar_one() is not None


def test_a_pickup_failing_twice_is_cancelled_with_its_postage_withdrawn_the_courier_told_and_an_sms(
        client, auth, db, test_settings):
    from postal import service
    [shipment_id] = booked_pickups(db, test_settings, 1)
    with db() as s:
        postage_code = s.get(Shipment, shipment_id).postage_payment_code
    at = now_utc()
    for _ in range(2):
        with unit_of_work(db) as s:
            service.record_outcome(s, shipment_id=shipment_id, event="failed_attempt", reason="not_home",
                                   settings=test_settings, actor="t", now=at)
            retry_day = s.get(Shipment, shipment_id).next_attempt_date  # two working days on (Tết may be between)
        if retry_day is not None:
            at = datetime.combine(retry_day, clock_time(10), VN_TZ).astimezone(timezone.utc)
    assert status_of(client, auth, shipment_id) == "cancelled"
    assert request_for(db, postage_code)[0] != "pending"  # expired by now, or cancelled
    assert postage_withdrawn(db)
    assert outbox(db, "courier.cancel") == [{"shipment_id": shipment_id, "tracking_number": tracking(shipment_id)}]
    texts = [p["text"] for p in outbox(db, "sms")]
    assert texts[-1] == ("TT Phục vụ HCC: Sau 2 lần không nhận được hồ sơ D-0, yêu cầu thu gom đã bị hủy.")


def test_a_pickup_the_courier_cancels_withdraws_the_postage_and_tells_the_citizen(client, auth, db,
                                                                                 test_settings):
    [shipment_id] = booked_pickups(db, test_settings, 1)
    with db() as s:
        postage_code = s.get(Shipment, shipment_id).postage_payment_code
    r = webhook(client, test_settings, cancelled_event(tracking_number=tracking(shipment_id)))
    assert r.status_code == 200 and r.json["outcome"] == "applied"
    assert status_of(client, auth, shipment_id) == "cancelled"
    assert request_for(db, postage_code)[0] == "cancelled" and postage_withdrawn(db)
    assert outbox(db, "courier.cancel") == []  # the courier cancelled it: nothing to tell it
    assert outbox(db, "sms")[-1]["text"] == ("TT Phục vụ HCC: Bưu điện đã hủy yêu cầu thu gom hồ sơ D-0. "
                                             "Vui lòng liên hệ Trung tâm để được hỗ trợ.")


# --- 4. our planning never blocks courier progress; no courier event from the future ------------

def picked_up_event(shipment_id, at, **extra):
    from tests.postal_factories import ID_CHECK
    return {"event_id": f"P-{shipment_id}-{at.isoformat()}", "tracking_number": tracking(shipment_id),
            "status_code": 5, "occurred_at": at.isoformat(), "id_check": ID_CHECK, **extra}


def test_a_pickup_reported_late_still_applies_after_staff_planned_the_shipment(client, auth, db, test_settings):
    from tests.postal_factories import make_route, working_day
    [shipment_id] = booked_pickups(db, test_settings, 1)
    picked_at = now_utc()  # the postman has it; the webhook is slow
    make_route(db, test_settings)
    planned = client.post(f"/api/v1/postal/plan?date={working_day(1).isoformat()}", headers=auth("postal"))
    assert [a["shipment_id"] for a in planned.json["assigned"]] == [shipment_id]
    assert status_of(client, auth, shipment_id) == "scheduled"
    r = webhook(client, test_settings, picked_up_event(shipment_id, picked_at))
    assert r.status_code == 200 and r.json["outcome"] == "applied"
    assert status_of(client, auth, shipment_id) == "picked_up"


def test_after_a_failed_attempt_an_older_courier_event_still_never_moves_the_state(client, auth, db,
                                                                                     test_settings):
    [shipment_id] = booked_pickups(db, test_settings, 1)
    t = now_utc()
    failed = {"event_id": "F-1", "tracking_number": tracking(shipment_id), "status_code": 4,
              "occurred_at": t.isoformat()}
    assert webhook(client, test_settings, failed).json["outcome"] == "applied"
    older = {"event_id": "S-0", "tracking_number": tracking(shipment_id), "status_code": 2,
             "occurred_at": (t - timedelta(minutes=5)).isoformat()}
    assert webhook(client, test_settings, older).json["outcome"] == "recorded"
    assert status_of(client, auth, shipment_id) == "failed_attempt"


def test_a_courier_event_dated_beyond_the_clock_skew_allowance_is_refused(client, auth, db, test_settings):
    [shipment_id] = booked_pickups(db, test_settings, 1)
    r = webhook(client, test_settings, picked_up_event(shipment_id, now_utc() + timedelta(minutes=11)))
    assert r.status_code == 400 and r.json["code"] == "malformed_event"
    assert r.json["details"] == {"field": "occurred_at"}
    r = webhook(client, test_settings, picked_up_event(shipment_id, now_utc() + timedelta(minutes=9)))
    assert r.status_code == 200 and r.json["outcome"] == "applied"  # within the allowance


# --- 5. courier progress reported before our booking reply is applied once the booking lands -----

def test_progress_reported_before_the_booking_reply_is_applied_when_the_booking_confirms(client, auth, db,
                                                                                        test_settings):
    from postal.tracking import apply_tracking, booking_succeeded
    code = make_dossier(db, test_settings)
    shipment_id = post_shipment(client, auth, shipment_body(dossier_code=code)).json["id"]
    event = picked_up_event(shipment_id, now_utc(), tracking_number="EB123456785VN", reference=f"HCC-{shipment_id}")
    r = webhook(client, test_settings, event)
    assert r.json["outcome"] == "recorded" and status_of(client, auth, shipment_id) == "requested"
    with unit_of_work(db) as s:
        booking_succeeded(s, shipment_id=shipment_id, result={"tracking_number": "EB123456785VN"},
                          settings=test_settings, now=now_utc())
    shipment = client.get(f"/api/v1/postal/shipments/{shipment_id}", headers=auth("postal")).json
    assert shipment["status"] == "picked_up"
    late = [e for e in shipment["events"] if e["event"] == "courier:5"]
    assert [(e["applied"], e["from_status"], e["to_status"]) for e in late] == [(True, "booked", "picked_up")]
    with unit_of_work(db) as s:  # a poll sees the same event: nothing more happens
        assert apply_tracking(s, result={"tracking_number": "EB123456785VN", "reference": f"HCC-{shipment_id}",
                                         "events": [event]}, settings=test_settings, now=now_utc()) == {"duplicate": 1}


# --- 6. a result is handed over only against the recipient's ID ---------------------------------

def delivery_out(client, auth, db, test_settings):
    from tests.postal_factories import make_booked_shipment
    shipment_id = make_booked_shipment(db, test_settings, "D-ID", direction="delivery")
    url = f"/api/v1/postal/shipments/{shipment_id}/events"
    assert client.post(url, json={"event": "out_for_delivery"}, headers=auth("postal")).status_code == 200
    return shipment_id, url


def test_an_id_number_that_is_not_ascii_digits_of_a_cccd_length_is_refused(client, auth, db, test_settings):
    shipment_id, url = delivery_out(client, auth, db, test_settings)
    for kind, number in (("cccd", "٠٢٢٠٨٨٠٠١٢٣٤"), ("cccd", "０２２０８８００１２３４"), ("cccd", "022088001"),
                         ("cccd", "0220880012"), ("cccd", "02208800123X"), ("passport", "Ｃ1234567")):
        r = client.post(url, json={"event": "delivered", "id_check": {
            "document_type": kind, "number": number, "holder_name": "Phạm Thu Hà"}}, headers=auth("postal"))
        assert r.status_code == 400 and r.json["code"] == "invalid_id_document", (kind, number, r.json)
        assert r.json["details"] == {"field": "id_check.number"}
    r = client.post(url, json={"event": "delivered", "id_check": {
        "document_type": "cccd", "number": "022088001234", "holder_name": "<b>Someone Else</b>"}},
        headers=auth("postal"))
    assert r.status_code == 400 and r.json["details"] == {"field": "id_check.holder_name"}
    assert status_of(client, auth, shipment_id) == "out_for_delivery"


def test_a_result_is_not_handed_to_someone_whose_id_is_not_the_recipients(client, auth, db, test_settings):
    shipment_id, url = delivery_out(client, auth, db, test_settings)
    for check in ({"document_type": "cccd", "number": "022088009999", "holder_name": "Trần Văn B"},
                  {"document_type": "passport", "number": "C1234567", "holder_name": "Phạm Thu Hà"}):
        r = client.post(url, json={"event": "delivered", "id_check": check}, headers=auth("postal"))
        assert r.status_code == 409 and r.json["code"] == "id_mismatch", r.json
    assert status_of(client, auth, shipment_id) == "out_for_delivery"
    r = client.post(url, json={"event": "delivered", "id_check": {
        "document_type": "cccd", "number": "0220 8800 1234", "holder_name": "Phạm Thu Hà"}}, headers=auth("postal"))
    assert r.status_code == 200 and r.json["status"] == "delivered"
    assert r.json["id_check"] == {"document_type": "cccd", "number_last4": "1234", "holder_name": "Phạm Thu Hà"}


def test_a_courier_delivery_to_someone_else_is_kept_but_not_applied(client, auth, db, test_settings):
    shipment_id, _ = delivery_out(client, auth, db, test_settings)
    r = webhook(client, test_settings, {
        "event_id": "D-wrong", "tracking_number": tracking(shipment_id), "status_code": 10,
        "occurred_at": now_utc().isoformat(),
        "id_check": {"document_type": "cccd", "number": "022088009999", "holder_name": "Trần Văn B"}})
    assert r.status_code == 200 and r.json["outcome"] == "recorded"
    assert status_of(client, auth, shipment_id) == "out_for_delivery"


# --- 7. a delivery's deadline counts from the day it is handed to the post ----------------------

def test_a_delivery_paid_and_booked_days_later_gets_its_deadline_from_the_booking_day(db, test_settings):
    from kernel.clock import add_working_days, business_date
    from postal.service import create_shipment
    from postal.tracking import booking_succeeded
    from postal.validation import parse_shipment
    settings = test_settings.with_overrides(request_ttl=timedelta(days=30))  # still payable a week later
    code = make_dossier(db, settings)
    then = now_utc() - timedelta(days=7)  # asked for a week ago, paid today
    asked = business_date(then)
    with unit_of_work(db) as s:
        data = parse_shipment(shipment_body(direction="delivery"), now=then, holidays=settings.holidays)
        shipment, _ = create_shipment(s, data=data, settings=settings, actor="t", now=then)
        shipment_id = shipment.id
        assert shipment.due_date == add_working_days(asked, 1, settings.holidays)
    pay_everything(db, settings, code)
    now = now_utc()
    with unit_of_work(db) as s:
        assert dispatch_paid_deliveries(s, settings=settings, now=now) == 1
        order = s.execute(select(OutboxMessage).where(OutboxMessage.topic == "courier.book")).scalar_one()
        assert order.payload["order"]["due_date"] == add_working_days(business_date(now), 1,
                                                                      settings.holidays).isoformat()
    with unit_of_work(db) as s:
        booking_succeeded(s, shipment_id=shipment_id, result={"tracking_number": "EB000000001VN"},
                          settings=settings, now=now)
        shipment = s.get(Shipment, shipment_id)
        due = add_working_days(business_date(now), 1, settings.holidays)
        assert (shipment.j_date, shipment.due_date) == (business_date(now), due)
    assert outbox(db, "sms")[-1]["text"].endswith(f"Hạn hoàn thành: {due:%d/%m/%Y}. Bưu tá sẽ gọi trước khi đến.")


# --- 8. planning: no round that has left; a missed day is planned again ------------------------

def test_planning_today_in_the_afternoon_never_fills_the_mornings_round(db, test_settings):
    from datetime import datetime, timezone

    from postal import scheduling
    from tests.postal_factories import make_route, working_day
    [shipment_id] = booked_pickups(db, test_settings, 1)
    make_route(db, test_settings)
    day = working_day(1)
    at_10 = datetime(day.year, day.month, day.day, 3, 0, tzinfo=timezone.utc)  # 10:00 in Hà Nội
    with unit_of_work(db) as s:
        report = scheduling.plan_day(s, day=day, settings=test_settings, actor="t", now=at_10)
    assert [(a["shipment_id"], a["slot"]) for a in report["assigned"]] == [(shipment_id, "afternoon")]


def at_six(day):
    from datetime import datetime, time

    from kernel.clock import VN_TZ
    return datetime.combine(day, time(6), VN_TZ)


def test_a_shipment_planned_for_a_day_that_passed_without_an_outcome_is_waiting_and_planned_again(
        client, auth, db, test_settings):
    from kernel.clock import add_working_days
    from postal import scheduling
    from tests.postal_factories import make_route, working_day
    [shipment_id] = booked_pickups(db, test_settings, 1)
    make_route(db, test_settings)
    day = working_day(0)
    with unit_of_work(db) as s:
        planned = scheduling.plan_day(s, day=day, settings=test_settings, actor="t", now=at_six(day))
    assert [a["shipment_id"] for a in planned["assigned"]] == [shipment_id]
    following = add_working_days(day + timedelta(days=1), 0, test_settings.holidays)
    with unit_of_work(db) as s:
        assert scheduling.board_queues(s, today=day, limit=200).waiting.shipments == []
        assert [w.id for w in scheduling.board_queues(s, today=following, limit=200).waiting.shipments] == [shipment_id]
    with unit_of_work(db) as s:  # the next morning: nobody reported anything for `day`
        report = scheduling.plan_day(s, day=following, settings=test_settings, actor="t", now=at_six(following))
    assert [a["shipment_id"] for a in report["assigned"]] == [shipment_id]
    shipment = client.get(f"/api/v1/postal/shipments/{shipment_id}", headers=auth("postal")).json
    assert shipment["status"] == "scheduled" and shipment["plan"]["date"] == following.isoformat()


# --- 9. the handover record lists only what actually changed hands -----------------------------

def test_the_handover_record_lists_only_dossiers_the_post_actually_collected(client, auth, db, test_settings):
    import io

    from pypdf import PdfReader

    from tests.postal_factories import ID_CHECK, make_route, working_day
    collected, never = booked_pickups(db, test_settings, 2)
    make_route(db, test_settings, morning=2)
    day = working_day(1)
    assert len(client.post(f"/api/v1/postal/plan?date={day}", headers=auth("postal")).json["assigned"]) == 2
    r = client.post(f"/api/v1/postal/shipments/{collected}/events", json={"event": "picked_up", "id_check": ID_CHECK},
                    headers=auth("postal"))
    assert r.status_code == 200, r.json
    from kernel.clock import business_date
    picked_up_on = business_date(now_utc())  # the record is of the day the dossier changed hands
    pdf = client.get(f"/api/v1/postal/handovers/{picked_up_on}.pdf?route=HL1", headers=auth("postal"))
    assert pdf.status_code == 200
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    assert "D-0" in text and "D-1" not in text
    assert "giao cho Trung tâm: 1 hồ sơ" in text


# --- 10. route codes are plain ----------------------------------------------------------------

def test_a_route_code_is_capital_letters_digits_dash_or_underscore(client, auth, db):
    from tests.postal_factories import route_body
    for code in ('R"1', "A/B", "<img src=x>", "  ", "", "hl1", "HL 1", "Ｈ1", "X" * 21, 7, None):
        r = client.post("/api/v1/postal/routes", json=route_body(code=code), headers=auth("postal"))
        assert r.status_code == 400 and r.json["code"] == "invalid_route_code", (code, r.json)
    with db() as s:
        assert s.execute(select(Route)).first() is None
    for code in ("HL-01", "R_2", "X" * 20):
        assert client.post("/api/v1/postal/routes", json=route_body(code=code), headers=auth("postal")).status_code == 201


def test_a_pdf_file_name_never_carries_what_a_header_cannot(client, auth, db, test_settings):
    from tests.postal_factories import working_day
    with unit_of_work(db) as s:  # a route stored before codes were restricted
        s.add(Route(code='R"1', name="Cũ", ward_codes=["06685"], capacity_morning=1, capacity_afternoon=1,
                    created_at=now_utc(), updated_at=now_utc()))
    r = client.get(f"/api/v1/postal/manifests/{working_day(1)}.pdf?route=R%221", headers=auth("postal"))
    assert r.status_code == 200
    assert r.headers["Content-Disposition"] == (f'inline; filename="manifest-R1-{working_day(1)}.pdf"; '
                                                f"filename*=UTF-8''manifest-R%221-{working_day(1)}.pdf")


# --- 11. an address given twice must agree; an empty change; a move outside the route ------------

def test_a_ward_code_and_a_legacy_ward_that_disagree_are_refused(client, auth, db, test_settings):
    make_dossier(db, test_settings)
    body = shipment_body(address={"street": "Số 1", "ward_code": "06685", "legacy_ward": "Xã Yên Than",
                                  "province_code": 22})
    r = post_shipment(client, auth, body)
    assert r.status_code == 400 and r.json["code"] == "legacy_ward_mismatch", r.json
    assert r.json["details"]["field"] == "address.legacy_ward"
    split = client.get("/api/v1/postal/wards?province_code=22&legacy_name=Xã Yên Than", headers=auth("intake")).json
    chosen = split["details"]["candidates"][0]["code"]  # one of the wards it became: the citizen's choice
    body["address"]["ward_code"] = chosen
    r = post_shipment(client, auth, body)
    assert r.status_code == 201 and r.json["address"]["ward_code"] == chosen, r.json


def test_changing_a_route_with_nothing_to_change_is_a_400_and_leaves_no_audit_entry(client, auth, db, test_settings):
    from kernel.audit import AuditEntry
    from tests.postal_factories import make_route
    make_route(db, test_settings)
    r = client.put("/api/v1/postal/routes/HL1", json={}, headers=auth("postal"))
    assert r.status_code == 400 and r.json["code"] == "nothing_to_change"
    with db() as s:
        assert s.execute(select(AuditEntry).where(AuditEntry.action == "postal.route.update")).first() is None


def test_a_manual_move_onto_a_route_not_serving_the_ward_is_allowed_but_flagged_and_audited(client, auth, db,
                                                                                           test_settings):
    from kernel.audit import AuditEntry
    from tests.postal_factories import make_route, working_day
    [shipment_id] = booked_pickups(db, test_settings, 1)  # ward 06685
    make_route(db, test_settings, code="HL1")
    make_route(db, test_settings, code="VD1", wards=("07192",))
    url = f"/api/v1/postal/shipments/{shipment_id}/assignment"
    body = {"date": working_day(1).isoformat(), "slot": "morning", "reason": "Bưu tá tuyến HL1 nghỉ"}
    r = client.post(url, json={**body, "route": "VD1"}, headers=auth("postal"))
    assert r.status_code == 200 and r.json["outside_route"] is True and r.json["over_capacity"] is False
    r = client.post(url, json={**body, "route": "HL1"}, headers=auth("postal"))
    assert r.status_code == 200 and r.json["outside_route"] is False
    with db() as s:
        flags = [json.loads(e.data)["outside_route"] for e in s.execute(
            select(AuditEntry).where(AuditEntry.action == "shipment.move").order_by(AuditEntry.id)).scalars()]
    assert flags == [True, False]


def test_renewal_expires_every_lapsed_request_of_the_dossier_before_deciding(client, auth, db, test_settings):
    code = make_dossier(db, test_settings)
    pay_everything(db, test_settings, code)
    shipment = post_shipment(client, auth, shipment_body()).json
    with unit_of_work(db) as s:  # the postage request's time has passed; nobody has read it since
        s.execute(PaymentRequest.__table__.update().where(
            PaymentRequest.payment_code == shipment["postage_payment_code"]).values(
            expires_at=now_utc() - timedelta(minutes=1)))
    renewed = client.post(f"/api/v1/dossiers/{code}/payment-requests", headers=auth("intake"))
    assert renewed.status_code == 201 and renewed.json["amount_vnd"] == 22000, renewed.json


def test_renewing_while_a_part_paid_request_still_asks_names_it(client, auth, db, test_settings):
    from tests.factories import send_callback

    code = make_dossier(db, test_settings)
    with db() as s:
        [main] = [r.payment_code for r in s.execute(select(PaymentRequest)).scalars()]
    send_callback(client, test_settings, "bank", code=main, amount=3000)  # part of the 8000
    r = client.post(f"/api/v1/dossiers/{code}/payment-requests", headers=auth("intake"))
    assert r.status_code == 409 and r.json["code"] == "request_still_open" and \
        r.json["details"] == {"payment_code": main}


def test_a_transfer_for_a_renewal_cancelled_with_its_shipment_waits_in_suspense_for_the_fees_asked_again(
        client, auth, db, test_settings):
    from sandbox.bank import callback_request
    from tests.api.test_expiry_fix_queued_callbacks import apply_queue

    code, shipment = fee_and_postage_lapsed(client, auth, db, test_settings)
    renewed = client.post(f"/api/v1/dossiers/{code}/payment-requests", headers=auth("intake")).json["payment_code"]
    path, headers, body = callback_request("bank", settings=test_settings, payment_code=renewed, amount_vnd=30000,
                                           txn_id="FT-PAID-RENEWAL", at=now_utc())
    assert client.queued_only().post(path, data=body, headers=headers).status_code == 200  # paid; not applied yet
    cancel(client, auth, shipment["id"])
    apply_queue(client)
    assert request_for(db, renewed)[0] == "cancelled"  # the postage is never owed again, paid or not
    waiting = client.get("/api/v1/finance/suspense", headers=auth("finance")).json
    [money] = waiting["payments"]
    assert money["unallocated_vnd"] == 30000  # for finance: assign the fee asked again, refund the postage
    live = [r for r in client.get(f"/api/v1/dossiers/{code}", headers=auth("intake")).json["payment_requests"]
            if r["status"] == "pending"]
    assert [r["amount_vnd"] for r in live] == [8000]


def test_renewal_names_any_request_still_open_when_nothing_is_left_to_ask(client, auth, db, test_settings):
    code = make_dossier(db, test_settings)
    pay_everything(db, test_settings, code)
    shipment = post_shipment(client, auth, shipment_body()).json  # its postage request waits, pending
    r = client.post(f"/api/v1/dossiers/{code}/payment-requests", headers=auth("intake"))
    assert r.status_code == 409 and r.json["code"] == "request_still_open"
    assert r.json["details"] == {"payment_code": shipment["postage_payment_code"]}
