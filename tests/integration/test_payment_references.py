"""One transfer reported by three feeds: the statement (its "Số CT" 5000.11111), the bank's API
(FT330123456) and SePay. The first two name different references and are linked as one payment by
the payment code; the third report, naming either reference, is that payment too (linked, never
credited a second time), whichever of the first two came first: a payment is found by every
reference a report of it named (`payment_references`)."""
import pytest
from sqlalchemy import select

from payments.credits import APPLIED, LINKED
from payments.models import PaymentReference
from tests.factories import assert_ledger_ok, make_request
from tests.integration.test_bank_reference_forms import credit
from tests.recon_factories import all_lines, bank_callback, count_payments, paid_vnd, upload, vcb_csv

STATEMENT_REF, API_REF = "5000.11111", "FT330123456"


def statement(client, auth, code) -> int:
    """The statement line's payment id (its own, or the callback's it was linked to)."""
    body = upload(client, auth, vcb_csv((STATEMENT_REF, "", "100.000", f"{code} nop phi"))).json
    [line] = all_lines(client, auth, body["import_id"])
    return line["payment_id"]


@pytest.mark.parametrize("statement_first", [True, False], ids=["statement-first", "api-first"])
@pytest.mark.parametrize("third_names", [STATEMENT_REF, API_REF, "500011111"])
def test_a_third_feed_naming_either_reference_of_a_code_linked_transfer_is_not_credited_again(
        client, auth, test_settings, db, statement_first, third_names):
    code = make_request(client, auth)
    if statement_first:
        payment_id = statement(client, auth, code)
        bank_callback(client, test_settings, API_REF, 100_000, f"{code} nop phi")  # linked by the code
    else:
        bank_callback(client, test_settings, API_REF, 100_000, f"{code} nop phi")
        payment_id = statement(client, auth, code)  # linked by the code
    assert paid_vnd(client, code) == 100_000 and count_payments(db) == 1
    third = credit(db, test_settings, "sepay", code, third_names)
    assert (third.outcome, third.payment_id) == (LINKED, payment_id)
    assert paid_vnd(client, code) == 100_000 and count_payments(db) == 1
    with db() as s:
        known = set(s.execute(select(PaymentReference.payment_id, PaymentReference.key)).all())
    assert known == {(payment_id, "500011111"), (payment_id, "FT330123456")}
    assert_ledger_ok(db)


def test_another_transfer_under_a_third_reference_is_still_credited(client, auth, test_settings, db):
    code = make_request(client, auth)
    statement(client, auth, code)
    bank_callback(client, test_settings, API_REF, 100_000, f"{code} nop phi")
    other = credit(db, test_settings, "sepay", code, "FT330999999")
    assert other.outcome == APPLIED and paid_vnd(client, code) == 200_000 and count_payments(db) == 2
    assert_ledger_ok(db)
