"""Postal, QA round 6: the handover record is of the day dossiers changed hands, a shipment the
courier moved on without our plan is never lost from sight, and a place is freed by work done early."""
import io
from collections import Counter

from pypdf import PdfReader

from kernel.clock import business_date, now_utc
from kernel.db import unit_of_work
from postal import scheduling
from tests.api.test_postal_round2 import booked_pickups, tracking, webhook
from tests.postal_factories import ID_CHECK, make_route, working_day


def handover_text(client, auth, day, route: str | None = "HL1") -> str:
    query = f"?route={route}" if route else ""
    r = client.get(f"/api/v1/postal/handovers/{day}.pdf{query}", headers=auth("postal"))
    assert r.status_code == 200, r.json
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(r.data)).pages)


def pick_up(client, auth, shipment_id):
    r = client.post(f"/api/v1/postal/shipments/{shipment_id}/events", json={"event": "picked_up", "id_check": ID_CHECK},
                    headers=auth("postal"))
    assert r.status_code == 200, r.json


def test_a_dossier_picked_up_before_its_planned_day_is_on_that_days_record_and_frees_its_place(
        client, auth, db, test_settings):
    [early] = booked_pickups(db, test_settings, 1)
    make_route(db, test_settings, morning=2)
    planned_day, today = working_day(1), business_date(now_utc())
    assert len(client.post(f"/api/v1/postal/plan?date={planned_day}", headers=auth("postal")).json["assigned"]) == 1
    pick_up(client, auth, early)
    assert "D-0" in handover_text(client, auth, today)
    planned = handover_text(client, auth, planned_day)
    assert "D-0" not in planned and "giao cho Trung tâm: 0 hồ sơ" in planned
    with unit_of_work(db) as s:
        assert scheduling.places_used(s, planned_day) == Counter()


def test_a_shipment_the_courier_assigned_without_our_plan_waits_for_a_place(client, auth, db, test_settings):
    [assigned] = booked_pickups(db, test_settings, 1)
    r = webhook(client, test_settings, {"event_id": "E-ASSIGN-1", "tracking_number": tracking(assigned),
                                         "status_code": 2, "occurred_at": now_utc().isoformat()})
    assert r.status_code == 200 and r.json["outcome"] == "applied", r.json
    shipment = client.get(f"/api/v1/postal/shipments/{assigned}", headers=auth("postal")).json
    assert (shipment["status"], shipment["plan"]) == ("scheduled", None)
    make_route(db, test_settings, morning=2)
    with unit_of_work(db) as s:
        queues = scheduling.board_queues(s, today=business_date(now_utc()), limit=200)
        assert [w.id for w in queues.waiting.shipments] == [assigned]
    day = working_day(1)
    assert [a["shipment_id"] for a in client.post(f"/api/v1/postal/plan?date={day}",
                                                  headers=auth("postal")).json["assigned"]] == [assigned]


def test_the_record_of_every_route_lists_a_dossier_picked_up_without_a_plan(client, auth, db, test_settings):
    [unplanned] = booked_pickups(db, test_settings, 1)
    pick_up(client, auth, unplanned)
    today = business_date(now_utc())
    assert "D-0" in handover_text(client, auth, today, route=None)
    make_route(db, test_settings)
    assert "D-0" not in handover_text(client, auth, today)  # not on HL1's: it had no route


def test_a_paid_delivery_blocked_by_a_lapsed_fee_asks_for_it_again(client, auth, db, test_settings):
    from sqlalchemy import select

    from payments.models import Dossier, PaymentRequest
    from postal.service import dispatch_paid_deliveries
    from tests.api.test_postal_round2 import post_shipment, request_for
    from tests.postal_factories import make_dossier, pay_everything, shipment_body

    def pending(s) -> list[PaymentRequest]:
        dossier = s.execute(select(Dossier).where(Dossier.code == code)).scalar_one()
        return list(s.execute(select(PaymentRequest).where(PaymentRequest.dossier_id == dossier.id,
                                                           PaymentRequest.status == "pending")
                              .order_by(PaymentRequest.id)).scalars())

    def lapse_the_fee():
        with unit_of_work(db) as s:
            [fee] = [r for r in pending(s) if r.amount_vnd == 8000]
            fee.status = "expired"

    code = make_dossier(db, test_settings)
    lapse_the_fee()
    delivery = post_shipment(client, auth, shipment_body(direction="delivery")).json
    with unit_of_work(db) as s:  # asked for again with the postage: the citizen can pay both
        assert sorted(r.amount_vnd for r in pending(s)) == [8000, 22000]
    lapse_the_fee()  # unpaid again; only the postage is paid
    pay_everything(db, test_settings, code)
    assert request_for(db, delivery["postage_payment_code"])[0] == "paid"
    with unit_of_work(db) as s:
        assert dispatch_paid_deliveries(s, settings=test_settings, now=now_utc()) == 0
    with unit_of_work(db) as s:
        assert [r.amount_vnd for r in pending(s)] == [8000]
        assert dispatch_paid_deliveries(s, settings=test_settings, now=now_utc()) == 0
        assert [r.amount_vnd for r in pending(s)] == [8000]  # asked once, not again while it is live
    pay_everything(db, test_settings, code)
    with unit_of_work(db) as s:
        assert dispatch_paid_deliveries(s, settings=test_settings, now=now_utc()) == 1


def test_a_cancelled_shipments_postage_is_listed_as_withdrawn_and_owed_no_more(client, auth, db, test_settings):
    from tests.api.test_postal_round2 import cancel, post_shipment
    from tests.postal_factories import make_dossier, shipment_body

    code = make_dossier(db, test_settings)
    before = client.get(f"/api/v1/dossiers/{code}", headers=auth("intake")).json["total_vnd"]
    shipment = post_shipment(client, auth, shipment_body()).json
    assert client.get(f"/api/v1/dossiers/{code}", headers=auth("intake")).json["total_vnd"] == \
        before + shipment["postage_vnd"]
    cancel(client, auth, shipment["id"])
    dossier = client.get(f"/api/v1/dossiers/{code}", headers=auth("intake")).json
    assert dossier["total_vnd"] == before
    [postage] = [f for f in dossier["fees"] if f["kind"] == "postage"]
    assert postage["withdrawn_at"] is not None


def test_a_withdrawn_dossiers_cancelled_fee_is_not_asked_for_again(client, auth, db, test_settings):
    from sqlalchemy import select

    from payments.models import Dossier, PaymentRequest
    from postal.service import dispatch_paid_deliveries
    from tests.api.test_postal_round2 import post_shipment
    from tests.postal_factories import make_dossier, pay_everything, shipment_body

    code = make_dossier(db, test_settings)
    with unit_of_work(db) as s:
        dossier = s.execute(select(Dossier).where(Dossier.code == code)).scalar_one()
        [fee] = s.execute(select(PaymentRequest.payment_code).where(PaymentRequest.dossier_id == dossier.id)).scalars()
    delivery = post_shipment(client, auth, shipment_body(direction="delivery")).json
    r = client.post(f"/api/v1/payment-requests/{fee}/cancel", json={"reason": "hồ sơ bị rút"}, headers=auth("intake"))
    assert r.status_code == 200, r.json
    pay_everything(db, test_settings, code)  # the postage
    for _ in range(2):
        with unit_of_work(db) as s:
            assert dispatch_paid_deliveries(s, settings=test_settings, now=now_utc()) == 0
    with unit_of_work(db) as s:
        dossier = s.execute(select(Dossier).where(Dossier.code == code)).scalar_one()
        statuses = sorted(r.status for r in dossier.payment_requests)
    # The dossier withdrawn, its waiting delivery follows (postal.fees): cancelled, its postage withdrawn
    # (it stayed `requested` for good, its postage still asked for and paid, for a delivery that never goes).
    assert statuses == ["cancelled", "cancelled"], statuses
    assert client.get(f"/api/v1/postal/shipments/{delivery['id']}", headers=auth("postal")).json["status"] == "cancelled"


def test_a_result_taken_out_stays_on_that_days_record_when_its_attempt_fails(client, auth, db, test_settings):
    from tests.postal_factories import make_booked_shipment

    shipment_id = make_booked_shipment(db, test_settings, "D-OUT-1", direction="delivery")
    for event in ({"event": "out_for_delivery"}, {"event": "failed_attempt", "reason": "not_home"}):
        r = client.post(f"/api/v1/postal/shipments/{shipment_id}/events", json=event, headers=auth("postal"))
        assert r.status_code == 200, r.json
    record = handover_text(client, auth, business_date(now_utc()), route=None)
    assert "D-OUT-1" in record and "giao cho bưu chính để phát: 1 hồ sơ" in record


def test_the_board_lists_a_shipment_under_way_outside_the_plan(client, auth, db, test_settings):
    [unplanned] = booked_pickups(db, test_settings, 1)
    board = client.get("/staff/postal/", headers=auth("postal")).get_data(as_text=True)
    assert 'id="under-way"' not in board
    pick_up(client, auth, unplanned)
    board = client.get("/staff/postal/", headers=auth("postal")).get_data(as_text=True)
    section = board[board.index('id="under-way"'):board.index('id="checks"')]
    assert f'id="s-{unplanned}"' in section and "D-0" in section
