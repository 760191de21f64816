"""A cashier's void and the close of the drawer that took the cash are serialised on the drawer's row:
a close asked while a void is recorded waits for it and expects that much less cash (no false
shortage), and a void asked while the drawer closes waits for the close and is refused (`drawer_closed`),
never taking money out of a drawer already counted. PostgreSQL shows the wait in pg_locks; SQLite
serialises writers and passes the same."""
from sqlalchemy import select

from kernel.clock import now_utc
from kernel.db import unit_of_work
from kernel.errors import Conflict
from payments import cash, cash_voids
from payments.models import CashDrawer, PaymentRequest
from tests.factories import assert_ledger_ok, make_request
from tests.integration.test_cash_fix_drawer_close_race import CASHIER, close, in_thread, take
from tests.locks import wait_until_blocked


def void(db, settings, payment_id):
    with unit_of_work(db) as s:
        return cash_voids.void_cash(s, payment_id=payment_id, reason="Thu nhầm hồ sơ", actor=CASHIER,
                                    any_cashier=False, settings=settings, now=now_utc())[2]


def test_a_close_asked_while_a_void_is_recorded_waits_and_expects_less(client, auth, db, engine, test_settings):
    kept, voided = (make_request(client, auth, ("Lệ phí", "charge", 100_000)) for _ in range(2))
    take(db, test_settings, kept)
    payment_id = take(db, test_settings, voided).payment_id
    with unit_of_work(db) as s:
        cash_voids.void_cash(s, payment_id=payment_id, reason="Thu nhầm hồ sơ", actor=CASHIER, any_cashier=False,
                             settings=test_settings, now=now_utc())
        thread, out = in_thread(lambda: close(db, test_settings, 100_000))
        wait_until_blocked(engine, thread)
    thread.join()
    [closed] = out
    assert (closed["expected_vnd"], closed["difference_vnd"]) == (100_000, 0)
    assert_ledger_ok(db)


def test_a_void_asked_while_the_drawer_closes_waits_and_is_refused(client, auth, db, engine, test_settings):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    payment_id = take(db, test_settings, code).payment_id
    with unit_of_work(db) as s:
        drawer_id = s.execute(select(CashDrawer.id)).scalar_one()
        cash.close_drawer(s, drawer_id=drawer_id, counted_vnd=100_000, actor="user:2:Kế toán Lan", any_drawer=True,
                          confirmed_difference_vnd=None, settings=test_settings, now=now_utc())
        thread, out = in_thread(lambda: void(db, test_settings, payment_id))
        wait_until_blocked(engine, thread)
    thread.join()
    [refused] = out
    assert isinstance(refused, Conflict) and refused.code == "drawer_closed"
    with db() as s:
        assert s.execute(select(PaymentRequest.paid_vnd)).scalar_one() == 100_000  # nothing moved
    assert_ledger_ok(db)


def test_two_voids_at_once_move_the_money_once(client, auth, db, engine, test_settings):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    payment_id = take(db, test_settings, code).payment_id
    with unit_of_work(db) as s:
        assert cash_voids.void_cash(s, payment_id=payment_id, reason="Thu nhầm hồ sơ", actor=CASHIER,
                                    any_cashier=False, settings=test_settings, now=now_utc())[2]
        thread, out = in_thread(lambda: void(db, test_settings, payment_id))
        wait_until_blocked(engine, thread)
    thread.join()
    assert out == [False]  # the second waited, then found it voided: the same answer
    with db() as s:
        assert s.execute(select(PaymentRequest.paid_vnd)).scalar_one() == 0
    assert_ledger_ok(db)


def test_a_void_asked_while_a_refund_is_asked_waits_and_is_refused(client, auth, db, engine, test_settings):
    from payments import refunds

    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    payment_id = take(db, test_settings, code).payment_id
    with unit_of_work(db) as s:
        refunds.request_refund(s, payment_id=payment_id, amount_vnd=10_000, reason="Thu thừa",
                               expected_refundable_vnd=100_000, settings=test_settings, actor="user:2:Kế toán Lan",
                               now=now_utc())
        thread, out = in_thread(lambda: void(db, test_settings, payment_id))
        wait_until_blocked(engine, thread)
    thread.join()
    [refused] = out
    assert isinstance(refused, Conflict) and refused.code == "payment_refunded"
    assert_ledger_ok(db)
