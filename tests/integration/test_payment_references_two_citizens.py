"""Review of `payment_references`: two citizens pay one code the same amount the same day, each
transfer reported by the statement (its "Số CT"), the bank's API (FT…) and SePay (naming either).
Two transfers stay two payments (never linked into one), and neither is credited twice, in the
orders below (every order after the statement when SePay names the FT…; not every order in which SePay
names the "Số CT" before the statement shows it, which no rule can tell from another transfer: those
leave a payment without a statement line, for finance, docs/decisions.md "One claim per feed")."""
import itertools

import pytest
from sqlalchemy import func, select

from kernel.db import unit_of_work
from kernel.inbox import InboundCallback
from payments.credits import IncomingCredit, record_credit
from payments.models import Payment
from payments.payment_references import keys_of
from tests.factories import assert_ledger_ok, make_request
from tests.recon_factories import bank_callback, upload, vcb_csv
from tests.integration.test_late_callback_concurrency import ACCOUNT, BOOKED, callback

AMOUNT = 100_000
TRANSFERS = {1: ("5000.11111", "FT330000001"), 2: ("5000.22222", "FT330000002")}


def sepay(db, settings, code: str, reference: str, txn: str):
    credit = IncomingCredit(provider="sepay", provider_ref=txn, channel="vietqr_transfer", amount_vnd=AMOUNT,
                            booked_at=BOOKED, clearing_account=ACCOUNT, memo=f"{code} nop phi",
                            bank_reference=reference)
    with unit_of_work(db) as s:
        return record_credit(s, credit, settings=settings, actor="test", now=BOOKED)


def money(db) -> tuple[int, int]:
    with db() as s:
        return tuple(s.execute(select(func.count(), func.coalesce(func.sum(Payment.amount_vnd), 0))
                               .where(Payment.status == "active")).one())


def run(client, auth, db, settings, code, steps):
    for step in steps:
        kind, who = step[0], step[1:]
        if kind == "S":  # the statement, both lines
            upload(client, auth, vcb_csv(*[(TRANSFERS[n][0], "", "100.000", f"{code} nop phi") for n in (1, 2)]))
        elif kind == "A":  # the API's report of transfer n
            n = int(who)
            bank_callback(client, settings, TRANSFERS[n][1], AMOUNT, f"{code} nop phi")
        else:  # SePay's report of transfer n naming its statement reference (r) or its FT (f)
            n, form = int(who[0]), who[1]
            reference = TRANSFERS[n][0] if form == "r" else TRANSFERS[n][1]
            sepay(db, settings, code, reference, f"SP-{n}")


ORDERS = [
    "S A1 A2 P1r P2r", "S A2 A1 P1r P2r", "S A1 A2 P1f P2f", "S A2 A1 P2f P1f",
    "A1 A2 S P1r P2r", "A2 A1 S P2r P1f", "A1 S P1r P2r", "A1 S P2r P1f",
    "A1 P2r S", "A1 P2f S", "P1r A2 S", "S P1r P2f A2", "S A1 P2r", "S P2r A1",
    # A statement payment SePay announced is still the API's to announce (by code), once: each feed
    # reports every transfer (these were credited twice while one callback claimed a payment for all).
    "S A1 P2r P1r A2", "S P1r A1 A2", "S P1r A2 A1", "S P2r P1r A1 A2", "S P1f A1 A2", "S P1r A1 P2r A2", "S A1 P1r P2f A2",
    # A reference another feed named beats a code (SePay's FT1 is the API's payment, not the other line).
    "A1 S P1f A2 P2f", "P1f S A1 A2 P2f",
    # The API's report of transfer 2 took line 1 by code before SePay named line 2's "Số CT": SePay's report
    # of transfer 1 moves that code claim to line 2 and takes line 1 (it was credited a third time).
    "S A2 P2r P1f A1", "S P2r A2 P1f A1",
]
# Every order of the two feeds' four reports after the statement, SePay naming the FT… as it does.
ORDERS += [order for order in (" ".join(("S",) + p) for p in itertools.permutations(["A1", "A2", "P1f", "P2f"]))
           if order not in ORDERS]


@pytest.mark.parametrize("order", ORDERS)
def test_two_citizens_paying_one_code_one_amount_stay_two_payments_credited_once(
        client, auth, test_settings, db, order):
    code = make_request(client, auth)
    run(client, auth, db, test_settings, code, order.split())
    assert money(db) == (2, 2 * AMOUNT)
    assert_ledger_ok(db)


def test_a_third_feed_during_the_import_that_links_the_line_waits_for_it_and_is_linked(
        client, auth, test_settings, db, engine, monkeypatch):
    """The API's report came first; while the statement import links its line (by the code) and is
    not yet committed, SePay reports the transfer naming the line's reference: it waits for the
    import (the account's lock), then finds the payment by the reference the import added."""
    import threading

    from reconciliation import importer
    from tests.locks import wait_until_blocked

    code = make_request(client, auth)
    statement_ref, api_ref = TRANSFERS[1]
    bank_callback(client, test_settings, api_ref, AMOUNT, f"{code} nop phi")
    results: list = []
    remember = importer.remember

    def remember_then_race(conn, named, **kwargs):
        remember(conn, named, **kwargs)
        late = threading.Thread(target=lambda: results.append(sepay(db, test_settings, code, statement_ref, "SP-1")))
        late.start()
        wait_until_blocked(engine, late)
        races.append(late)

    races: list = []
    monkeypatch.setattr(importer, "remember", remember_then_race)
    upload(client, auth, vcb_csv((statement_ref, "", "100.000", f"{code} nop phi")))
    [late] = races
    late.join()
    with db() as s:
        [api_payment] = s.execute(select(Payment.id).where(Payment.provider == "bank")).scalars()
    assert [(r.outcome, r.payment_id) for r in results] == [("linked", api_payment)]
    assert money(db) == (1, AMOUNT)
    assert_ledger_ok(db)


def test_a_reference_a_second_statement_file_gives_a_stored_line_names_its_payment(client, auth, test_settings, db):
    """A spreadsheet that lost the references was imported first; the API's report claimed its line's
    payment by the code. Another file of the day names the line's "Số CT": it is the stored line (by
    day, amount and memo), and its payment is known by that reference too, so SePay naming it is
    linked, not credited a second time."""
    code = make_request(client, auth)
    statement_ref, api_ref = TRANSFERS[1]
    upload(client, auth, vcb_csv(("", "", "100.000", f"{code} nop phi")))
    bank_callback(client, test_settings, api_ref, AMOUNT, f"{code} nop phi")
    body = upload(client, auth, vcb_csv((statement_ref, "", "100.000", f"{code} nop phi"))).json
    assert (body["lines_new"], body["lines_duplicate"]) == (0, 1)
    third = sepay(db, test_settings, code, statement_ref, "SP-1")
    assert third.outcome == "linked"
    assert money(db) == (1, AMOUNT)
    assert_ledger_ok(db)


def api(db, settings, code: str, reference: str):
    """The bank API's report of a transfer (its FT…), recorded as the callback route records it."""
    with unit_of_work(db) as s:
        return record_credit(s, callback("bank", reference, code, AMOUNT), settings=settings, actor="test",
                             now=BOOKED)


def test_a_second_feeds_claim_is_its_own_its_repeat_links_again_and_a_contradicting_repeat_names_the_payment(
        client, auth, test_settings, db):
    code = make_request(client, auth)
    upload(client, auth, vcb_csv((TRANSFERS[1][0], "", "100.000", f"{code} nop phi")))
    first = sepay(db, test_settings, code, TRANSFERS[1][0], "SP-1")  # SePay claims the line's payment
    second = api(db, test_settings, code, TRANSFERS[1][1])  # the API, by code: the same payment, its own claim
    assert (first.outcome, second.outcome) == ("linked", "linked") and first.payment_id == second.payment_id
    with db() as s:
        details = s.get(Payment, first.payment_id).details
    assert (details["callback_provider"], details["callback_ref"]) == ("sepay", "SP-1")  # the first claim stays
    assert details["other_feeds"]["bank"]["ref"] == TRANSFERS[1][1]
    again = api(db, test_settings, code, TRANSFERS[1][1])
    assert (again.outcome, again.payment_id) == ("linked", first.payment_id)
    assert money(db) == (1, AMOUNT)
    # Another API transfer of the code and amount is not this one: the API has announced it already.
    assert api(db, test_settings, code, "FT330000009").outcome == "applied"
    assert money(db) == (2, 2 * AMOUNT)
    assert_ledger_ok(db)


def test_a_claim_made_by_code_moves_to_the_other_line_when_a_report_shows_it_was_the_other_transfer(
        client, auth, test_settings, db):
    """"S A2 P2r P1f A1": the API's report of transfer 2 took line 1 by code; SePay's report of
    transfer 1 moves it to line 2, so each line ends with its own transfer's reports, and the API's
    stored callback names the payment it is linked to now."""
    code = make_request(client, auth)
    upload(client, auth, vcb_csv(*[(TRANSFERS[n][0], "", "100.000", f"{code} nop phi") for n in (1, 2)]))
    bank_callback(client, test_settings, TRANSFERS[2][1], AMOUNT, f"{code} nop phi")
    with db() as s:
        line_1, line_2 = s.execute(select(Payment.id).where(Payment.provider == "statement")
                                   .order_by(Payment.id)).scalars()
        assert s.get(Payment, line_1).details["callback_ref"] == TRANSFERS[2][1]  # nothing told them apart yet
    assert sepay(db, test_settings, code, TRANSFERS[2][0], "SP-2").payment_id == line_2
    assert sepay(db, test_settings, code, TRANSFERS[1][1], "SP-1").payment_id == line_1
    last = api(db, test_settings, code, TRANSFERS[1][1])
    assert (last.outcome, last.payment_id) == ("linked", line_1)
    with db() as s:
        first, second = s.get(Payment, line_1), s.get(Payment, line_2)
        assert (first.details["callback_provider"], first.details["callback_ref"], first.inbox_id) == (
            "sepay", "SP-1", None)
        assert first.details["other_feeds"]["bank"]["ref"] == TRANSFERS[1][1]
        assert second.details["other_feeds"]["bank"]["ref"] == TRANSFERS[2][1]
        assert keys_of(s.connection(), [line_1, line_2]) == {
            line_1: {"500011111": "statement", "FT330000001": "sepay"},
            line_2: {"500022222": "statement", "FT330000002": "bank"}}
        reason = s.execute(select(InboundCallback.reason).where(
            InboundCallback.external_id == TRANSFERS[2][1])).scalar_one()
    assert f"(payment {line_2})" in reason and f"payment {line_1}, another transfer's line" in reason
    assert money(db) == (2, 2 * AMOUNT)
    assert_ledger_ok(db)
