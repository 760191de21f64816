"""A cashier's void and cash taken for the same request at the same moment are serialised on the
drawer's row, then the request's: whichever comes second sees what the first did, so the request ends
paid exactly by the cash still standing and the drawer expects exactly that."""
from sqlalchemy import select

from kernel.clock import now_utc
from kernel.db import unit_of_work
from payments import cash, cash_voids
from payments.ledger import Accounts, balance
from payments.models import CashDrawer, PaymentRequest
from tests.factories import assert_ledger_ok, make_request
from tests.integration.test_cash_fix_drawer_close_race import CASHIER, in_thread, take
from tests.locks import wait_until_blocked


def void(db, settings, payment_id):
    with unit_of_work(db) as s:
        return cash_voids.void_cash(s, payment_id=payment_id, reason="Thu nhầm số tiền", actor=CASHIER,
                                    any_cashier=False, settings=settings, now=now_utc())[2]


def request_and_drawer(db) -> tuple[tuple[str, int, int], int]:
    with db() as s:
        request = s.execute(select(PaymentRequest)).scalar_one()
        drawer_id = s.execute(select(CashDrawer.id)).scalar_one()
        return (request.status, request.paid_vnd, request.outstanding_vnd), balance(s, Accounts.cash(drawer_id))


def test_cash_taken_while_the_mistake_is_voided_waits_and_takes_the_whole_amount(client, auth, db, engine,
                                                                                  test_settings):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    wrong = take(db, test_settings, code).payment_id
    with unit_of_work(db) as s:
        assert cash_voids.void_cash(s, payment_id=wrong, reason="Thu nhầm", actor=CASHIER, any_cashier=False,
                                    settings=test_settings, now=now_utc())[2]
        thread, out = in_thread(lambda: take(db, test_settings, code))
        wait_until_blocked(engine, thread)
    thread.join()
    [taken] = out
    assert not isinstance(taken, Exception), taken
    assert request_and_drawer(db) == (("paid", 100_000, 0), 100_000)
    assert_ledger_ok(db)


def test_a_void_asked_while_more_cash_is_taken_waits_and_leaves_that_cash(client, auth, db, engine, test_settings):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    first = take(db, test_settings, code, amount=60_000).payment_id
    with unit_of_work(db) as s:
        cash.take_cash(s, code=code, amount_vnd=40_000, cashier=CASHIER, idempotency_key=None,
                       settings=test_settings, now=now_utc())
        thread, out = in_thread(lambda: void(db, test_settings, first))
        wait_until_blocked(engine, thread)
    thread.join()
    assert out == [True]
    (status, paid, outstanding), expected = request_and_drawer(db)
    assert (paid, outstanding, expected) == (40_000, 60_000, 40_000) and status != "paid"
    assert_ledger_ok(db)
