"""Corrections of a closed day's money (an unmatch, a write-off, a bank reversal of its credit)
land in the next open day's totals as adjustments: the closed day stays as approved, and over
the days the totals add up to what the ledger holds per agency."""
import csv
import io

import pytest

from payments.ledger import balances
from tests.factories import dossier_body
from tests.recon_factories import all_lines, upload, vcb_csv

CLOSED, NEXT = "2026-11-20", "2026-11-23"  # a Friday and the Monday after it


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def request_for(client, auth, amount: int, agency: str) -> str:
    r = client.post("/api/v1/dossiers", json=dossier_body(("Lệ phí", "charge", amount), agency=agency),
                    headers=auth("intake"))
    assert r.status_code == 201, r.json
    return r.json["payment_request"]["payment_code"]


def summary(client, auth, day: str) -> dict:
    r = client.get(f"/api/v1/reconciliation/days/{day}", headers=auth("auditor"))
    assert r.status_code == 200, r.json
    return r.json


def close(client, auth, day: str) -> dict:
    assert client.post(f"/api/v1/reconciliation/days/{day}/close", headers=auth("finance")).status_code == 202
    r = client.post(f"/api/v1/reconciliation/days/{day}/close/approve", headers=auth("approver"))
    assert r.status_code == 200, r.json
    return r.json


def correct_friday(client, auth) -> tuple[dict, str]:
    """100.000 for H40.10 and 200.000 for H40.22 paid on Friday, the day closed; then on Monday one
    credit is put back in suspense (40.000 of it written off) and the bank reverses the other."""
    first, second = request_for(client, auth, 100_000, "H40.10"), request_for(client, auth, 200_000, "H40.22")
    imported = upload(client, auth, vcb_csv(("A1", "", "100.000", f"{first} nop"), ("A2", "", "200.000", f"{second} nop"),
                                            day="20/11/2026"), "friday.csv").json
    line, _ = all_lines(client, auth, imported["import_id"])
    frozen = close(client, auth, CLOSED)
    for action, body in (("unmatch", {}), ("write-off", {"amount_vnd": 40_000})):
        r = client.post(f"/api/v1/reconciliation/lines/{line['id']}/{action}", headers=auth("finance"),
                        json={"reason": "khớp nhầm", "as_adjustment": True, **body})
        assert r.status_code == 201, r.json
        assert r.json["resolution"]["recon_date"] == NEXT
    mt940 = (":20:X\n:25:0071001234567\n:28C:1/1\n:60F:C261123VND0,\n"
             f":61:2611231123RC200000,NTRFA3//A3\n:86:REVERSAL A2 {second}\n:62F:D261123VND200000,\n")
    assert upload(client, auth, mt940, "monday.mt940").status_code == 201
    assert client.get(f"/api/v1/payment-requests/{second}").json["paid_vnd"] == 0
    return frozen, second


def test_corrections_of_a_closed_day_are_the_next_open_days_adjustments(client, auth, db):
    frozen, _ = correct_friday(client, auth)
    monday = summary(client, auth, NEXT)["totals"]
    assert monday["by_agency"] == [] and monday["received_vnd"] == 0  # no payment of Monday's own
    adjustments = monday["adjustments"]
    assert adjustments["by_agency"] == [
        {"agency_code": "H40.10", "count": 1, "amount_vnd": -100_000},
        {"agency_code": "H40.22", "count": 1, "amount_vnd": -200_000},
        {"agency_code": "suspense", "count": 1, "amount_vnd": 60_000},
        {"agency_code": "written_off", "count": 1, "amount_vnd": 40_000},
    ]
    assert {(r["kind"], r["agency_code"]): r["amount_vnd"] for r in adjustments["by_kind"]} == {
        ("allocation_release", "H40.10"): -100_000, ("allocation_release", "suspense"): 100_000,
        ("write_off", "suspense"): -40_000, ("write_off", "written_off"): 40_000,
        ("reversal", "H40.22"): -200_000}
    assert adjustments["net_vnd"] == -200_000  # only the reversal took money away
    # Friday is as it was approved: its summary and its reports.
    friday = summary(client, auth, CLOSED)
    assert friday["totals"] == frozen["totals"] and friday["reports"] == frozen["reports"]
    assert friday["totals"]["adjustments"]["by_kind"] == []


def rows_over_the_days(client, auth) -> dict[str, int]:
    """Each by-agency row summed over Friday to Monday: the days' totals plus their adjustments."""
    added: dict[str, int] = {}
    for day in (CLOSED, "2026-11-21", "2026-11-22", NEXT):
        totals = summary(client, auth, day)["totals"]
        for row in totals["by_agency"] + totals["adjustments"]["by_agency"]:
            added[row["agency_code"]] = added.get(row["agency_code"], 0) + row["amount_vnd"]
    return added


def test_by_agency_plus_adjustments_over_the_days_is_the_ledger_per_agency(client, auth, db):
    correct_friday(client, auth)
    added = rows_over_the_days(client, auth)
    with db() as session:
        ledger = {account.split(":")[1]: -amount for account, amount in balances(session, "revenue:").items()}
        in_suspense = -balances(session, "suspense").get("suspense", 0)
        written_off = -balances(session, "write_offs").get("write_offs", 0)
    assert {k: v for k, v in added.items() if k.startswith("H")} == ledger == {"H40.10": 0, "H40.22": 0}
    assert (added["suspense"], added["written_off"]) == (in_suspense, written_off) == (60_000, 40_000)


def test_the_report_shows_the_adjustments_in_vietnamese(client, auth, db):
    correct_friday(client, auth)
    r = client.get(f"/api/v1/reconciliation/days/{NEXT}/report.csv", headers=auth("finance"))
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"))))
    start = rows.index(["VI. Điều chỉnh các ngày đã khóa sổ"])
    assert rows[start + 1] == ["Loại điều chỉnh", "Mã cơ quan", "Số giao dịch", "Số tiền (VND)"]
    section = rows[start + 2:rows.index([], start)]
    assert ["Hủy/đảo giao dịch", "H40.22", "1", "-200000"] in section
    assert ["Bỏ khớp, trả về tạm treo", "Chờ xử lý (tạm treo)", "1", "100000"] in section
    assert section[-1] == ["Cộng (thay đổi so với tổng đã khóa sổ)", "", "", "-200000"]


def test_a_late_file_of_a_closed_day_is_listed_with_the_day_its_new_lines_landed_in(client, auth):
    code = request_for(client, auth, 100_000, "H40.10")
    upload(client, auth, vcb_csv(("B1", "", "100.000", f"{code} nop"), day="20/11/2026"), "friday.csv")
    close(client, auth, CLOSED)
    late = upload(client, auth, vcb_csv(("B1", "", "100.000", f"{code} nop"), ("B2", "", "5.000", "phi"),
                                        day="20/11/2026"), "friday-again.csv").json
    assert late["lines_new"] == 1
    assert [i["import_id"] for i in summary(client, auth, NEXT)["imports"]] == [late["import_id"]]


def test_an_overpayment_is_its_own_row_not_the_agencys_and_its_refund_later_adds_up(client, auth, db):
    code = request_for(client, auth, 100_000, "H40.22")
    upload(client, auth, vcb_csv(("OVP1", "", "150.000", f"{code} nop"), day="20/11/2026"), "friday.csv")
    friday = summary(client, auth, CLOSED)["totals"]
    assert friday["by_agency"] == [{"agency_code": "H40.22", "count": 1, "amount_vnd": 100_000},
                                   {"agency_code": "overpaid", "count": 1, "amount_vnd": 50_000}]
    assert sum(row["amount_vnd"] for row in friday["by_agency"]) == friday["received_vnd"]
    for found in client.get(f"/api/v1/reconciliation/days/{CLOSED}/exceptions",
                            headers=auth("finance")).json["exceptions"]:
        if found["severity"] == "blocking":
            client.post(f"/api/v1/reconciliation/days/{CLOSED}/exceptions/{found['key']}/acknowledge",
                        headers=auth("finance"), json={"reason": "hoàn phần nộp thừa sau"})
    close(client, auth, CLOSED)
    [payment] = client.get(f"/api/v1/payment-requests/{code}/payments", headers=auth("finance")).json["payments"]
    r = client.post(f"/api/v1/payments/{payment['id']}/refunds", headers=auth("finance"),
                    json={"amount_vnd": 50_000, "expected_refundable_vnd": 150_000, "reason": "hoàn tiền nộp thừa"})
    assert r.status_code == 201, r.json
    added = rows_over_the_days(client, auth)
    with db() as session:
        revenue = {account.split(":")[1]: -amount for account, amount in balances(session, "revenue:").items()}
        overpaid = -balances(session, "overpayments").get("overpayments", 0)
    assert revenue == {"H40.22": 100_000} and added["H40.22"] == 100_000
    assert (added["overpaid"], added["refunded"]) == (overpaid, 50_000) == (0, 50_000)
