"""A callback that comes after the statement already credited its transfer is linked to the
statement's payment, never credited a second time: by the bank reference, by the payment code,
by the memo for money in suspense; another amount under the same reference is a conflict for
finance. The day then counts the money once and sees the line as announced."""
import pytest
from sqlalchemy import select

from kernel.inbox import InboundCallback
from payments.models import Payment
from tests.factories import make_request
from tests.recon_factories import (all_lines, bank_callback, count_payments, paid_vnd, upload, vcb_csv,
                                   working_days_ago)

DAY = "2026-11-24"


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def stored_callback(db, ref: str) -> InboundCallback:
    with db() as s:
        return s.execute(select(InboundCallback).where(InboundCallback.external_id == ref)
                         .order_by(InboundCallback.id.desc())).scalars().first()


def exceptions(client, auth, day: str = DAY) -> list[dict]:
    return client.get(f"/api/v1/reconciliation/days/{day}/exceptions?state=all", headers=auth("finance")).json[
        "exceptions"]


def test_a_callback_with_the_statement_lines_reference_is_linked_and_counted_once(client, auth, test_settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 40_000))
    body = upload(client, auth, vcb_csv(("FT111", "", "40.000", f"{code} nop phi"))).json
    [line] = all_lines(client, auth, body["import_id"])
    before = count_payments(db)
    bank_callback(client, test_settings, "FT111", 40_000, f"{code} nop phi")
    assert paid_vnd(client, code) == 40_000 and count_payments(db) == before
    stored = stored_callback(db, "FT111")
    assert stored.status == "duplicate" and f"payment {line['payment_id']}" in stored.reason
    with db() as s:
        payment = s.get(Payment, line["payment_id"])
        assert payment.inbox_id == stored.id
        assert (payment.details["callback_provider"], payment.details["callback_ref"]) == ("bank", "FT111")
    assert exceptions(client, auth) == []  # no duplicate, no over-payment, no missed callback
    summary = client.get(f"/api/v1/reconciliation/days/{DAY}", headers=auth("auditor")).json
    assert summary["totals"]["received_vnd"] == 40_000
    assert summary["sweep"]["missed_callbacks"]["count"] == 0


def test_a_callback_with_another_reference_is_linked_by_its_code_amount_and_day(client, auth, test_settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 30_000))
    upload(client, auth, vcb_csv(("5555.9", "", "30.000", f"MBVCB.1.{code}.CT tu 1")))
    before = count_payments(db)
    bank_callback(client, test_settings, "FT222", 30_000, f"{code} nop phi", "2026-11-23T21:40:00+07:00")
    assert paid_vnd(client, code) == 30_000 and count_payments(db) == before
    assert [e["kind"] for e in exceptions(client, auth)] == []


def test_a_repeated_late_callback_is_still_nothing_new(client, auth, test_settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 40_000))
    upload(client, auth, vcb_csv(("FT333", "", "40.000", f"{code}")))
    before = count_payments(db)
    for _ in range(3):
        bank_callback(client, test_settings, "FT333", 40_000, f"{code}")
    assert paid_vnd(client, code) == 40_000 and count_payments(db) == before


def test_two_equal_statement_lines_take_one_late_callback_each(client, auth, test_settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 80_000))
    upload(client, auth, vcb_csv(("S1", "", "40.000", f"{code} dot"), ("S2", "", "40.000", f"{code} dot")))
    before = count_payments(db)
    bank_callback(client, test_settings, "CBX1", 40_000, f"{code} dot")
    bank_callback(client, test_settings, "CBX2", 40_000, f"{code} dot")
    assert paid_vnd(client, code) == 80_000 and count_payments(db) == before
    bank_callback(client, test_settings, "CBX3", 40_000, f"{code} dot")  # a third transfer: no line is left for it
    assert paid_vnd(client, code) == 120_000 and count_payments(db) == before + 1


def test_money_in_suspense_is_linked_by_amount_and_memo(client, auth, test_settings, db):
    upload(client, auth, vcb_csv(("5555.2", "", "45.000", "TRAN THI BINH - nop tien")))
    before = count_payments(db)
    bank_callback(client, test_settings, "CB-SUSP", 45_000, "TRAN THI BINH nop tien")
    assert count_payments(db) == before
    kinds = [e["kind"] for e in exceptions(client, auth)]
    assert kinds == ["unmatched_credit"]  # still in suspense once, and announced


def test_suspense_money_finance_already_assigned_is_still_linked_by_amount_and_memo(client, auth, test_settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 45_000))
    upload(client, auth, vcb_csv(("5555.3", "", "45.000", "TRAN THI BINH - nop tien")))
    [waiting] = client.get("/api/v1/finance/suspense", headers=auth("finance")).json["payments"]
    assert client.post(f"/api/v1/finance/suspense/{waiting['id']}/assign", headers=auth("finance"),
                       json={"payment_code": code, "reason": "Chị Bình gọi điện xác nhận"}).status_code == 200
    before = count_payments(db)
    bank_callback(client, test_settings, "CB-ASSIGNED", 45_000, "TRAN THI BINH nop tien")
    assert count_payments(db) == before and paid_vnd(client, code) == 45_000  # the same transfer: counted once
    assert client.get("/api/v1/finance/suspense", headers=auth("finance")).json["payments"] == []


def test_a_callback_finance_assigned_from_suspense_is_linked_to_its_statement_line_by_amount_and_memo(
        client, auth, test_settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 45_000))
    bank_callback(client, test_settings, "CB-FIRST", 45_000, "TRAN THI BINH nop tien")
    [waiting] = client.get("/api/v1/finance/suspense", headers=auth("finance")).json["payments"]
    assert client.post(f"/api/v1/finance/suspense/{waiting['id']}/assign", headers=auth("finance"),
                       json={"payment_code": code, "reason": "Chị Bình gọi điện xác nhận"}).status_code == 200
    before = count_payments(db)
    [line] = all_lines(client, auth, upload(client, auth, vcb_csv(("5555.4", "", "45.000",
                                                                   "TRAN THI BINH - nop tien"))).json["import_id"])
    assert count_payments(db) == before and paid_vnd(client, code) == 45_000
    assert line["status"] == "matched"


def test_the_same_reference_with_another_amount_is_a_conflict_not_a_credit(client, auth, test_settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    body = upload(client, auth, vcb_csv(("FT2611240001", "", "98.900", f"CT den {code}"))).json
    [line] = all_lines(client, auth, body["import_id"])
    before = count_payments(db)
    bank_callback(client, test_settings, "FT2611240001", 100_000, f"CT den {code}")
    assert paid_vnd(client, code) == 98_900 and count_payments(db) == before
    assert stored_callback(db, "FT2611240001").status == "conflict"
    [differs] = [e for e in exceptions(client, auth) if e["kind"] == "amount_differs"]
    assert (differs["amount_vnd"], differs["line_id"]) == (1_100, line["id"])
    assert (differs["details"]["statement_vnd"], differs["details"]["callback_vnd"]) == (98_900, 100_000)
    assert not [e for e in exceptions(client, auth) if e["kind"] == "missed_callback"]


def test_a_reference_that_merely_repeats_links_nothing(client, auth, test_settings, db):
    first = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    second = make_request(client, auth, ("Lệ phí", "charge", 70_000))
    upload(client, auth, vcb_csv(("1234", "", "70.000", f"nop {second}")))
    before = count_payments(db)
    bank_callback(client, test_settings, "1234", 50_000, f"CT den {first}")
    assert paid_vnd(client, first) == 50_000 and paid_vnd(client, second) == 70_000
    assert count_payments(db) == before + 1


def test_a_callback_three_working_days_earlier_is_another_transfer(client, auth, test_settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 70_000), ("Phí", "fee", 70_000))
    upload(client, auth, vcb_csv(("5555.3", "", "70.000", f"CT den {code} dot 2"), day="19/11/2026"))
    bank_callback(client, test_settings, "CB-MON-1", 70_000, f"CT den {code}", "2026-11-16T10:00:00+07:00")
    assert paid_vnd(client, code) == 140_000


def test_the_sweep_clears_a_missed_callback_once_the_callback_comes(client, auth, cli, test_settings, db):
    day = working_days_ago(3)  # overdue for the sweep (N=2), which reads the clock
    code = make_request(client, auth, ("Lệ phí", "charge", 40_000))
    upload(client, auth, vcb_csv(("FT444", "", "40.000", f"{code}"), day=day.strftime("%d/%m/%Y")))
    assert cli("reconcile", "sweep").exit_code == 0
    summary = client.get(f"/api/v1/reconciliation/days/{day}", headers=auth("auditor")).json
    assert summary["sweep"]["findings"] == {"missed_callback": 1}
    bank_callback(client, test_settings, "FT444", 40_000, f"{code}", booked_at=f"{day}T09:00:00+07:00")
    assert cli("reconcile", "sweep").exit_code == 0
    summary = client.get(f"/api/v1/reconciliation/days/{day}", headers=auth("auditor")).json
    assert summary["sweep"]["findings"] == {} and summary["sweep"]["missed_callbacks"]["count"] == 0
