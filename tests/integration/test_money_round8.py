"""Money round 8, races: two approvers approving the same refund at once move its money once (the second
waits for the first's lock on the refund and finds it decided); a drawer's close racing a cash refund's
payout from it posts a difference that accounts for the payout."""
from sqlalchemy import func, select

from kernel.clock import now_utc
from kernel.db import unit_of_work
from kernel.errors import Conflict
from payments import cash, refunds
from payments.ledger import Accounts, LedgerEntry, balance
from tests.factories import assert_ledger_ok, make_request, send_callback
from tests.integration.test_cash_fix_drawer_close_race import CASHIER, in_thread, take
from tests.locks import wait_until_blocked

APPROVERS = ("user:11:Phê duyệt An", "user:12:Phê duyệt Bình")


def waiting_refund(client, auth, settings, amount=3_000_000) -> int:
    code = make_request(client, auth, ("Lệ phí", "charge", amount))
    send_callback(client, settings, "bank", code=code, amount=amount)
    [payment] = client.get(f"/api/v1/payment-requests/{code}/payments", headers=auth("finance")).json["payments"]
    r = client.post(f"/api/v1/payments/{payment['id']}/refunds", headers=auth("finance"),
                    json={"amount_vnd": amount, "expected_refundable_vnd": amount, "reason": "Hồ sơ bị từ chối"})
    assert r.status_code == 201 and r.json["status"] == "awaiting_approval", r.json
    return r.json["id"]


def approve(db, settings, refund_id, approver):
    with unit_of_work(db) as s:
        return refunds.decide(s, refund_id=refund_id, approve=True, reason=None, settings=settings, actor=approver,
                              now=now_utc()).status


def test_two_approvals_of_one_refund_at_once_move_its_money_once(client, auth, db, engine, test_settings):
    refund_id = waiting_refund(client, auth, test_settings)
    with unit_of_work(db) as s:
        assert refunds.decide(s, refund_id=refund_id, approve=True, reason=None, settings=test_settings,
                              actor=APPROVERS[0], now=now_utc()).status == "transfer_ordered"
        thread, out = in_thread(lambda: approve(db, test_settings, refund_id, APPROVERS[1]))
        wait_until_blocked(engine, thread)
    thread.join()
    [second] = out
    assert isinstance(second, Conflict) and second.code == "refund_not_awaiting_approval"
    with db() as s:
        assert balance(s, Accounts.REFUNDS_PAYABLE) == -3_000_000
        assert s.execute(select(func.count()).select_from(LedgerEntry)
                         .where(LedgerEntry.kind == "refund_approved")).scalar_one() == 1
        assert s.get(refunds.Refund, refund_id).decided_by == APPROVERS[0]
    assert_ledger_ok(db)


def test_a_drawer_closed_while_a_cash_refund_is_paid_out_of_it_counts_the_payout(client, auth, db, engine,
                                                                                  test_settings):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    payment_id = take(db, test_settings, code).payment_id
    with unit_of_work(db) as s:
        refund = refunds.request_refund(s, payment_id=payment_id, amount_vnd=40_000, reason="Thu thừa",
                                        expected_refundable_vnd=100_000, settings=test_settings,
                                        actor="user:2:Kế toán Lan", now=now_utc())
        refund_id = refund.id
    with unit_of_work(db) as s:
        refunds.mark_executed(s, refund_id=refund_id, reference=None, settings=test_settings, actor=CASHIER,
                              now=now_utc())
        drawer_id = s.execute(select(cash.CashDrawer.id)).scalar_one()

        def close():
            with unit_of_work(db) as s2:
                return cash.close_drawer(s2, drawer_id=drawer_id, counted_vnd=59_000, actor="user:2:Kế toán Lan",
                                         any_drawer=True, confirmed_difference_vnd=None,
                                         settings=test_settings, now=now_utc())

        thread, out = in_thread(close)
        wait_until_blocked(engine, thread)
    thread.join()
    [closed] = out
    assert (closed["expected_vnd"], closed["difference_vnd"]) == (60_000, -1_000)
    with db() as s:
        assert balance(s, Accounts.cash(drawer_id)) == 59_000 and balance(s, Accounts.CASH_OVER_SHORT) == 1_000
    assert_ledger_ok(db)


def test_two_closes_of_one_drawer_at_once_post_its_difference_once(client, auth, db, engine, test_settings):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    take(db, test_settings, code)
    with db() as s:
        drawer_id = s.execute(select(cash.CashDrawer.id)).scalar_one()

    def close(counted):
        with unit_of_work(db) as s:
            return cash.close_drawer(s, drawer_id=drawer_id, counted_vnd=counted, actor=CASHIER, any_drawer=False,
                                     confirmed_difference_vnd=None, settings=test_settings, now=now_utc())

    with unit_of_work(db) as s:
        assert cash.close_drawer(s, drawer_id=drawer_id, counted_vnd=90_000, actor=CASHIER, any_drawer=False,
                                 confirmed_difference_vnd=None, settings=test_settings, now=now_utc())["difference_vnd"] == -10_000
        thread, out = in_thread(lambda: close(100_000))
        wait_until_blocked(engine, thread)
    thread.join()
    [second] = out
    assert isinstance(second, Conflict) and second.code == "drawer_closed"
    with db() as s:
        assert balance(s, Accounts.CASH_OVER_SHORT) == 10_000 and balance(s, Accounts.cash(drawer_id)) == 90_000
        assert s.get(cash.CashDrawer, drawer_id).counted_vnd == 90_000
    assert_ledger_ok(db)
