"""Reconciliation, QA round 14: the day's summary and report say what the queue and the lines say."""
import csv
import io

import pytest

from tests.api import test_finance_pages
from tests.api.test_finance_pages import logged_in
from tests.factories import make_request
from tests.recon_factories import all_lines, resolve, upload, vcb_csv, working_days_ago

DAY = "2026-11-24"

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test
people = test_finance_pages.people  # the staff who log in to the pages (a fixture)


def summary_of(client, auth, day: str = DAY) -> dict:
    r = client.get(f"/api/v1/reconciliation/days/{day}", headers=auth("finance"))
    assert r.status_code == 200, r.json
    return r.json


def queue(client, auth, day: str = DAY) -> list[dict]:
    r = client.get(f"/api/v1/reconciliation/days/{day}/exceptions?state=all", headers=auth("finance"))
    assert r.status_code == 200, r.json
    return r.json["exceptions"]


def acknowledge(client, auth, key: str, day: str = DAY):
    r = client.post(f"/api/v1/reconciliation/days/{day}/exceptions/{key}/acknowledge", headers=auth("finance"),
                    json={"reason": "đã kiểm tra với ngân hàng"})
    assert r.status_code == 201, r.json
    return r


def close(client, auth, day: str = DAY):
    asked = client.post(f"/api/v1/reconciliation/days/{day}/close", headers=auth("finance"))
    assert asked.status_code == 202, asked.json
    approved = client.post(f"/api/v1/reconciliation/days/{day}/close/approve", headers=auth("approver"))
    assert approved.status_code == 200, approved.json
    return approved


def line_of(client, auth, line_id: int) -> dict:
    r = client.get(f"/api/v1/reconciliation/lines/{line_id}", headers=auth("finance"))
    assert r.status_code == 200, r.json
    return r.json


def section_vii(data: bytes) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    start = rows.index(["VII. Ngoại lệ"]) + 2
    return [row for row in rows[start:start + 50] if len(row) == 4 and row[1]]


def big_unknown_credit(client, auth) -> dict:
    """2.500.000 with no code: in suspense; a refund of it needs an approver (threshold 2.000.000)."""
    [line] = all_lines(client, auth, upload(client, auth, vcb_csv(("FT25", "", "2.500.000", "chuyen nham"))).json[
        "import_id"])
    refund = resolve(client, auth, line["id"], "refund", reason="người chuyển nhầm xin lại")
    assert refund.status_code == 201 and refund.json["resolution"]["data"]["refund_status"] == "awaiting_approval"
    return refund.json


# --- 2. money a refund awaiting approval claims: one rule for the line and the summary ---------------------

def test_money_a_refund_awaiting_approval_claims_reads_the_same_in_the_summary_as_on_its_line(client, auth):
    decided = big_unknown_credit(client, auth)
    assert decided["line"]["status"] == "matched" and "refund_requested" in decided["line"]["reasons"]
    by_status = {row["status"]: row["amount_vnd"] for row in summary_of(client, auth)["totals"]["by_status"]}
    assert by_status == {"settled_by_finance": 2_500_000}  # decided, as the line reads; not "in suspense"
    refund_id = decided["resolution"]["data"]["refund_id"]
    r = client.post(f"/api/v1/refunds/{refund_id}/reject", headers=auth("approver"), json={"reason": "chưa đủ hồ sơ"})
    assert r.status_code == 200, r.json
    assert line_of(client, auth, decided["line"]["id"])["status"] == "unmatched"
    by_status = {row["status"]: row["amount_vnd"] for row in summary_of(client, auth)["totals"]["by_status"]}
    assert by_status == {"in_suspense": 2_500_000}


# --- 3. an acknowledged missed callback is not an open finding ----------------------------------------------

def test_an_acknowledged_missed_callback_is_no_open_finding_in_the_summary_nor_the_sweep(client, auth):
    day = working_days_ago(3)  # within the sweep's look-back whenever the suite runs
    code = make_request(client, auth, ("Lệ phí", "charge", 40_000))
    [line] = all_lines(client, auth, upload(client, auth, vcb_csv(("MC1", "", "40.000", f"nop {code}"),
                                                                  day=f"{day:%d/%m/%Y}")).json["import_id"])
    swept = client.post("/api/v1/reconciliation/sweep", headers=auth("finance")).json
    assert swept["open"]["missed_callback"] == 1
    assert summary_of(client, auth, day.isoformat())["sweep"]["findings"] == {"missed_callback": 1}
    acknowledge(client, auth, f"line:{line['id']}:missed_callback", day.isoformat())
    assert summary_of(client, auth, day.isoformat())["sweep"]["findings"] == {}
    swept = client.post("/api/v1/reconciliation/sweep", headers=auth("finance")).json
    assert swept["open"]["missed_callback"] == 0 and swept["findings"] == []


# --- 5. a same-day reversal pair in the draft report as in the closed one -----------------------------------

def mt940(*transactions: tuple[str, int, str, str]) -> str:
    body = "".join(f":61:2611241124{mark}{amount},NTRF{ref}//{ref}\n:86:{memo}\n"
                   for mark, amount, ref, memo in transactions)
    return f":20:HCC261124\n:25:0071001234567\n:28C:00001/001\n:60F:C261124VND1000000,\n{body}" \
           ":62F:C261124VND1000000,\n"


def test_the_draft_report_counts_a_same_day_reversal_pair_as_the_closed_one_does(client, auth):
    from reconciliation.reports import KIND_VI

    code = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    upload(client, auth, mt940(("C", 50_000, "900001", f"nop le phi {code}"),
                               ("RC", 50_000, "900002", f"REVERSAL 900001 {code}")), "s.mt940")

    def reversed_rows(data: bytes) -> list[tuple[str, bool]]:
        """(amount, information only) of section VII's reversal rows."""
        return sorted((row[2], row[3].startswith("Thông tin")) for row in section_vii(data)
                      if row[1] == KIND_VI["reversed"])

    draft = client.get(f"/api/v1/reconciliation/days/{DAY}/report.csv", headers=auth("finance")).data
    # round 17: the credit's row says it is there but leaves its money to the reversal's (counted once)
    assert reversed_rows(draft) == [("", True), ("50000", False)]
    by_kind = summary_of(client, auth)["exceptions"]["by_kind"]["reversed"]
    assert (by_kind["count"], by_kind["open"], by_kind["amount_vnd"]) == (1, 1, 50_000)
    assert by_kind["info"] == {"count": 1, "amount_vnd": 50_000, "in_pair": {"count": 1, "amount_vnd": 50_000}}
    [blocking] = [e for e in queue(client, auth) if e["kind"] == "reversed" and e["severity"] == "blocking"]
    acknowledge(client, auth, blocking["key"])
    close(client, auth)
    closed = client.get(f"/api/v1/reconciliation/days/{DAY}/report.csv", headers=auth("finance")).data
    assert reversed_rows(closed) == reversed_rows(draft)


# --- 6. a closed day stays as closed when its line changes later; the change is the next open day's ------

@pytest.mark.usefixtures("people")
def test_a_refund_rejected_after_the_close_leaves_the_closed_day_as_closed_and_lands_in_the_next_day(app, client,
                                                                                                     auth):
    decided = big_unknown_credit(client, auth)
    line_id, refund_id = decided["line"]["id"], decided["resolution"]["data"]["refund_id"]
    close(client, auth)
    frozen = summary_of(client, auth)
    report = client.get(f"/api/v1/reconciliation/days/{DAY}/report.csv", headers=auth("finance"))
    r = client.post(f"/api/v1/refunds/{refund_id}/reject", headers=auth("approver"), json={"reason": "chưa đủ hồ sơ"})
    assert r.status_code == 200, r.json
    # the closed day: its summary, report (same bytes, same hash) and queue as the close froze them
    assert summary_of(client, auth) == frozen
    again = client.get(f"/api/v1/reconciliation/days/{DAY}/report.csv", headers=auth("finance"))
    assert again.data == report.data and again.headers["X-Content-SHA256"] == report.headers["X-Content-SHA256"]
    assert [e["resolution"] for e in queue(client, auth) if e["kind"] == "unmatched_credit"] == ["refund"]
    # its line: what it is now, and what the close froze, as the day's summary counts it
    listed = {line["id"]: line for line in client.get(f"/api/v1/reconciliation/lines?date={DAY}",
                                                       headers=auth("finance")).json["lines"]}
    for shown in (listed[line_id], line_of(client, auth, line_id)):
        assert (shown["status"], shown["status_at_close"]) == ("unmatched", "matched"), shown
    assert frozen["lines"]["by_status"] == {"matched": {"count": 1, "amount_vnd": 2_500_000}}
    page = logged_in(app, "ketoan").get(f"/staff/finance/lines/{line_id}").get_data(as_text=True)
    assert "Trạng thái khi khóa sổ" in page and "badge-line-matched" in page and "badge-line-unmatched" in page
    # the money back in suspense is the next open day's to settle
    [carried] = [e for e in queue(client, auth, "2026-11-25") if e["kind"] == "unmatched_credit"]
    assert (carried["line_id"], carried["amount_vnd"], carried["open"]) == (line_id, 2_500_000, True)
    assert summary_of(client, auth, "2026-11-25")["exceptions"]["by_kind"]["unmatched_credit"]["open"] == 1
