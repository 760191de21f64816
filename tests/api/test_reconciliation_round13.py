"""QA round 13: the workflow after import (reversals across days, a line's decision history, the
Art. 36 totals adding up, adjustments after a close)."""
import pytest

from tests.api import test_finance_pages
from tests.api.test_finance_pages import logged_in
from tests.factories import make_request
from tests.recon_factories import all_lines, upload

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test
people = test_finance_pages.people  # the staff who log in to the pages (a fixture)


def mt940(day: str, *transactions: tuple[str, int, str, str], opening: int = 1_000_000) -> str:
    """(mark C/D/RC/RD, amount, reference, memo) lines of one day's MT940 statement; `day` YYMMDD."""
    body = "".join(f":61:{day}{day[2:]}{mark}{amount},NTRF{ref}//{ref}\n:86:{memo}\n"
                   for mark, amount, ref, memo in transactions)
    closing = opening + sum(amount if mark in ("C", "RD") else -amount for mark, amount, _, _ in transactions)
    return f":20:HCC{day}\n:25:0071001234567\n:28C:00001/001\n:60F:C{day}VND{opening},\n{body}" \
           f":62F:C{day}VND{closing},\n"


def exceptions(client, auth, day: str) -> list[dict]:
    r = client.get(f"/api/v1/reconciliation/days/{day}/exceptions?state=all", headers=auth("finance"))
    assert r.status_code == 200, r.json
    return r.json["exceptions"]


def close(client, auth, day: str):
    asked = client.post(f"/api/v1/reconciliation/days/{day}/close", headers=auth("finance"))
    if asked.status_code != 202:
        return asked
    return client.post(f"/api/v1/reconciliation/days/{day}/close/approve", headers=auth("approver"))


@pytest.mark.usefixtures("people")
def test_a_reversal_booked_the_next_day_is_settled_once_for_both_days(app, client, auth, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    first = upload(client, auth, mt940("261124", ("C", 50_000, "900001", f"nop le phi {code}")), "d1.mt940").json
    second = upload(client, auth, mt940("261125", ("RC", 50_000, "900002", f"REVERSAL 900001 {code}"),
                                        opening=1_050_000), "d2.mt940").json
    [credit] = all_lines(client, auth, first["import_id"])
    [reversal] = all_lines(client, auth, second["import_id"])
    assert client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"] == 0  # taken back
    [on_credit_day] = [e for e in exceptions(client, auth, "2026-11-24") if e["kind"] == "reversed"]
    [on_reversal_day] = [e for e in exceptions(client, auth, "2026-11-25") if e["kind"] == "reversed"]
    assert on_reversal_day["line_id"] == reversal["id"] and on_reversal_day["severity"] == "blocking"
    assert on_reversal_day["details"]["reversed_line_id"] == credit["id"]
    # the credit day shows what became of its credit, and where finance settles it
    assert on_credit_day["line_id"] == credit["id"] and on_credit_day["severity"] == "info"
    assert on_credit_day["details"]["reversal_line_id"] == reversal["id"]
    page = logged_in(app, "ketoan").get("/staff/finance/exceptions?date=2026-11-24&kind=reversed&state=all")
    assert page.status_code == 200 and "Thông tin" in page.get_data(as_text=True)
    assert f'/staff/finance/lines/{reversal["id"]}">#{reversal["id"]}</a> (xử lý một lần trên dòng đảo)' \
        in page.get_data(as_text=True)
    closed = close(client, auth, "2026-11-24")
    assert closed.status_code == 200, closed.json["details"]["exceptions"]
    r = client.post(f"/api/v1/reconciliation/days/2026-11-25/exceptions/{on_reversal_day['key']}/acknowledge",
                    headers=auth("finance"), json={"reason": "ngân hàng hoàn trả giao dịch 900001"})
    assert r.status_code == 201, r.json
    assert close(client, auth, "2026-11-25").status_code == 200


def test_the_art36_totals_of_a_busy_day_add_up_to_the_statement_and_the_ledger(client, auth, db, test_settings):
    from datetime import datetime

    from kernel.clock import now_utc
    from sandbox.bank import callback_request
    from tests.recon_factories import bank_callback, resolve, vcb_csv

    a = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    b = make_request(client, auth, ("Lệ phí", "charge", 80_000))
    c = make_request(client, auth, ("Lệ phí", "charge", 40_000))
    d = make_request(client, auth, ("Phí", "charge", 60_000))
    e = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    g = make_request(client, auth, ("Lệ phí", "charge", 20_000))
    h = make_request(client, auth, ("Lệ phí", "charge", 45_000))
    card = make_request(client, auth, ("Lệ phí", "charge", 35_000))
    bank_callback(client, test_settings, "FT900045", 45_000, f"{h} nop le phi")  # on the statement too (R9)
    path, headers, raw = callback_request("pos", settings=test_settings, payment_code=card, amount_vnd=35_000,
                                          txn_id="77001", at=datetime.fromisoformat("2026-11-24T10:00:00+07:00"),
                                          signed_at=now_utc())
    assert client.post(path, data=raw, headers=headers).status_code == 200
    body = upload(client, auth, vcb_csv(
        ("R1", "", "100.000", f"{a} nop phi"), ("R2", "", "30.000", f"{b} lan 1"), ("R3", "", "50.000", f"{b} lan 2"),
        ("R4", "", "100.000", f"nop {c} {d}"), ("R5", "", "70.000", f"{e}"), ("R6", "", "30.000", "chuyen tien"),
        ("R7", "", "25.000", "chuyen nham"), ("R8", "11.000", "", "phi dich vu"),
        ("FT900045", "", "45.000", f"{h} nop le phi"))).json
    lines = {line["bank_ref"]: line for line in all_lines(client, auth, body["import_id"])}
    assert lines["FT900045"]["source"] == "callback"  # linked, not credited twice
    assert resolve(client, auth, lines["R6"]["id"], "write-off", reason="phí chuyển tiền", amount_vnd=10_000
                   ).status_code == 201
    assert resolve(client, auth, lines["R6"]["id"], "match", reason="người nộp xác nhận",
                   allocations=[{"payment_code": g, "amount_vnd": 20_000}]).status_code == 201
    assert resolve(client, auth, lines["R7"]["id"], "refund", reason="chuyển nhầm").status_code == 201
    summary = client.get("/api/v1/reconciliation/days/2026-11-24", headers=auth("finance")).json
    totals = summary["totals"]
    credits = 100_000 + 30_000 + 50_000 + 100_000 + 70_000 + 30_000 + 25_000 + 45_000
    assert summary["lines"]["credit"]["amount_vnd"] == credits
    by_channel = {(r["provider"], r["channel"]): r["amount_vnd"] for r in totals["by_channel"]}
    assert by_channel.pop(("pos", "pos_card")) == 35_000  # the card money is on no bank statement
    assert sum(by_channel.values()) == credits  # the rest is the statement's, whichever feed told of it first
    received = credits + 35_000
    assert totals["received_vnd"] == received
    assert sum(r["amount_vnd"] for r in totals["by_agency"]) == received
    assert sum(r["amount_vnd"] for r in totals["by_status"]) == received
    by_type = {r["type"]: r["amount_vnd"] for r in totals["by_transaction_type"]}
    assert by_type == {"payment": received, "bank_debit": 11_000}
    by_agency = {r["agency_code"]: r["amount_vnd"] for r in totals["by_agency"]}
    assert by_agency == {"H40.22": received - 20_000 - 10_000 - 25_000, "overpaid": 20_000, "written_off": 10_000,
                         "refunded": 25_000}


def test_a_line_shows_every_decision_taken_on_it_and_their_audit_rows(client, auth, db):
    from tests.recon_factories import resolve, undo, vcb_csv

    g = make_request(client, auth, ("Lệ phí", "charge", 20_000))
    body = upload(client, auth, vcb_csv(("R6", "", "30.000", "chuyen tien"))).json
    [line] = all_lines(client, auth, body["import_id"])
    matched = resolve(client, auth, line["id"], "match", reason="người nộp xác nhận",
                      allocations=[{"payment_code": g, "amount_vnd": 20_000}]).json
    assert undo(client, auth, matched["resolution"]["id"], reason="nhầm hồ sơ").status_code == 200
    written = resolve(client, auth, line["id"], "write-off", reason="không xác định được người nộp").json
    assert written["line"]["reasons"] == ["written_off"]  # what became of the money now
    shown = client.get(f"/api/v1/reconciliation/lines/{line['id']}", headers=auth("auditor")).json
    assert [(r["action"], r["reason"], r["undo_reason"]) for r in shown["resolutions"]] == [
        ("match", "người nộp xác nhận", "nhầm hồ sơ"), ("write_off", "không xác định được người nộp", None)]
    trail = shown["audit"]
    assert [(e["action"], e["reason"]) for e in trail] == [
        ("reconciliation.match", "người nộp xác nhận"), ("reconciliation.undo", "nhầm hồ sơ"),
        ("reconciliation.write_off", "không xác định được người nộp")]
    assert all(len(e["hash"]) == 64 and e["actor"] and e["at"].endswith("+00:00") for e in trail)


def test_the_closed_reports_exceptions_say_why_who_and_when_each_was_settled(client, auth, db):
    import csv
    import io
    from datetime import datetime

    from kernel.clock import format_local
    from reconciliation import reports
    from tests.recon_factories import resolve, vcb_csv

    body = upload(client, auth, vcb_csv(("W1", "", "30.000", "chuyen tien"),
                                        ("K1", "", "20.000", "lai tien gui"))).json
    written, kept = all_lines(client, auth, body["import_id"])
    assert resolve(client, auth, written["id"], "write-off", reason="không xác định được người nộp").status_code == 201
    [queued] = [e for e in exceptions(client, auth, "2026-11-24")
                if e["line_id"] == kept["id"] and e["kind"] == "unmatched_credit"]
    r = client.post(f"/api/v1/reconciliation/days/2026-11-24/exceptions/{queued['key']}/acknowledge",
                    headers=auth("finance"), json={"reason": "chờ ngân hàng xác nhận người chuyển"})
    assert r.status_code == 201, r.json
    shown = {e["line_id"]: e["decision"] for e in exceptions(client, auth, "2026-11-24") if e["acknowledged"]}
    assert shown[kept["id"]]["reason"] == "chờ ngân hàng xác nhận người chuyển"
    assert shown[kept["id"]]["action"] == "acknowledge" and shown[kept["id"]]["by"]
    assert close(client, auth, "2026-11-24").status_code == 200
    report = client.get("/api/v1/reconciliation/days/2026-11-24/report.csv", headers=auth("auditor")).data
    rows = list(csv.reader(io.StringIO(report.decode("utf-8-sig"))))
    start = rows.index(["VII. Ngoại lệ"]) + 2
    handled = {row[0]: row[3] for row in rows[start:] if row and row[0].startswith("Dòng")
               and row[1] == reports.KIND_VI["unmatched_credit"]}
    assert handled["Dòng 2 (mục VIII)"].startswith("Đã xác nhận: chờ ngân hàng xác nhận người chuyển (")
    acknowledged_at = datetime.fromisoformat(shown[kept["id"]]["at"])
    assert handled["Dòng 2 (mục VIII)"].endswith(f", {format_local(acknowledged_at)})")  # when, in Hà Nội time


def test_the_sweep_counts_as_missed_callbacks_only_the_credits_the_queue_calls_so(client, auth, db):
    from tests.recon_factories import vcb_csv, working_days_ago

    day = working_days_ago(3)  # within the sweep's look-back whenever the suite runs
    upload(client, auth, vcb_csv(("M1", "", "30.000", "chuyen tien"), ("F1", "11.000", "", "phi dich vu"),
                                 ("R1", "20.000", "", "tra lai"), day=f"{day:%d/%m/%Y}"))  # debits: no callback's
    r = client.post("/api/v1/reconciliation/sweep", headers=auth("finance"))
    assert r.status_code == 200, r.json
    queued = [e for e in exceptions(client, auth, day.isoformat()) if e["kind"] == "missed_callback"]
    assert [f["bank_ref"] for f in r.json["findings"] if f["kind"] == "missed_callback"] == ["M1"]
    assert len(queued) == 1
    assert client.get(f"/api/v1/reconciliation/days/{day.isoformat()}", headers=auth("finance")).json["sweep"][
        "findings"] == {"missed_callback": 1}
