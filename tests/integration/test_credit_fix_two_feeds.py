"""One bank transfer reported by two feeds (SePay and payOS watch the same collection account):
the second report names a bank reference already credited for the same account and amount, so it
is linked to that payment (recorded, answered, never credited again), in either order, in one
worker batch, at the same moment (PostgreSQL locks), and after a statement line credited it."""
import threading
from datetime import datetime

from sqlalchemy import select

from kernel.db import unit_of_work
from kernel.inbox import InboundCallback
from payments.channels import payos, sepay
from payments.credits import APPLIED, LINKED, record_credit
from payments.inbox_apply import apply_queued
from sandbox.bank import callback_request
from tests.factories import assert_ledger_ok, make_request
from tests.locks import wait_until_blocked
from tests.recon_factories import count_payments, paid_vnd, upload, vcb_csv

BOOKED = datetime.fromisoformat("2026-11-24T09:00:00+07:00")


def report(via, settings, code, amount=100_000, txn="330123456"):
    """(path, headers, body) of `via`'s report of the transfer with bank reference FT<txn>."""
    return callback_request(via, settings=settings, payment_code=code, amount_vnd=amount, txn_id=txn, at=BOOKED)


def send(client, settings, via, code, **kwargs):
    path, headers, body = report(via, settings, code, **kwargs)
    r = client.post(path, data=body, headers=headers)
    assert r.status_code == 200 and r.json == {"success": True}, r.json
    return r


def parsed(via, settings, code, **kwargs):
    _, headers, body = report(via, settings, code, **kwargs)
    return {"sepay": sepay, "payos": payos}[via].parse(headers, body, settings, BOOKED).credit


def inbox(db):
    with db() as s:
        return [(c.provider, c.status, c.reason) for c in
                s.execute(select(InboundCallback).order_by(InboundCallback.id)).scalars()]


def test_the_same_transfer_from_sepay_then_payos_is_credited_once(client, auth, test_settings, db):
    code = make_request(client, auth)
    send(client, test_settings, "sepay", code)
    send(client, test_settings, "payos", code)
    assert paid_vnd(client, code) == 100_000 and count_payments(db) == 1
    (_, first, _), (_, second, reason) = inbox(db)
    assert (first, second) == ("applied", "duplicate")
    assert "sepay" in reason and "not credited again" in reason
    assert_ledger_ok(db)


def test_another_reference_from_the_other_feed_is_another_transfer(client, auth, test_settings, db):
    code = make_request(client, auth)
    send(client, test_settings, "sepay", code)
    send(client, test_settings, "payos", code, txn="330123457")
    assert paid_vnd(client, code) == 200_000 and count_payments(db) == 2
    assert_ledger_ok(db)


def test_another_amount_for_the_same_reference_and_codes_is_a_conflict_not_more_money(client, auth, test_settings,
                                                                                       db):
    code = make_request(client, auth)
    send(client, test_settings, "sepay", code)
    send(client, test_settings, "payos", code, amount=150_000)  # one transfer, two amounts: one report is wrong
    assert paid_vnd(client, code) == 100_000 and count_payments(db) == 1
    (_, first, _), (_, second, reason) = inbox(db)
    assert (first, second) == ("applied", "conflict")
    assert "150000" in reason and "left to finance" in reason
    assert_ledger_ok(db)


def test_another_amount_under_a_repeated_reference_naming_another_code_is_another_transfer(
        client, auth, test_settings, db):
    code, other = make_request(client, auth), make_request(client, auth, ("Lệ phí", "charge", 50_000))
    send(client, test_settings, "sepay", code)
    send(client, test_settings, "payos", other, amount=50_000)
    assert (paid_vnd(client, code), paid_vnd(client, other), count_payments(db)) == (100_000, 50_000, 2)
    assert_ledger_ok(db)


def test_both_reports_in_one_worker_batch_are_credited_once(client, auth, test_settings, db):
    code = make_request(client, auth)
    plain = client.queued_only()
    send(plain, test_settings, "payos", code)
    send(plain, test_settings, "sepay", code)
    runtime = client.application.extensions["hccpay"]
    assert apply_queued(runtime.sessions, runtime.settings) == 2
    assert paid_vnd(client, code) == 100_000 and count_payments(db) == 1
    assert [status for _, status, _ in inbox(db)] == ["applied", "duplicate"]
    assert_ledger_ok(db)


def test_the_second_report_at_the_same_moment_waits_for_the_first_and_is_linked(
        client, auth, test_settings, db, engine):
    code = make_request(client, auth)
    results: list = []

    def second() -> None:
        with unit_of_work(db) as s:
            results.append(record_credit(s, parsed("payos", test_settings, code), settings=test_settings,
                                         actor="test", now=BOOKED))

    with unit_of_work(db) as s:  # one worker: SePay's report credited, not yet committed
        first = record_credit(s, parsed("sepay", test_settings, code), settings=test_settings, actor="test",
                              now=BOOKED)
        assert first.outcome == APPLIED
        other = threading.Thread(target=second)
        other.start()
        wait_until_blocked(engine, other)
    other.join()
    assert [(r.outcome, r.payment_id) for r in results] == [(LINKED, first.payment_id)]
    assert paid_vnd(client, code) == 100_000 and count_payments(db) == 1
    assert_ledger_ok(db)


def test_after_a_statement_line_credited_it_both_feeds_link_to_that_payment(client, auth, test_settings, db):
    code = make_request(client, auth)
    upload(client, auth, vcb_csv(("FT330123456", "", "100.000", f"{code} nop le phi ho so")))
    before = count_payments(db)
    send(client, test_settings, "sepay", code)
    send(client, test_settings, "payos", code)
    assert paid_vnd(client, code) == 100_000 and count_payments(db) == before
    assert [status for _, status, _ in inbox(db)] == ["duplicate", "duplicate"]
    assert_ledger_ok(db)
