"""Payments' own writers of money and a day's close are serialised like reconciliation's: a callback, a
suspense assignment or a cash payment written while the close is being approved waits for it and is
then stamped just after it, so it lands in the next open day (late money, or an adjustment) instead of
in no day. Every đồng is then in exactly one day: the days' totals add up to the ledger.

Run on PostgreSQL with real locks (the writer is seen waiting in pg_locks); SQLite serialises writers,
so there the writer waits for the close's write lock and the stamp is what is checked."""
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from kernel.clock import now_utc
from kernel.db import unit_of_work
from payments import cash
from payments.inbox_apply import apply_queued, drain
from payments.ledger import balances
from payments.models import Payment
from reconciliation import days
from reconciliation.models import ReconDay
from tests.factories import make_request
from tests.integration.test_close_fix_races import in_thread, line_in_suspense, rows, summary
from tests.locks import wait_until_blocked
from tests.recon_factories import bank_callback

DAY, NEXT = "2026-11-24", "2026-11-25"


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def close_requested(client, auth) -> None:
    assert client.post(f"/api/v1/reconciliation/days/{DAY}/close", headers=auth("finance")).status_code == 202


def approve(session, settings, now: datetime) -> None:
    days.approve_close(session, date.fromisoformat(DAY), settings=settings, actor="trưởng phòng Minh", now=now)


def agency_total(client, auth, day: str) -> dict:
    """By-agency rows of the day plus its adjustments: what the day says moved, per row."""
    totals = summary(client, auth, day)["totals"]
    total = rows(totals)
    for name, amount in rows(totals["adjustments"]).items():
        total[name] = total.get(name, 0) + amount
    return {name: amount for name, amount in total.items() if amount}


def assert_days_add_up_to_the_ledger(client, auth, db) -> None:
    """Revenue per agency over the two days is the ledger's, not a đồng in no day or in two."""
    over_days: dict = {}
    for day in (DAY, NEXT):
        for name, amount in agency_total(client, auth, day).items():
            if name.startswith("H"):
                over_days[name] = over_days.get(name, 0) + amount
    with db() as s:
        ledger = {account.split(":")[1]: -amount for account, amount in balances(s, "revenue:").items() if amount}
    assert over_days == ledger


def test_a_callback_stored_while_its_day_closes_is_applied_after_it_in_the_next_open_day(
        app, client, auth, db, engine, test_settings):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    close_requested(client, auth)
    plain = app.test_client().queued_only()  # stores the callback; the worker below applies it
    with unit_of_work(db) as s:
        approve(s, test_settings, now_utc() + timedelta(minutes=1))  # the close's clock ahead of the arrival
        stored, _ = in_thread(lambda: bank_callback(plain, test_settings, "FT901", 100_000, f"{code} nop phi"))
        applied = None
        if engine.dialect.name == "postgresql":
            stored.join()  # stored and queued after the close looked at the queue: the close did not see it
            applied, _ = in_thread(lambda: apply_queued(db, test_settings))
            wait_until_blocked(engine, applied)  # the worker waits for the close
        else:
            wait_until_blocked(engine, stored)  # SQLite: storing it already waits for the close's write lock
    (applied or stored).join()
    drain(db, test_settings)
    with db() as s:
        payment = s.execute(select(Payment)).scalar_one()
        closed_at = s.execute(select(func.max(ReconDay.closed_at))).scalar_one()
        assert payment.recorded_at > closed_at  # the arrival stays its time; the stamp is after the close
    assert summary(client, auth, DAY)["totals"]["received_vnd"] == 0  # frozen without it
    assert summary(client, auth, NEXT)["totals"]["received_vnd"] == 100_000  # ... so it is the next day's
    assert_days_add_up_to_the_ledger(client, auth, db)


def test_a_suspense_assignment_that_comes_while_the_close_is_approved_is_the_next_days_adjustment(
        app, client, auth, db, engine, test_settings):
    code, line, _ = line_in_suspense(client, auth)
    with unit_of_work(db) as s:
        approve(s, test_settings, now_utc() + timedelta(minutes=1))
        thread, out = in_thread(lambda: app.test_client().post(
            f"/api/v1/finance/suspense/{line['payment_id']}/assign", headers=auth("finance"),
            json={"payment_code": code, "reason": "khớp tay theo sao kê"}))
        wait_until_blocked(engine, thread)
    thread.join()
    assert out["response"].status_code == 200, out["response"].json
    assert rows(summary(client, auth, DAY)["totals"]) == {"suspense": 100_000}  # frozen as the close saw it
    assert rows(summary(client, auth, NEXT)["totals"]["adjustments"]) == {"H40.22": 100_000, "suspense": -100_000}
    assert_days_add_up_to_the_ledger(client, auth, db)


def test_cash_taken_while_its_day_closes_counts_in_the_next_open_day(app, client, auth, db, engine, test_settings):
    code = make_request(client, auth, ("Lệ phí", "charge", 60_000))
    close_requested(client, auth)
    taken_at = datetime.fromisoformat(f"{DAY}T16:59:00+07:00")  # the counter's last minute of the day

    def take() -> None:
        with unit_of_work(db) as s:
            cash.take_cash(s, code=code, amount_vnd=60_000, cashier="user:7:Thu ngân Hoa", idempotency_key=None,
                           settings=test_settings, now=taken_at)

    with unit_of_work(db) as s:
        approve(s, test_settings, now_utc())
        thread, _ = in_thread(take)
        wait_until_blocked(engine, thread)
    thread.join()
    with db() as s:
        payment = s.execute(select(Payment)).scalar_one()
        assert payment.booked_at == taken_at  # taken on the day; only the counting stamp moved
    assert summary(client, auth, DAY)["totals"]["received_vnd"] == 0
    assert summary(client, auth, NEXT)["totals"]["received_vnd"] == 60_000
    assert_days_add_up_to_the_ledger(client, auth, db)
