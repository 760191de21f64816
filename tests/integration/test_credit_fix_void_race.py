"""A card sale and its void handled at the same moment by two workers: whichever records first,
the other waits for it (a lock shared by the sale and its void, keyed by the sale), so the sale
always ends reversed. Run on PostgreSQL with real locks; SQLite serialises writers and passes
the same assertions."""
import threading

from sqlalchemy import select

from kernel.clock import now_utc
from kernel.db import unit_of_work
from payments.channels import pos
from payments.credits import record_credit, record_reversal
from payments.models import Payment, PendingReversal
from tests.factories import assert_ledger_ok, make_request, signed
from tests.locks import wait_until_blocked


def event(settings, **fields):
    """What the POS adapter makes of a signed terminal message (so the keys are the channel's own)."""
    data = {"transaction_id": "S1", "terminal_id": "POS-01", "type": "sale", "amount_vnd": 100_000,
            "payment_code": "", "approval_code": "123456", "card_masked": "970436******1234",
            "card_scheme": "NAPAS", "occurred_at": now_utc().isoformat(), **fields}
    headers, body = signed(settings, "HCCPAY_POS_WEBHOOK_SECRET", data)
    return pos.parse(headers, body, settings, now_utc())


def sale(settings, code):
    return event(settings, payment_code=code).credit


def void(settings):
    return event(settings, transaction_id="V1", type="void", original_transaction_id="S1")


def record_sale(db, settings, code):
    with unit_of_work(db) as s:
        return record_credit(s, sale(settings, code), settings=settings, actor="test", now=now_utc()).outcome


def record_void(db, settings):
    v = void(settings)
    with unit_of_work(db) as s:
        return record_reversal(s, provider=v.provider, provider_ref=v.provider_ref, original_ref=v.original_ref,
                               amount_vnd=v.amount_vnd, settings=settings, actor="test", now=now_utc())


def paid_vnd(client, code):
    return client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"]


def sale_and_pending(db):
    with db() as s:
        return (s.execute(select(Payment.status)).scalars().all(),
                s.execute(select(PendingReversal.applied_at.is_not(None))).scalars().all())


def test_a_void_handled_while_its_sale_is_being_recorded_waits_for_it_and_reverses_it(
        client, auth, test_settings, db, engine):
    code = make_request(client, auth)
    outcomes: list = []
    with unit_of_work(db) as s:  # one worker: the sale recorded, not yet committed
        record_credit(s, sale(test_settings, code), settings=test_settings, actor="test", now=now_utc())
        other = threading.Thread(target=lambda: outcomes.append(record_void(db, test_settings)))
        other.start()
        wait_until_blocked(engine, other)
    other.join()
    assert outcomes == ["applied"]
    assert sale_and_pending(db) == (["reversed"], [True])  # the void kept, applied
    assert paid_vnd(client, code) == 0
    assert_ledger_ok(db)


def test_a_sale_handled_while_its_void_is_being_filed_waits_for_it_and_is_undone(
        client, auth, test_settings, db, engine):
    code = make_request(client, auth)
    outcomes: list = []
    with unit_of_work(db) as s:  # one worker: the void filed as waiting for its sale, not yet committed
        v = void(test_settings)
        assert record_reversal(s, provider=v.provider, provider_ref=v.provider_ref, original_ref=v.original_ref,
                               amount_vnd=v.amount_vnd, settings=test_settings, actor="test",
                               now=now_utc()) == "pending"
        other = threading.Thread(target=lambda: outcomes.append(record_sale(db, test_settings, code)))
        other.start()
        wait_until_blocked(engine, other)
    other.join()
    assert outcomes == ["suspense"]  # recorded and undone at once: it never reached the request
    assert sale_and_pending(db) == (["reversed"], [True])
    assert paid_vnd(client, code) == 0
    assert_ledger_ok(db)
