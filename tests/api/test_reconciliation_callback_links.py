"""A statement line a callback already recorded is linked, never credited twice: across a
weekend or holiday, and when the bank booked another amount under the same reference."""
import pytest

from tests.factories import make_request
from tests.recon_factories import all_lines, bank_callback, count_payments, paid_vnd, upload, vcb_csv


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def test_a_friday_night_transfer_booked_on_monday_is_linked_by_its_code(client, auth, test_settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 70_000))
    bank_callback(client, test_settings, "CB-FRI-1", 70_000, f"CT den {code}", "2026-11-20T23:30:00+07:00")
    before = count_payments(db)
    body = upload(client, auth, vcb_csv(("5555.1", "", "70.000", f"MBVCB.1.{code}.CT tu 1"), day="23/11/2026")).json
    [line] = all_lines(client, auth, body["import_id"])
    assert (line["source"], line["status"]) == ("callback", "matched")
    assert count_payments(db) == before and paid_vnd(client, code) == 70_000


def test_money_in_suspense_sent_before_a_holiday_is_linked_by_amount_and_memo(client, auth, test_settings, db):
    # 1 and 2 September 2026 (Tue, Wed) are the National Day holidays: the bank books on Thursday.
    bank_callback(client, test_settings, "CB-HOL-1", 45_000, "TRAN THI BINH nop tien", "2026-09-01T22:10:00+07:00")
    before = count_payments(db)
    body = upload(client, auth, vcb_csv(("5555.2", "", "45.000", "TRAN THI BINH - nop tien"), day="03/09/2026")).json
    [line] = all_lines(client, auth, body["import_id"])
    assert line["source"] == "callback"
    assert count_payments(db) == before


def test_a_transfer_three_working_days_later_is_not_taken_for_the_callback(client, auth, test_settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 70_000), ("Phí", "fee", 70_000))
    bank_callback(client, test_settings, "CB-MON-1", 70_000, f"CT den {code}", "2026-11-16T10:00:00+07:00")
    body = upload(client, auth, vcb_csv(("5555.3", "", "70.000", f"CT den {code} dot 2"), day="19/11/2026")).json
    [line] = all_lines(client, auth, body["import_id"])
    assert line["source"] == "statement"  # a second instalment, not the Monday transfer again
    assert paid_vnd(client, code) == 140_000


def test_the_same_bank_reference_with_another_amount_is_linked_and_flagged(client, auth, test_settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    bank_callback(client, test_settings, "FT2611240001", 100_000, f"CT den {code}", "2026-11-24T09:00:00+07:00")
    before = count_payments(db)
    body = upload(client, auth, vcb_csv(("FT2611240001", "", "98.900", f"CT den {code}"))).json
    [line] = all_lines(client, auth, body["import_id"])
    assert line["source"] == "callback"
    assert count_payments(db) == before and paid_vnd(client, code) == 100_000
    queue = client.get("/api/v1/reconciliation/days/2026-11-24/exceptions", headers=auth("finance")).json
    [differs] = [e for e in queue["exceptions"] if e["kind"] == "amount_differs"]
    assert (differs["amount_vnd"], differs["severity"], differs["line_id"]) == (1_100, "blocking", line["id"])
    assert (differs["details"]["statement_vnd"], differs["details"]["callback_vnd"]) == (98_900, 100_000)


def test_a_reference_that_merely_repeats_links_nothing(client, auth, test_settings, db):
    first = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    second = make_request(client, auth, ("Lệ phí", "charge", 70_000))
    bank_callback(client, test_settings, "1234", 50_000, f"CT den {first}", "2026-11-10T09:00:00+07:00")
    upload(client, auth, vcb_csv(("1234", "", "70.000", f"nop {second}")))  # another day, another request
    assert paid_vnd(client, second) == 70_000 and paid_vnd(client, first) == 50_000
    third = make_request(client, auth, ("Lệ phí", "charge", 90_000))
    bank_callback(client, test_settings, "FT9", 90_000, "chuyen tien", "2026-11-24T09:00:00+07:00")  # in suspense
    body = upload(client, auth, vcb_csv(("FT9", "", "100.000", f"nop {third}"))).json  # names a request it did not pay
    [line] = all_lines(client, auth, body["import_id"])
    assert line["source"] == "statement" and paid_vnd(client, third) == 100_000
