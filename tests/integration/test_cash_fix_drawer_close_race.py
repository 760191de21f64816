"""Closing a drawer and taking cash into it are serialised on the drawer's row: a close asked while
a cash payment is being recorded waits for it and counts it (no false surplus), and cash taken while
the drawer is being closed waits for the close and is refused (`drawer_closed`), never booked into a
closed drawer. PostgreSQL shows the wait in pg_locks; SQLite serialises writers and passes the same."""
import threading

from sqlalchemy import select

from kernel.clock import now_utc
from kernel.db import unit_of_work
from kernel.errors import Conflict
from payments import cash
from payments.models import CashDrawer
from tests.factories import assert_ledger_ok, make_request
from tests.locks import wait_until_blocked

CASHIER = "user:7:Thu ngân Hoa"


def in_thread(call):
    """Run `call` in a thread; what it returned, or the exception it raised, lands in the list."""
    out: list = []

    def run() -> None:
        try:
            out.append(call())
        except Exception as exc:  # noqa: BLE001 - handed to the test
            out.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


def take(db, settings, code, amount=100_000):
    with unit_of_work(db) as s:
        return cash.take_cash(s, code=code, amount_vnd=amount, cashier=CASHIER, idempotency_key=None,
                              settings=settings, now=now_utc())


def drawer_id(db) -> int:
    with db() as s:
        return s.execute(select(CashDrawer.id)).scalar_one()


def close(db, settings, counted):
    with unit_of_work(db) as s:
        return cash.close_drawer(s, drawer_id=drawer_id(db), counted_vnd=counted, actor="user:2:Kế toán Lan",
                                 any_drawer=True, confirmed_difference_vnd=None, settings=settings, now=now_utc())


def test_a_close_asked_while_cash_is_recorded_waits_for_it_and_counts_it(client, auth, db, engine, test_settings):
    first, second = (make_request(client, auth, ("Lệ phí", "charge", 100_000)) for _ in range(2))
    take(db, test_settings, first)
    with unit_of_work(db) as s:
        cash.take_cash(s, code=second, amount_vnd=100_000, cashier=CASHIER, idempotency_key=None,
                       settings=test_settings, now=now_utc())
        thread, out = in_thread(lambda: close(db, test_settings, 200_000))
        wait_until_blocked(engine, thread)
    thread.join()
    [closed] = out
    assert (closed["expected_vnd"], closed["difference_vnd"]) == (200_000, 0)
    assert_ledger_ok(db)


def test_cash_taken_while_the_drawer_closes_waits_and_is_refused(client, auth, db, engine, test_settings):
    first, second = (make_request(client, auth, ("Lệ phí", "charge", 100_000)) for _ in range(2))
    take(db, test_settings, first)
    with unit_of_work(db) as s:
        cash.close_drawer(s, drawer_id=drawer_id(db), counted_vnd=100_000, actor="user:2:Kế toán Lan",
                          any_drawer=True, confirmed_difference_vnd=None, settings=test_settings, now=now_utc())
        thread, out = in_thread(lambda: take(db, test_settings, second))
        wait_until_blocked(engine, thread)
    thread.join()
    [refused] = out
    assert isinstance(refused, Conflict) and refused.code == "drawer_closed"
    assert_ledger_ok(db)
