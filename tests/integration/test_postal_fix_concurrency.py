"""Postal at once (PostgreSQL with real locks; SQLite serialises writers and passes the same
assertions): two 'COD collected' reports credit once; a day's plan and its manual moves take the
day's places in turn, so capacity, over_capacity and stop numbers are right."""
import threading
from datetime import timedelta

from sqlalchemy import func, select

from kernel.clock import now_utc
from kernel.db import unit_of_work
from payments.models import Payment
from postal import scheduling, tracking
from postal.models import Shipment, ShipmentEvent
from tests.api import test_postal_round3
from tests.api.test_postal_round3 import cod_delivery, event, webhook
from tests.postal_factories import ID_CHECK, make_booked_shipment, make_route, working_day
from tests.locks import wait_until_blocked

cod_app = test_postal_round3.cod_app  # the fixture: an app booking deliveries cash on delivery




def in_thread(db, results: dict, name: str, work) -> threading.Thread:
    def run() -> None:
        with unit_of_work(db) as s:
            results[name] = work(s)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_two_cod_collected_reports_at_once_credit_the_order_once(cod_app, auth, db, engine):
    app, settings = cod_app
    client, shipment_id = cod_delivery(app, auth, db, settings)
    at = now_utc() - timedelta(minutes=30)
    webhook(client, settings, event(shipment_id, "V-9", 9, at))
    webhook(client, settings, event(shipment_id, "V-10", 10, at + timedelta(minutes=10), id_check=ID_CHECK))

    def collected(event_id: str):
        parsed = tracking.parse_courier_event(event(shipment_id, event_id, 21, at + timedelta(minutes=11)),
                                              now=now_utc())
        return lambda s: tracking.apply_courier_event(s, event=parsed, source="courier_webhook", settings=settings,
                                                      now=now_utc())

    results: dict = {}
    with unit_of_work(db) as s:
        results["first"] = collected("A-21")(s)
        second = in_thread(db, results, "second", collected("B-21"))
        wait_until_blocked(engine, second)
    second.join()
    assert results == {"first": "applied", "second": "cod_already_collected"}
    with db() as s:
        assert s.execute(select(func.count()).select_from(Payment)).scalar_one() == 2  # the fee and the postage


def test_a_move_onto_a_day_being_planned_waits_and_the_plan_leaves_its_place(db, test_settings, engine):
    settings, day = test_settings, working_day(1)
    make_route(db, settings, code="HL1", wards=("06685",), morning=2, afternoon=0)
    for i in range(2):  # two booked ones compete for the one place the move leaves
        make_booked_shipment(db, settings, f"D-P{i}")
    later = make_booked_shipment(db, settings, "D-P9")
    with unit_of_work(db) as s:  # not a candidate of the day's plan: it has a place on a later day
        scheduling.move_shipment(s, shipment_id=later, day=working_day(3), route_code="HL1", slot="morning",
                                 reason="hẹn sau", settings=settings, actor="postal:b", now=now_utc())
    results: dict = {}
    with unit_of_work(db) as s:
        _, over, _ = scheduling.move_shipment(s, shipment_id=later, day=day, route_code="HL1", slot="morning",
                                              reason="khách hẹn", settings=settings, actor="postal:b", now=now_utc())
        plan = in_thread(db, results, "plan", lambda s2: scheduling.plan_day(
            s2, day=day, settings=settings, actor="postal:a", now=now_utc()))
        wait_until_blocked(engine, plan)
    plan.join()
    assert over is False and len(results["plan"]["assigned"]) == 1  # one place left of two
    assert [u["reason"] for u in results["plan"]["unplanned"]] == ["over_capacity"]
    with db() as s:
        assert scheduling.places_used(s, day)[("HL1", "morning")] == 2
        stops = s.execute(select(Shipment.stop).where(Shipment.planned_date == day)).scalars().all()
        assert sorted(stops) == [1, 2]


def test_two_moves_onto_one_slot_at_once_are_counted_and_numbered_in_turn(db, test_settings, engine):
    settings, day = test_settings, working_day(1)
    make_route(db, settings, code="HL1", wards=("06685",), morning=1, afternoon=0)
    first, second = (make_booked_shipment(db, settings, f"D-M{i}") for i in range(2))

    def move(shipment_id: int):
        return lambda s: scheduling.move_shipment(s, shipment_id=shipment_id, day=day, route_code="HL1",
                                                  slot="morning", reason="khách hẹn", settings=settings,
                                                  actor="postal:x", now=now_utc())[1]

    results: dict = {}
    with unit_of_work(db) as s:
        results["first"] = move(first)(s)
        other = in_thread(db, results, "second", move(second))
        wait_until_blocked(engine, other)
    other.join()
    assert results == {"first": False, "second": True}  # the second is told it goes beyond the capacity
    with db() as s:
        stops = s.execute(select(Shipment.stop).where(Shipment.planned_date == day)).scalars().all()
        assert sorted(stops) == [1, 2]


def test_a_webhook_arriving_while_the_booking_reply_is_recorded_is_taken_not_refused(db, test_settings, engine):
    """The courier tells of a new order (tracking number and our reference) while the worker is still
    storing that tracking number from the booking reply: the webhook waits for the shipment's lock and
    then finds the number it names on the shipment its reference names, so it is the same shipment,
    not a `mismatch` (a 409 to the courier and the event lost)."""
    from postal.service import create_shipment
    from postal.validation import parse_shipment
    from tests.postal_factories import make_dossier, shipment_body

    settings = test_settings
    make_dossier(db, settings, code="D-REPLY")
    with unit_of_work(db) as s:
        created, _ = create_shipment(s, data=parse_shipment(shipment_body(dossier_code="D-REPLY"), now=now_utc(),
                                                            holidays=settings.holidays),
                                     settings=settings, actor="test", now=now_utc())
        shipment_id = created.id
    parsed = tracking.parse_courier_event({"event_id": "VNP-EV-R1", "tracking_number": "EB100000017VN",
                                           "reference": f"HCC-{shipment_id}", "status_code": 0,
                                           "occurred_at": now_utc().isoformat()}, now=now_utc())
    results: dict = {}
    with unit_of_work(db) as s:
        tracking.booking_succeeded(s, shipment_id=shipment_id, result={"tracking_number": "EB100000017VN",
                                                                      "order_id": "VNP000001"},
                                   settings=settings, now=now_utc())
        webhook = in_thread(db, results, "webhook", lambda s2: tracking.apply_courier_event(
            s2, event=parsed, source="courier_webhook", settings=settings, now=now_utc()))
        wait_until_blocked(engine, webhook)
    webhook.join()
    assert results["webhook"] != "mismatch"
    with db() as s:
        assert s.execute(select(func.count()).select_from(ShipmentEvent).where(
            ShipmentEvent.courier_event_id == "VNP-EV-R1")).scalar_one() == 1
