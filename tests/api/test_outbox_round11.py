"""Outbound delivery, QA round 11: a courier booking is queued once per shipment, and the minute job
that books paid deliveries leaves one whose booking is already queued alone: while the courier is
down, its deadline stays the one the queued order carries (not moved to each day the job runs), and
such deliveries are no part of the job's batch (a paid one behind them is still booked)."""
from datetime import timedelta

from sqlalchemy import select

from kernel.clock import now_utc
from kernel.db import unit_of_work
from kernel.outbox import OutboxMessage
from postal.models import Shipment
from postal.service import dispatch_paid_deliveries
from tests.api.test_postal_round2 import post_shipment
from tests.postal_factories import make_dossier, pay_everything, shipment_body


def booking(db, shipment_id: int) -> dict:
    with db() as s:
        return s.execute(select(OutboxMessage.payload).where(
            OutboxMessage.key == f"courier.book:shipment:{shipment_id}")).scalar_one()


def due_date(db, shipment_id: int) -> str:
    with db() as s:
        return s.get(Shipment, shipment_id).due_date.isoformat()


def dispatch(db, settings, now, **kwargs) -> int:
    with unit_of_work(db) as s:
        return dispatch_paid_deliveries(s, settings=settings, now=now, **kwargs)


def test_a_queued_booking_keeps_its_deadline_while_the_courier_is_down(client, auth, db, test_settings):
    code = make_dossier(db, test_settings)
    shipment = post_shipment(client, auth, shipment_body(direction="delivery")).json
    pay_everything(db, test_settings, code)
    now = now_utc()
    assert dispatch(db, test_settings, now) == 1
    queued_due = booking(db, shipment["id"])["order"]["due_date"]
    assert due_date(db, shipment["id"]) == queued_due
    # No worker has booked it yet (the courier is down): a week of the minute job later, nothing is
    # booked again and the shipment still shows the deadline the courier's order carries.
    assert dispatch(db, test_settings, now + timedelta(days=7)) == 0
    assert due_date(db, shipment["id"]) == queued_due == booking(db, shipment["id"])["order"]["due_date"]


def test_deliveries_whose_booking_is_queued_do_not_fill_the_jobs_batch(client, auth, db, test_settings):
    for code in ("D-QUEUED-1", "D-QUEUED-2"):
        make_dossier(db, test_settings, code=code)
        assert post_shipment(client, auth, shipment_body(dossier_code=code, direction="delivery")).status_code == 201
        pay_everything(db, test_settings, code)
    assert dispatch(db, test_settings, now_utc()) == 2  # queued; the courier is down
    make_dossier(db, test_settings, code="D-PAID-LATER")
    later = post_shipment(client, auth, shipment_body(dossier_code="D-PAID-LATER", direction="delivery")).json
    pay_everything(db, test_settings, "D-PAID-LATER")
    # The job looks at a batch a minute (500); the two queued deliveries stand for 500 here.
    assert dispatch(db, test_settings, now_utc(), limit=2) == 1
    assert booking(db, later["id"])["shipment_id"] == later["id"]
