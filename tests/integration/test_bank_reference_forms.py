"""One transfer reported by a bank callback and by a statement, each writing the bank's reference its
own way ("5000.96828" in a CSV export, "500096828" from the API, case and spaces as `normalise_ref`
drops them), is linked once and credited once: whichever comes first, whichever form was stored, and
also when the payment was paid by its code and the other side names no code (no code, amount or memo
rule can pair them then; the reference is all there is). Two feeds of one account too. A filler
("0", N/A, NOTPROVIDED) stays no reference: it keys nothing and links nothing."""
from dataclasses import replace

import pytest
from sqlalchemy import select

from kernel.db import unit_of_work
from kernel.inbox import InboundCallback
from payments.credits import APPLIED, LINKED, record_credit
from payments.models import Payment, PaymentReference
from tests.factories import make_request
from tests.integration.test_credit_fix_two_feeds import BOOKED, parsed, send
from tests.recon_factories import all_lines, bank_callback, count_payments, paid_vnd, upload, vcb_csv

FORMS = [("5000.96828", "500096828"), ("500096828", "5000.96828"), ("ft-2611 24", "FT261124")]
NO_CODE = "NGUYEN VAN AN chuyen tien"


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def stored_status(db, ref: str) -> str:
    with db() as s:
        return s.execute(select(InboundCallback.status).where(InboundCallback.external_id == ref)).scalar_one()


@pytest.mark.parametrize("statement_ref,callback_ref", FORMS)
def test_a_late_callback_naming_no_code_is_linked_to_the_code_paid_statement_payment_by_its_reference(
        client, auth, test_settings, db, statement_ref, callback_ref):
    code = make_request(client, auth, ("Lệ phí", "charge", 30_000))
    body = upload(client, auth, vcb_csv((statement_ref, "", "30.000", f"{code} nop phi"))).json
    [line] = all_lines(client, auth, body["import_id"])
    assert paid_vnd(client, code) == 30_000
    before = count_payments(db)
    bank_callback(client, test_settings, callback_ref, 30_000, NO_CODE)
    assert count_payments(db) == before  # linked, not a second payment of the same money in suspense
    assert stored_status(db, callback_ref) == "duplicate"
    with db() as s:
        assert s.get(Payment, line["payment_id"]).details["callback_ref"] == callback_ref


@pytest.mark.parametrize("callback_ref,statement_ref", FORMS)
def test_a_statement_line_naming_no_code_is_linked_to_the_code_paid_callback_payment_by_its_reference(
        client, auth, test_settings, db, callback_ref, statement_ref):
    code = make_request(client, auth, ("Lệ phí", "charge", 30_000))
    bank_callback(client, test_settings, callback_ref, 30_000, f"{code} nop phi")
    assert paid_vnd(client, code) == 30_000
    with db() as s:
        callback_payment = s.execute(select(Payment.id).where(Payment.provider == "bank")).scalar_one()
    before = count_payments(db)
    body = upload(client, auth, vcb_csv((statement_ref, "", "30.000", NO_CODE))).json
    [line] = all_lines(client, auth, body["import_id"])
    assert line["payment_id"] == callback_payment  # the callback's payment, not a new one in suspense
    assert count_payments(db) == before and paid_vnd(client, code) == 30_000


def credit(db, settings, via: str, code: str, bank_reference: str):
    """`via`'s report of a transfer paying `code`, naming `bank_reference`, through the one crediting path."""
    with unit_of_work(db) as s:
        return record_credit(s, replace(parsed(via, settings, code), bank_reference=bank_reference),
                             settings=settings, actor="test", now=BOOKED)


@pytest.mark.parametrize("first_ref,second_ref", FORMS)
def test_the_same_transfer_from_two_feeds_each_writing_its_reference_its_way_is_credited_once(
        client, auth, test_settings, db, first_ref, second_ref):
    code = make_request(client, auth)
    first = credit(db, test_settings, "sepay", code, first_ref)
    second = credit(db, test_settings, "payos", code, second_ref)
    assert (first.outcome, second.outcome, second.payment_id) == (APPLIED, LINKED, first.payment_id)
    assert paid_vnd(client, code) == 100_000 and count_payments(db) == 1


def test_a_filler_reference_is_stored_as_no_key_and_links_nothing(client, auth, test_settings, db):
    """Two feeds' transfers of one amount, each under a filler: two transfers, each paying its code."""
    code, other = make_request(client, auth), make_request(client, auth)
    first = credit(db, test_settings, "sepay", code, "N/A")
    second = credit(db, test_settings, "payos", other, "NOTPROVIDED")
    assert (first.outcome, second.outcome) == (APPLIED, APPLIED)
    assert (paid_vnd(client, code), paid_vnd(client, other)) == (100_000, 100_000)
    with db() as s:
        assert s.execute(select(PaymentReference.key)).scalars().all() == []


def test_two_feeds_after_a_statement_that_named_no_reference_credit_the_transfer_once(client, auth, test_settings,
                                                                                      db):
    """The statement (a spreadsheet that lost its references) credits the transfer first; SePay's late report
    of it is linked by its code and names the bank's reference; payOS's report names that reference too and
    is the same transfer, not money a second time."""
    code = make_request(client, auth)
    upload(client, auth, vcb_csv(("", "", "100.000", f"{code} nop phi")))
    assert paid_vnd(client, code) == 100_000
    send(client, test_settings, "sepay", code)
    send(client, test_settings, "payos", code)
    assert paid_vnd(client, code) == 100_000 and count_payments(db) == 1
    with db() as s:
        assert s.execute(select(PaymentReference.key)).scalar_one() == "FT330123456"
