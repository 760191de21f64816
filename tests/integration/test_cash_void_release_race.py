"""A cashier's void and finance's release of the same payment's allocation (`release_to_suspense`) lock
the payment before its allocation, as every writer of a payment does: taken the other way round (the
allocation first) the two deadlocked on PostgreSQL, one of them lost as 409 `concurrent_update`. Here
each is held at the moment the old order made them cross: the release about to lock the payment, the
void holding it; one must win and the other be refused with its own reason, never a deadlock.
PostgreSQL only: SQLite serialises writers, so the two never hold row locks at once."""
import threading

import pytest
from sqlalchemy import select

from kernel.clock import now_utc
from kernel.db import unit_of_work
from kernel.errors import Conflict
from payments import cash_voids, corrections
from payments.models import PaymentAllocation, PaymentRequest
from tests.factories import assert_ledger_ok, make_request
from tests.integration.test_cash_fix_drawer_close_race import CASHIER, take


@pytest.fixture(autouse=True)
def postgresql_only(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks of two writers at once: PostgreSQL only")


def test_a_void_and_a_release_of_the_same_cash_do_not_deadlock(client, auth, db, test_settings, monkeypatch):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    payment_id = take(db, test_settings, code).payment_id
    with db() as s:
        allocation_id = s.execute(select(PaymentAllocation.id)).scalar_one()
    release_ready, void_ready = threading.Event(), threading.Event()
    original = corrections._locked_payment

    def meet(conn, pid):
        """Each side, when it asks for the payment, waits until the other has got as far as it can."""
        if threading.current_thread().name == "release":
            release_ready.set()
            void_ready.wait(5)
        else:
            void_ready.set()  # the void holds the drawer and the payment by now (cash_voids)
            release_ready.wait(5)
        return original(conn, pid)

    monkeypatch.setattr(corrections, "_locked_payment", meet)

    def release():
        with unit_of_work(db) as s:
            return corrections.release_to_suspense(s, allocation_id=allocation_id, reason="Nhầm hồ sơ",
                                                   settings=test_settings, actor="user:2:Kế toán Lan", now=now_utc())

    def void():
        with unit_of_work(db) as s:
            return cash_voids.void_cash(s, payment_id=payment_id, reason="Thu nhầm hồ sơ", actor=CASHIER,
                                        any_cashier=False, settings=test_settings, now=now_utc())[2]

    outcomes: list = []

    def run(call):
        try:
            outcomes.append(call())
        except Exception as exc:  # noqa: BLE001 - handed to the test
            outcomes.append(exc)

    threads = [threading.Thread(target=run, args=(call,), name=name) for name, call in
               (("release", release), ("void", void))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(outcomes) == 2, outcomes
    assert not any(isinstance(o, Exception) and not isinstance(o, Conflict) for o in outcomes), outcomes
    won = [o for o in outcomes if not isinstance(o, Exception)]
    lost = [o for o in outcomes if isinstance(o, Exception)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    assert lost[0].code in {"allocation_released", "payment_reversed", "payment_moved", "concurrent_update"}
    assert lost[0].code != "concurrent_update", "a deadlock: the two locked the payment and its allocation " \
                                                "in opposite orders"
    with db() as s:
        assert s.execute(select(PaymentRequest.paid_vnd)).scalar_one() == 0
    assert_ledger_ok(db)
