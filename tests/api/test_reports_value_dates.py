"""The day report lists each statement line's value date ("Ngày hiệu lực", dd/mm/yyyy, empty when the file
gave none) in every format; a closed day whose CSV was frozen before the column existed still completes its
XLSX and PDF in that CSV's own columns (its recorded hashes stay the files served)."""
import csv
import hashlib
import io

from openpyxl import load_workbook
from sqlalchemy import select

from reconciliation import files, reports
from reconciliation.models import ReconDay
from tests.api.test_reconciliation_reports import csv_lines, pdf_text, report, xlsx_lines
from tests.recon_factories import upload
from tests.unit.test_parse_fix_tabular import csv_text

DAY = "2026-11-24"
HEADER = ["Ngày giao dịch", "Ngày hiệu lực", "Số tham chiếu", "Ghi nợ", "Ghi có", "Nội dung"]
VALUE_DATE = "Ngày hiệu lực"


def _statement(client, auth) -> None:
    imported = upload(client, auth, csv_text(HEADER, ["24/11/2026", "25/11/2026", "R1", "", "10.000", "ung ho"],
                                             ["24/11/2026", "", "R2", "", "20.000", "ung ho 2"]))
    assert imported.status_code == 201, imported.json


def test_every_report_lists_the_lines_value_dates_after_their_booking_day(client, auth, db):
    _statement(client, auth)
    assert reports.LINE_COLUMNS.index(VALUE_DATE) == reports.LINE_COLUMNS.index("Ngày giao dịch") + 1
    assert [(l["Số tham chiếu"], l[VALUE_DATE]) for l in csv_lines(report(client, auth, "csv"))] == \
        [("R1", "25/11/2026"), ("R2", "")]
    assert [(l["Số tham chiếu"], l[VALUE_DATE]) for l in xlsx_lines(report(client, auth, "xlsx"))] == \
        [("R1", "25/11/2026"), ("R2", None)]
    text = pdf_text(report(client, auth, "pdf"))
    assert "Ngày hiệu" in text and "\n1 24/11/2026 25/11/2026" in text and "\n2 24/11/2026 " in text


def _close(client, auth) -> None:
    for exception in client.get(f"/api/v1/reconciliation/days/{DAY}/exceptions", headers=auth("finance")).json["exceptions"]:
        assert client.post(f"/api/v1/reconciliation/days/{DAY}/exceptions/{exception['key']}/acknowledge",
                           headers=auth("finance"), json={"reason": "xem sau"}).status_code == 201
    assert client.post(f"/api/v1/reconciliation/days/{DAY}/close", headers=auth("finance")).status_code == 202


def _without_value_dates(data: bytes) -> bytes:
    """The CSV as a close froze it before reports listed value dates: the line table without the column."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    start = rows.index(reports.LINE_COLUMNS)
    drop = reports.LINE_COLUMNS.index(VALUE_DATE)
    rows[start:] = [row[:drop] + row[drop + 1:] for row in rows[start:]]
    out = io.StringIO()
    out.write("\ufeff")
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def test_a_day_closed_before_value_dates_were_listed_completes_its_reports_in_its_csvs_columns(
        client, auth, db, monkeypatch):
    _statement(client, auth)
    _close(client, auth)
    monkeypatch.setattr(reports, "freeze_after_close", lambda *args: None)  # the XLSX and PDF are left to render
    assert client.post(f"/api/v1/reconciliation/days/{DAY}/close/approve", headers=auth("approver")).status_code == 200
    monkeypatch.undo()
    with db() as session:  # the CSV as an older release froze it, its hash recorded
        row = session.execute(select(ReconDay)).scalar_one()
        old = _without_value_dates(files.read_all(session, row.reports["csv"]["sha256"]))
        sha256 = files.store_bytes(session, old, content_type=reports.FORMATS["csv"], now=row.closed_at)
        row.reports = {"csv": {"sha256": sha256, "size_bytes": len(old)}}
        session.commit()
    assert hashlib.sha256(report(client, auth, "csv")).hexdigest() == sha256  # served as frozen
    book = load_workbook(io.BytesIO(report(client, auth, "xlsx")), read_only=True)["Chi tiết sao kê"]
    header, *lines = [list(r) for r in book.iter_rows(values_only=True)]
    assert VALUE_DATE not in header and len(header) == len(reports.LINE_COLUMNS) - 1
    assert [dict(zip(header, line))["Số tiền (VND)"] for line in lines] == [10_000, 20_000]  # numbers, in place
    text = pdf_text(report(client, auth, "pdf"))
    assert "Ngày hiệu" not in text and "10.000 ₫" in text and "20.000 ₫" in text
    recorded = client.get(f"/api/v1/reconciliation/days/{DAY}", headers=auth("auditor")).json["reports"]
    for fmt in reports.FORMATS:
        assert hashlib.sha256(report(client, auth, fmt)).hexdigest() == recorded[fmt]["sha256"]


def test_the_pdf_lists_every_request_a_line_paid_in_full(client, auth):
    """Codes and amounts are figures: the payment-code column grows with the allocations (up to 30 lines, what
    a page holds), not cut after two."""
    from tests.factories import make_request

    codes = [make_request(client, auth, ("Lệ phí", "charge", amount)) for amount in (30_000, 50_000, 70_000)]
    memo = " ".join(codes)
    imported = upload(client, auth, csv_text(HEADER, ["24/11/2026", "", "R9", "", "150.000", memo]))
    assert imported.status_code == 201, imported.json
    text = " ".join(pdf_text(report(client, auth, "pdf")).split())
    for code, amount in zip(codes, ("30.000", "50.000", "70.000")):
        assert f"{code} ({amount} ₫)" in text, (code, text)
