"""Postal fixes: a COD order is credited once (a second 'COD collected' report is kept for people),
an impossible collected amount is not credited, an amount other than the order's is credited and
listed for people."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kernel.clock import now_utc
from payments.ledger import Accounts, balance
from payments.models import Payment
from postal.models import ShipmentEvent
from tests.api import test_pages, test_postal_round3
from tests.api.test_postal_round3 import cod_delivery, delivered_and_collected, event, requests_of, webhook

PAID = [("paid", 8000, 8000), ("paid", 22000, 22000)]

cod_app = test_postal_round3.cod_app  # the fixture: an app booking deliveries cash on delivery
staff_user = test_pages.staff_user  # the fixture: a staff account for the pages


def cod_checks(db, shipment_id):
    with db() as s:
        return [e.data for e in s.execute(select(ShipmentEvent).where(
            ShipmentEvent.shipment_id == shipment_id, ShipmentEvent.event == "cod_check")
            .order_by(ShipmentEvent.id)).scalars()]


def payments_count(db):
    with db() as s:
        return s.execute(select(func.count()).select_from(Payment)).scalar_one()


def finance_conflicts(client, auth):
    r = client.get("/api/v1/finance/conflicts", headers=auth("finance"))
    assert r.status_code == 200, r.json
    return [(c["provider"], c["external_id"], c["reason"]) for c in r.json["callbacks"]]


def test_a_second_cod_collected_report_under_another_event_id_is_kept_for_people_not_credited(cod_app, auth, db):
    app, settings = cod_app
    client, shipment_id = cod_delivery(app, auth, db, settings)
    assert delivered_and_collected(client, settings, shipment_id).json["outcome"] == "applied"
    again = webhook(client, settings, event(shipment_id, "B-21", 21, now_utc() - timedelta(minutes=5)))
    assert (again.status_code, again.json) == (200, {"received": True, "outcome": "cod_already_collected"})
    assert requests_of(db) == PAID and payments_count(db) == 2
    with db() as s:
        assert balance(s, Accounts.cod("vnpost")) == 30000
    assert cod_checks(db, shipment_id) == [{
        "kind": "cod_already_collected", "courier_event_id": "B-21", "collected_vnd": 30000, "booked_vnd": 30000,
        "first_event_id": "V-21", "recorded_event_id": cod_checks_row_id(db, "B-21")}]
    assert finance_conflicts(client, auth) == [("courier", "B-21", "cod_already_collected")]
    # the same report again is a duplicate, listed once
    assert webhook(client, settings, event(shipment_id, "B-21", 21, now_utc() - timedelta(minutes=5))
                   ).json["outcome"] == "duplicate"
    assert len(cod_checks(db, shipment_id)) == 1 and payments_count(db) == 2


def cod_checks_row_id(db, courier_event_id):
    with db() as s:
        return s.execute(select(ShipmentEvent.id).where(ShipmentEvent.courier_event_id == courier_event_id)
                         ).scalar_one()


@pytest.mark.parametrize("amount", [10**11, 500_000_001])
def test_a_collected_amount_beyond_one_payments_bound_is_kept_for_people_not_credited(cod_app, auth, db, amount):
    app, settings = cod_app
    client, shipment_id = cod_delivery(app, auth, db, settings)
    before = requests_of(db)
    r = delivered_and_collected(client, settings, shipment_id, cod_amount_vnd=amount)
    assert (r.status_code, r.json["outcome"]) == (200, "cod_amount_out_of_range")
    assert requests_of(db) == before and payments_count(db) == 0
    check, = cod_checks(db, shipment_id)
    assert (check["kind"], check["collected_vnd"], check["booked_vnd"], check["limit_vnd"]) == (
        "cod_amount_out_of_range", amount, 30000, 500_000_000)
    assert finance_conflicts(client, auth) == [("courier", "V-21", "cod_amount_out_of_range")]
    # refused money is not collected money: a real report of what was booked is still credited
    ok = webhook(client, settings, event(shipment_id, "C-21", 21, now_utc() - timedelta(minutes=2)))
    assert ok.json["outcome"] == "applied" and requests_of(db) == PAID


def test_an_amount_other_than_the_order_is_credited_and_listed_for_people(cod_app, auth, db):
    app, settings = cod_app
    client, shipment_id = cod_delivery(app, auth, db, settings)
    r = delivered_and_collected(client, settings, shipment_id, cod_amount_vnd=35000)
    assert r.json["outcome"] == "applied"
    assert requests_of(db) == [("paid", 8000, 8000), ("overpaid", 22000, 27000)]
    assert [(c["kind"], c["collected_vnd"], c["booked_vnd"]) for c in cod_checks(db, shipment_id)] == [
        ("cod_amount_differs", 35000, 30000)]
    assert finance_conflicts(client, auth) == []  # applied: the overpayment is finance's usual work


def test_the_amount_the_order_asked_for_is_credited_without_a_check(cod_app, auth, db):
    app, settings = cod_app
    client, shipment_id = cod_delivery(app, auth, db, settings)
    assert delivered_and_collected(client, settings, shipment_id, cod_amount_vnd=30000).json["outcome"] == "applied"
    assert requests_of(db) == PAID and cod_checks(db, shipment_id) == []


def test_the_postal_board_lists_the_reports_to_check_in_vietnamese(cod_app, auth, db, staff_user):
    app, settings = cod_app
    client, shipment_id = cod_delivery(app, auth, db, settings)
    delivered_and_collected(client, settings, shipment_id, cod_amount_vnd=35000)
    webhook(client, settings, event(shipment_id, "B-21", 21, now_utc() - timedelta(minutes=5)))
    staff_user("buudien", ("postal",))
    test_pages.log_in(client, "buudien")
    html = client.get("/staff/postal/").get_data(as_text=True)
    checks = html[html.index('id="checks"'):]
    assert "Bưu điện báo đã thu tiền COD (30.000 ₫) lần nữa, sau báo cáo V-21: chưa ghi nhận" in checks
    assert "Bưu điện báo thu tiền COD 35.000 ₫, khác số đã đặt thu (30.000 ₫): đã ghi nhận" in checks
    assert checks.index("khác số đã đặt thu") < checks.index("lần nữa")  # oldest first: the longest waiting on top
