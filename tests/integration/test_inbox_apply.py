"""Payment callbacks are answered once stored and verified, and applied by the workers in
batches: every stored one exactly once, in arrival order, one bad row never holding the rest."""
import threading

from sqlalchemy import func, select, update

from kernel.inbox import InboundCallback
from payments.inbox_apply import apply_queued, drain
from payments.ledger import LedgerEntry
from payments.models import Payment, PaymentRequest
from tests.factories import assert_ledger_ok, make_request, send_callback, signed


def inbox_rows(db):
    with db() as s:
        return {r.id: (r.status, r.reason, r.external_id) for r in s.scalars(select(InboundCallback)
                                                                            .order_by(InboundCallback.id))}


def request_state(db, code):
    with db() as s:
        r = s.scalars(select(PaymentRequest).where(PaymentRequest.payment_code == code)).one()
        return r.status, r.paid_vnd


def count(db, model):
    with db() as s:
        return s.scalar(select(func.count()).select_from(model))


def queue_payments(client, auth, settings, n: int, amount: int, prefix: str, *, twice=lambda i: False):
    """n requests, each paid in full by a bank push that is answered and left queued."""
    codes = [make_request(client, auth, ("Lệ phí", "charge", amount)) for _ in range(n)]
    plain = client.queued_only()
    for i, code in enumerate(codes):
        for _ in range(2 if twice(i) else 1):
            send_callback(plain, settings, "bank", code=code, amount=amount, txn_id=f"{prefix}-{i}")
    return codes


def test_a_verified_callback_is_answered_when_stored_and_credited_by_the_worker(client, auth, test_settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    plain = client.queued_only()
    reply = send_callback(plain, test_settings, "bank", code=code, amount=100_000, txn_id="Q-1")
    assert reply.status_code == 200 and reply.json == {"received": True}
    [(status, _, external_id)] = inbox_rows(db).values()
    assert (status, external_id) == ("queued", "Q-1")
    assert request_state(db, code) == ("pending", 0) and count(db, Payment) == 0

    assert drain(db, test_settings) == 1
    assert [s for s, _, _ in inbox_rows(db).values()] == ["applied"]
    assert request_state(db, code) == ("paid", 100_000)
    assert drain(db, test_settings) == 0  # nothing is applied twice
    assert count(db, Payment) == 1
    assert_ledger_ok(db)


def test_one_batch_keeps_arrival_order_duplicates_conflicts_and_voids(client, auth, test_settings, db):
    first = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    second = make_request(client, auth, ("Lệ phí", "charge", 60_000))
    by_card = make_request(client, auth, ("Lệ phí", "charge", 40_000))
    plain = client.queued_only()
    send_callback(plain, test_settings, "bank", code=first, amount=100_000, txn_id="B-1")
    send_callback(plain, test_settings, "bank", code=first, amount=100_000, txn_id="B-1")  # a repeat
    send_callback(plain, test_settings, "bank", code=second, amount=30_000, txn_id="B-2")
    send_callback(plain, test_settings, "bank", code=second, amount=99_000, txn_id="B-2")  # same id, other amount
    send_callback(plain, test_settings, "sepay", code=second, amount=30_000, txn_id="777")
    send_callback(plain, test_settings, "pos", code=by_card, amount=40_000, txn_id="POS-1")
    headers, body = signed(test_settings, "HCCPAY_POS_WEBHOOK_SECRET", {
        "transaction_id": "POS-2", "terminal_id": "POS-HCC-01", "type": "void", "original_transaction_id": "POS-1",
        "amount_vnd": 40_000, "payment_code": by_card, "approval_code": "000002", "card_masked": "970436******1234",
        "card_scheme": "NAPAS", "occurred_at": "2026-11-25T10:00:00+07:00"})
    assert plain.post("/api/v1/callbacks/pos", data=body, headers=headers).status_code == 200
    assert {s for s, _, _ in inbox_rows(db).values()} == {"queued"}

    assert apply_queued(db, test_settings) == 7  # one batch
    assert [s for s, _, _ in inbox_rows(db).values()] == [
        "applied", "duplicate", "applied", "conflict", "applied", "applied", "applied"]
    assert request_state(db, first) == ("paid", 100_000)
    assert request_state(db, second) == ("paid", 60_000)
    assert request_state(db, by_card) == ("pending", 0)  # the sale, then its void
    assert count(db, Payment) == 4
    assert_ledger_ok(db)


def test_a_row_that_cannot_be_applied_is_parked_and_the_rest_of_its_batch_applies(client, auth, test_settings, db):
    codes = queue_payments(client, auth, test_settings, 3, 50_000, "P")
    broken = sorted(inbox_rows(db))[1]
    with db() as s, s.begin():
        s.execute(update(InboundCallback).where(InboundCallback.id == broken).values(event={"type": "credit"}))

    assert apply_queued(db, test_settings) == 3
    rows = inbox_rows(db)
    assert [rows[i][0] for i in sorted(rows)] == ["applied", "received", "applied"]
    assert rows[broken][1].startswith("processing failed")
    assert [request_state(db, c)[0] for c in codes] == ["paid", "pending", "paid"]
    assert drain(db, test_settings) == 0  # a parked row waits for a person, not for the next tick
    assert_ledger_ok(db)


def test_workers_draining_at_once_apply_every_callback_exactly_once(client, auth, test_settings, db):
    codes = queue_payments(client, auth, test_settings, 40, 20_000, "W", twice=lambda i: i % 4 == 0)
    barrier = threading.Barrier(4)

    def worker():
        barrier.wait()
        while apply_queued(db, test_settings, limit=7):
            pass

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = [s for s, _, _ in inbox_rows(db).values()]
    assert statuses.count("applied") == 40 and statuses.count("duplicate") == 10 and len(statuses) == 50
    assert count(db, Payment) == 40 and count(db, LedgerEntry) == 40
    assert all(request_state(db, c) == ("paid", 20_000) for c in codes)
    assert_ledger_ok(db)


def test_expiry_is_judged_when_the_callback_arrived_not_when_a_worker_applies_it(client, auth, test_settings, db):
    from datetime import timedelta

    [code] = queue_payments(client, auth, test_settings, 1, 70_000, "E")
    with db() as s, s.begin():
        arrived = s.scalar(select(InboundCallback.received_at))
        s.execute(update(PaymentRequest).where(PaymentRequest.payment_code == code)
                  .values(expires_at=arrived + timedelta(microseconds=1)))  # expired before the worker came

    assert drain(db, test_settings) == 1
    assert request_state(db, code) == ("paid", 70_000)
    assert_ledger_ok(db)
