"""A batch of late callbacks is compared only with the statement payments that could be its transfers.

Every statement payment that arrived in suspense with an amount of the batch is a candidate (the
memo rule), so after a day whose statement came first a worker's batch of 500 locked thousands of
them; each callback was then checked against every one of them, rule after rule (a worker applied
25 callbacks a second instead of hundreds). The rules are the same; a callback is only compared
with the statements sharing its reference, a code it names or (money in suspense) its amount, and
a statement payment in suspense is locked only when its memo is one of the batch's."""
from dataclasses import replace
from datetime import datetime

from kernel.db import unit_of_work
from payments import announcements
from payments.credits import LINKED, SUSPENSE, IncomingCredit, record_credits
from tests.factories import assert_ledger_ok

ACCOUNT = "bank:970436:0071001234567"
BOOKED = datetime.fromisoformat("2026-11-24T09:00:00+07:00")


def credit(provider: str, i: int, memo: str) -> IncomingCredit:
    return IncomingCredit(provider=provider, provider_ref=f"{provider[:2].upper()}{i:04d}", channel="vietqr_transfer",
                          amount_vnd=10_000 + i * 1_000, booked_at=BOOKED, clearing_account=ACCOUNT, memo=memo,
                          bank_reference=f"{provider[:2].upper()}{i:04d}",
                          details={"statement_import_id": 1, "line_no": i} if provider == "statement" else None)


def test_each_late_callback_is_compared_with_the_statements_of_its_amount_only(db, test_settings, monkeypatch):
    n = 30
    with unit_of_work(db) as s:  # a statement first: transfers without a code, each its own amount, in suspense
        record_credits(s, [credit("statement", i, f"chuyen tien ho so {i}") for i in range(n)],
                       settings=test_settings, actor="test", now=BOOKED)
    compared, locked = [], []
    real_may_book, real_lock = announcements.may_book, announcements._lock
    monkeypatch.setattr(announcements, "may_book", lambda *a: compared.append(a) or real_may_book(*a))
    monkeypatch.setattr(announcements, "_lock", lambda conn, ids: locked.extend(ids) or real_lock(conn, ids))
    with unit_of_work(db) as s:  # other transfers of the same amounts, announced late in one batch
        results = record_credits(s, [credit("bank", i, f"nop tien ho so khac {i}") for i in range(n)],
                                 settings=test_settings, actor="test", now=BOOKED)
    assert {r.outcome for r in results} == {SUSPENSE}  # another memo and reference: none of them is linked
    assert len(compared) <= 4 * n  # each with its one statement of that amount, once per rule at most
    assert locked == []  # no statement payment's memo is one of theirs: none is locked (a batch locked them all)
    with unit_of_work(db) as s:  # and one that is a statement's transfer (its memo) is still linked to it
        again = record_credits(s, [credit("sepay", 7, "CT chuyen tien ho so 7")], settings=test_settings,
                               actor="test", now=BOOKED)
    assert [r.outcome for r in again] == [LINKED]
    assert len(locked) == 1
    assert_ledger_ok(db)


def test_a_late_callback_naming_another_form_of_the_reference_is_linked_whatever_its_memo(db, test_settings):
    with unit_of_work(db) as s:  # a CSV statement first: the reference as the bank's export writes it
        [first] = record_credits(s, [replace(credit("statement", 1, "MBVCB.12345.chuyen tien ho so 1"),
                                             bank_reference="5000.96828")],
                                 settings=test_settings, actor="test", now=BOOKED)
    assert first.outcome == SUSPENSE
    with unit_of_work(db) as s:  # the callback names it as the bank's API does, with a memo of its own
        [late] = record_credits(s, [replace(credit("bank", 1, "NGUYEN VAN AN CK"), bank_reference="500096828")],
                                settings=test_settings, actor="test", now=BOOKED)
    assert (late.outcome, late.payment_id) == (LINKED, first.payment_id)  # not the same money a second time
    assert_ledger_ok(db)


def test_a_repeat_of_a_callback_linked_by_its_memo_is_linked_again_whatever_its_memo(db, test_settings):
    with unit_of_work(db) as s:
        [first] = record_credits(s, [credit("statement", 3, "CT chuyen tien ho so 3")],
                                 settings=test_settings, actor="test", now=BOOKED)
    with unit_of_work(db) as s:
        [late] = record_credits(s, [replace(credit("bank", 3, "chuyen tien ho so 3"), bank_reference=None)],
                                settings=test_settings, actor="test", now=BOOKED)
    assert (late.outcome, late.payment_id) == (LINKED, first.payment_id)
    with unit_of_work(db) as s:  # the gateway sends the transaction again, its memo written otherwise
        [again] = record_credits(s, [replace(credit("bank", 3, "HS 3 NGUYEN VAN AN"), bank_reference=None)],
                                 settings=test_settings, actor="test", now=BOOKED)
    assert (again.outcome, again.payment_id) == (LINKED, first.payment_id)
    assert_ledger_ok(db)
