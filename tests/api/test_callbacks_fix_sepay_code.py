"""SePay's `code` (the payment code SePay read from the content with the pattern configured at SePay)
pays the request it names when it verifies, even when the content we are sent does not name it. It
never overrules the content: a code that fails its check digits is not taken, and a content naming
other codes (several requests paid at once) is read in full, as before. A SePay callback coming after
the statement credited its transfer is linked by that code as by a code in its memo."""
import json
from datetime import datetime, timezone

import pytest

from payments.codes import new_code
from tests.factories import make_request, send_callback
from tests.recon_factories import all_lines, count_payments, paid_vnd, upload, vcb_csv


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def with_code(code, content="IBFT NGUYEN VAN AN chuyen tien"):
    """A SePay body whose content names no code (the bank rewrote it), and SePay's `code` field."""
    def mutate(body: bytes) -> bytes:
        data = json.loads(body)
        data.update(code=code, content=content)
        return json.dumps(data).encode()
    return mutate


def request_view(client, code):
    return client.get(f"/api/v1/payment-requests/{code}").json


def suspense(client, auth):
    return client.get("/api/v1/finance/suspense", headers=auth("finance")).json


@pytest.mark.parametrize("written", ["as sent", "lower case", "padded"])
def test_sepays_code_pays_the_request_when_the_content_does_not_name_it(client, auth, test_settings, written):
    code = make_request(client, auth)
    sent = {"as sent": code, "lower case": code.lower(), "padded": f" {code} "}[written]
    r = send_callback(client, test_settings, "sepay", code=code, amount=100_000, mutate=with_code(sent))
    assert (r.status_code, r.json) == (200, {"success": True})
    view = request_view(client, code)
    assert (view["status"], view["paid_vnd"]) == ("paid", 100_000)
    assert suspense(client, auth)["total_vnd"] == 0


@pytest.mark.parametrize("sent", ["one digit off", 12345678901, ""])
def test_a_code_that_does_not_verify_is_not_taken_and_the_money_waits_in_suspense(client, auth, test_settings,
                                                                                   sent):
    code = make_request(client, auth)
    if sent == "one digit off":
        sent = code[:-1] + str((int(code[-1]) + 1) % 10)
    r = send_callback(client, test_settings, "sepay", code=code, amount=100_000, mutate=with_code(sent))
    assert (r.status_code, r.json) == (200, {"success": True})
    assert request_view(client, code)["paid_vnd"] == 0
    held = suspense(client, auth)
    assert held["total_vnd"] == 100_000
    assert [p["suspense_reason"] for p in held["payments"]] == ["no_code"]


def test_a_content_naming_several_codes_pays_each_not_only_the_one_sepay_read(client, auth, test_settings):
    first = make_request(client, auth, ("Lệ phí", "charge", 60_000))
    second = make_request(client, auth, ("Lệ phí", "charge", 40_000))
    send_callback(client, test_settings, "sepay", code=first, amount=100_000,
                  mutate=with_code(first, f"{first} {second} nop le phi"))
    assert [request_view(client, c)["status"] for c in (first, second)] == ["paid", "paid"]
    assert suspense(client, auth)["total_vnd"] == 0


def test_a_content_naming_another_code_is_not_overruled_by_sepays_code(client, auth, test_settings):
    named = make_request(client, auth)
    other = make_request(client, auth)
    send_callback(client, test_settings, "sepay", code=named, amount=100_000,
                  mutate=with_code(other, f"{named} nop le phi"))
    assert (request_view(client, named)["status"], request_view(client, other)["status"]) == ("paid", "pending")


def test_sepays_code_for_no_request_of_ours_waits_in_suspense_as_an_unknown_code(client, auth, test_settings):
    unknown = new_code(test_settings.payment_code_prefix)
    send_callback(client, test_settings, "sepay", code=unknown, amount=30_000, mutate=with_code(unknown))
    assert [p["suspense_reason"] for p in suspense(client, auth)["payments"]] == ["unknown_code"]


def test_a_late_sepay_callback_is_linked_to_the_statement_payment_by_sepays_code(client, auth, test_settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 30_000))
    upload(client, auth, vcb_csv(("5555.9", "", "30.000", f"MBVCB.1.{code}.CT tu 1")))
    before = count_payments(db)
    r = send_callback(client, test_settings, "sepay", code=code, amount=30_000, txn_id="77001",
                      at=datetime(2026, 11, 24, 2, 0, tzinfo=timezone.utc), mutate=with_code(code))
    assert (r.status_code, r.json) == (200, {"success": True})
    assert paid_vnd(client, code) == 30_000 and count_payments(db) == before


def on_the_24th(mutate):
    """`mutate`, and the transfer booked on 24/11/2026 09:00 Hà Nội (the statement's day)."""
    def dated(body: bytes) -> bytes:
        data = json.loads(mutate(body))
        data["transactionDate"] = "2026-11-24 09:00:00"
        return json.dumps(data).encode()
    return dated


@pytest.mark.parametrize("statement_memo", ["IBFT NGUYEN VAN AN chuyen tien", "NGUYEN VAN AN chuyen tien"])
def test_a_statement_line_after_a_sepay_callback_paid_by_its_code_is_linked_by_amount_day_and_memo(
        client, auth, test_settings, db, statement_memo):
    # Neither memo names the code and the statement's document number is not SePay's reference: the
    # memo is all that ties the line to the callback, as for a callback left in suspense.
    code = make_request(client, auth, ("Lệ phí", "charge", 30_000))
    send_callback(client, test_settings, "sepay", code=code, amount=30_000, txn_id="77002",
                  mutate=on_the_24th(with_code(code)))
    before = count_payments(db)
    body = upload(client, auth, vcb_csv(("5555.7", "", "30.000", statement_memo))).json
    [line] = all_lines(client, auth, body["import_id"])
    assert line["source"] == "callback"
    assert count_payments(db) == before
    assert paid_vnd(client, code) == 30_000 and suspense(client, auth)["total_vnd"] == 0


def test_a_statement_line_naming_another_code_is_not_linked_to_a_sepay_callback_by_memo(
        client, auth, test_settings, db):
    # SePay read one code and the bank's line names another: not the same transfer by memo alone (that
    # would leave the request the bank names unpaid in silence); the line is credited as its own.
    code, other = make_request(client, auth, ("Lệ phí", "charge", 30_000)), make_request(client, auth)
    send_callback(client, test_settings, "sepay", code=code, amount=30_000, txn_id="77003",
                  mutate=on_the_24th(with_code(code)))
    body = upload(client, auth, vcb_csv(("5555.7", "", "30.000", f"IBFT NGUYEN VAN AN chuyen tien {other}"))).json
    [line] = all_lines(client, auth, body["import_id"])
    assert line["source"] == "statement"
