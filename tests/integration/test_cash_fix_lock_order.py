"""Every writer that locks a cash drawer and payment requests takes the drawer first: cash taken at
the counter, a cash refund paid out of the drawer, the drawer's close. Two of them in the other order
deadlocked on PostgreSQL (cash taken for a request while its cash refund was handed over). Checked by
the order of the row locks each asks for (SELECT … FOR UPDATE; PostgreSQL only, SQLite has none)."""
import re

import pytest
from sqlalchemy import event

from kernel.clock import now_utc
from kernel.db import unit_of_work
from payments import cash, refunds
from tests.factories import make_request

CASHIER = "user:7:Thu ngân Hoa"
LOCKED = re.compile(r"FROM (cash_drawers|payment_requests)\b.*FOR UPDATE", re.S)


@pytest.fixture
def lock_order(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite takes no row locks (it serialises writers)")
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        found = LOCKED.search(statement)
        if found and (not seen or seen[-1] != found.group(1)):
            seen.append(found.group(1))

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_cash_taken_and_a_cash_refund_paid_out_lock_the_drawer_before_the_request(client, auth, db, test_settings,
                                                                                  lock_order):
    code = make_request(client, auth, ("Lệ phí", "charge", 300_000))
    with unit_of_work(db) as s:
        paid = cash.take_cash(s, code=code, amount_vnd=100_000, cashier=CASHIER, idempotency_key=None,
                              settings=test_settings, now=now_utc())
    assert lock_order[:2] == ["cash_drawers", "payment_requests"], lock_order
    with unit_of_work(db) as s:
        refund = refunds.request_refund(s, payment_id=paid.payment_id, amount_vnd=50_000, reason="trả lại",
                                        expected_refundable_vnd=100_000, settings=test_settings,
                                        actor="user:2:Kế toán Lan", now=now_utc())
    lock_order.clear()
    with unit_of_work(db) as s:
        refunds.mark_executed(s, refund_id=refund.id, reference=None, settings=test_settings, actor=CASHIER,
                              now=now_utc())
    assert lock_order.index("cash_drawers") < lock_order.index("payment_requests"), lock_order


def test_the_same_cash_payment_sent_twice_at_once_gives_the_second_the_first_answer(client, auth, db, engine,
                                                                                    test_settings):
    import threading

    from payments.credits import DUPLICATE
    from tests.locks import wait_until_blocked

    code = make_request(client, auth, ("Lệ phí", "charge", 300_000))
    outcome: list = []

    def retry() -> None:
        try:
            with unit_of_work(db) as s:
                outcome.append(cash.take_cash(s, code=code, amount_vnd=300_000, cashier=CASHIER, idempotency_key="K-1",
                                              settings=test_settings, now=now_utc()))
        except Exception as exc:  # noqa: BLE001 - handed to the test
            outcome.append(exc)

    with unit_of_work(db) as s:
        first = cash.take_cash(s, code=code, amount_vnd=300_000, cashier=CASHIER, idempotency_key="K-1",
                               settings=test_settings, now=now_utc())
        thread = threading.Thread(target=retry)  # a double click: the same key before the first commits
        thread.start()
        wait_until_blocked(engine, thread)
    thread.join()
    [again] = outcome
    assert not isinstance(again, Exception), repr(again)
    assert (again.outcome, again.payment_id) == (DUPLICATE, first.payment_id)
