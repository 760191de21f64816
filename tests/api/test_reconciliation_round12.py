"""Reconciliation, QA round 12: a line reads the same on the API, the finance pages and the day's reports.
The report's "Lý do" column used the reasons stored at import only, so a line whose verified code paid less
or more than its request owed, or a request paid by several lines, was flagged on the API (`under_payment`,
`over_payment`, `split_payment`) and not in the CSV/XLSX/PDF; and a line whose bank callback came after the
statement never read as announced (`seen_by_callback`), though the same transfer did when the callback came
first."""
import csv
import io

import pytest

from reconciliation import reports
from tests.factories import make_request
from tests.recon_factories import all_lines, bank_callback, upload, vcb_csv

DAY = "2026-11-24"

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def report(client, auth, fmt: str) -> bytes:
    r = client.get(f"/api/v1/reconciliation/days/{DAY}/report.{fmt}", headers=auth("finance"))
    assert r.status_code == 200, r.data[:200]
    return r.data


def report_reasons(data: bytes) -> dict[str, str]:
    """Section VIII of the CSV report: bank reference -> its "Lý do" cell."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    start = rows.index(reports.LINE_COLUMNS) + 1
    lines = [dict(zip(reports.LINE_COLUMNS, row)) for row in rows[start:] if row]
    return {line["Số tham chiếu"]: line["Lý do"] for line in lines}


def xlsx_reasons(data: bytes) -> dict[str, str]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    rows = [list(row) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]
    start = rows.index(list(reports.LINE_COLUMNS)) + 1
    lines = [dict(zip(reports.LINE_COLUMNS, row)) for row in rows[start:] if any(row)]
    return {line["Số tham chiếu"]: line["Lý do"] or "" for line in lines}


def labels(reasons: list[str]) -> str:
    return ", ".join(dict.fromkeys(reports.REASON_VI[r] for r in reasons))


def test_a_verified_code_paying_less_more_or_in_parts_is_flagged_in_the_report_as_on_the_api(client, auth):
    short = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    over = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    parts = make_request(client, auth, ("Lệ phí", "charge", 80_000))
    body = upload(client, auth, vcb_csv(("U1", "", "90.000", f"{short} nop phi"), ("O1", "", "70.000", f"{over}"),
                                        ("S1", "", "30.000", f"{parts} lan 1"), ("S2", "", "50.000", f"{parts} lan 2"))
                  ).json
    api = {line["bank_ref"]: line["reasons"] for line in all_lines(client, auth, body["import_id"])}
    assert "under_payment" in api["U1"] and "over_payment" in api["O1"]
    assert "split_payment" in api["S1"] and "split_payment" in api["S2"]
    shown = report_reasons(report(client, auth, "csv"))
    assert shown == {ref: labels(reasons) for ref, reasons in api.items()}
    assert "Nộp thiếu" in shown["U1"] and "Nộp thừa" in shown["O1"] and "Nộp nhiều lần" in shown["S2"]
    assert xlsx_reasons(report(client, auth, "xlsx")) == shown
    pdf = report(client, auth, "pdf")
    import pypdf

    text = " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages).split())
    assert "Nộp thiếu" in text and "Nộp thừa" in text and "Nộp nhiều lần" in text


@pytest.mark.parametrize("callback_ref", ["FT2611240077", "FT99887766"])  # the line's reference, or another
def test_a_line_whose_callback_came_after_the_statement_reads_as_announced(client, auth, test_settings,
                                                                           callback_ref):
    code = make_request(client, auth, ("Lệ phí", "charge", 60_000))
    body = upload(client, auth, vcb_csv(("FT2611240077", "", "60.000", f"{code} nop phi"))).json
    [before] = all_lines(client, auth, body["import_id"])
    assert "seen_by_callback" not in before["reasons"]
    bank_callback(client, test_settings, callback_ref, 60_000, f"{code} nop phi")
    [line] = all_lines(client, auth, body["import_id"])
    assert line["payment_id"] == before["payment_id"]  # linked, not credited again
    assert line["reasons"] == ["seen_by_callback", "code_verified"]  # as when the callback comes first
    single = client.get(f"/api/v1/reconciliation/lines/{line['id']}", headers=auth("finance")).json
    assert single["reasons"] == line["reasons"]
    assert report_reasons(report(client, auth, "csv")) == {"FT2611240077": "Đã có thông báo, Mã hợp lệ"}


def test_a_line_whose_callback_came_first_reads_the_same(client, auth, test_settings):
    code = make_request(client, auth, ("Lệ phí", "charge", 60_000))
    bank_callback(client, test_settings, "FT2611240078", 60_000, f"{code} nop phi")
    body = upload(client, auth, vcb_csv(("FT2611240078", "", "60.000", f"{code} nop phi"))).json
    [line] = all_lines(client, auth, body["import_id"])
    assert line["reasons"] == ["seen_by_callback", "code_verified"]
    assert report_reasons(report(client, auth, "csv")) == {"FT2611240078": "Đã có thông báo, Mã hợp lệ"}


def test_money_in_suspense_whose_late_callback_names_a_code_is_offered_that_request_first(
        client, auth, test_settings):
    """The statement's memo names no code (the money waits in suspense); the bank's callback for the same
    transfer, linked to the line after it, names one. Had it come first it would have paid that request:
    the line and the suspense desk offer it first (never applied), ahead of requests that merely owe the same
    amount."""
    paid_for = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    others = [make_request(client, auth, ("Lệ phí", "charge", 100_000)) for _ in range(3)]
    body = upload(client, auth, vcb_csv(("FT2611240099", "", "100.000", "nop tien ho so"))).json
    bank_callback(client, test_settings, "FT2611240099", 100_000, f"{paid_for} nop tien ho so")
    [line] = all_lines(client, auth, body["import_id"])
    assert line["status"] == "unmatched" and line["allocations"] == [] and line["unallocated_vnd"] == 100_000
    first, *rest = line["suggestions"]
    assert first == {"payment_code": paid_for, "amount_vnd": 100_000, "score": 85, "reasons": ["named_by_callback"]}
    assert {s["payment_code"] for s in rest} <= set(others)
    assert client.get(f"/api/v1/payment-requests/{paid_for}").json["paid_vnd"] == 0  # proposed, never applied
    single = client.get(f"/api/v1/reconciliation/lines/{line['id']}", headers=auth("finance")).json
    assert single["suggestions"][0] == first
    [waiting] = client.get("/api/v1/finance/suspense", headers=auth("finance")).json["payments"]
    assert waiting["suggestions"][0] == first  # the suspense desk offers the same
    done = client.post(f"/api/v1/reconciliation/lines/{line['id']}/match", headers=auth("finance"),
                       json={"payment_code": paid_for, "reason": "ngân hàng báo mã trong thông báo"})
    assert done.status_code == 201, done.json
    assert client.get(f"/api/v1/payment-requests/{paid_for}").json["paid_vnd"] == 100_000


def test_a_code_a_late_callback_names_is_not_offered_once_its_request_is_paid(client, auth, test_settings):
    named = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    body = upload(client, auth, vcb_csv(("FT2611240098", "", "100.000", "nop tien ho so"),
                                        ("FT2611240097", "", "100.000", f"{named}"))).json
    bank_callback(client, test_settings, "FT2611240098", 100_000, f"{named}")
    waiting, _ = all_lines(client, auth, body["import_id"])
    assert named not in [s["payment_code"] for s in waiting["suggestions"]]  # paid by the other line
