"""The daily reconciliation report as finance staff read it: Vietnamese labels, money printed as
money only in money columns, times only where the bank gave one, the time zone stated, and a
closed day's file always the one whose hash was recorded at close."""
import csv
import hashlib
import io
import json

import pytest

from reconciliation import reports
from tests.factories import make_request, signed
from tests.recon_factories import all_lines, upload, upload_sample, vcb_csv

DAY = "2026-11-24"
TIME_ZONE = "Giờ Việt Nam (UTC+7)"


def report(client, auth, fmt: str) -> bytes:
    r = client.get(f"/api/v1/reconciliation/days/{DAY}/report.{fmt}", headers=auth("finance"))
    assert r.status_code == 200, r.data[:200]
    return r.data


def pdf_text(data: bytes) -> str:
    import pypdf

    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def xlsx_values(data: bytes) -> list[list]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(data), read_only=True)
    return [list(row) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)]


def csv_lines(data: bytes) -> list[dict[str, str]]:
    """Section VII of the CSV report, one dict per statement line."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    start = rows.index(reports.LINE_COLUMNS) + 1
    return [dict(zip(reports.LINE_COLUMNS, row)) for row in rows[start:]]


def xlsx_lines(data: bytes) -> list[dict]:
    rows = xlsx_values(data)
    start = rows.index(reports.LINE_COLUMNS) + 1
    return [dict(zip(reports.LINE_COLUMNS, row)) for row in rows[start:]]


def bank_callback(client, settings, txn: str, code: str, amount: int) -> None:
    headers, raw = signed(settings, "HCCPAY_BANK_WEBHOOK_SECRET", {
        "transaction_id": txn, "account_number": "0071001234567", "amount_vnd": amount, "content": f"CT den {code}",
        "booked_at": f"{DAY}T09:00:00+07:00", "direction": "credit"})
    assert client.post("/api/v1/callbacks/bank", data=raw, headers=headers).status_code == 200


def test_pdf_prints_counts_and_row_numbers_as_numbers_and_only_amounts_as_money(client, auth, db):
    rows = [(f"P{i}", "", "10.000", f"ung ho {i}") for i in range(1001)]
    assert upload(client, auth, vcb_csv(*rows)).status_code == 201
    text = pdf_text(report(client, auth, "pdf"))
    assert "1.001 ₫" not in text and "1.000 ₫" not in text
    assert "1001 10.010.000 ₫" in text  # a count, then its amount
    assert "\n1000 24/11/2026" in text and "\n1001 24/11/2026" in text  # row numbers
    assert "10.000 ₫" in text


def test_reasons_are_vietnamese_labels_each_once_in_every_format(client, auth, test_settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    bank_callback(client, test_settings, "FT2611240001", code, 100_000)
    body = upload(client, auth, vcb_csv(("FT2611240001", "", "100.000", f"CT den {code}"),
                                        ("77.2", "", "5.000", "ung ho"))).json
    seen, stray = all_lines(client, auth, body["import_id"])
    assert client.post(f"/api/v1/reconciliation/lines/{stray['id']}/write-off", json={"reason": "không rõ người nộp"},
                       headers=auth("finance")).status_code == 201
    csv_data, xlsx_data = report(client, auth, "csv"), report(client, auth, "xlsx")
    expected = ["Đã có thông báo, Mã hợp lệ", "Đã ghi thu khác"]
    assert [line["Lý do"] for line in csv_lines(csv_data)] == expected
    assert [line["Lý do"] for line in xlsx_lines(xlsx_data)] == expected
    text = pdf_text(report(client, auth, "pdf"))
    assert "Đã ghi thu khác" in text and "Đã có thông báo" in text
    for rendered in (csv_data.decode("utf-8-sig"), json.dumps(xlsx_values(xlsx_data), ensure_ascii=False,
                                                             default=str), text):
        assert "written_off" not in rendered and "seen_by_callback" not in rendered and "code_verified" not in rendered


def test_the_pages_and_the_report_use_one_table_of_reason_labels():
    from web import finance_text

    assert finance_text.REASONS is reports.REASON_VI


def test_a_line_with_only_a_date_shows_the_date_and_a_timed_line_its_hanoi_time(client, auth, db):
    assert upload(client, auth, vcb_csv(("D1", "", "20.000", "ung ho"))).status_code == 201
    assert upload_sample(client, auth, "statement_sample.camt053.xml").status_code == 201
    lines = csv_lines(report(client, auth, "csv"))
    dated = [line for line in lines if line["Số tham chiếu"] == "D1"]
    assert [line["Thời điểm"] for line in dated] == ["24/11/2026"]
    timed = [line["Thời điểm"] for line in lines if line["Số tham chiếu"] != "D1"]
    assert timed and all(len(t) == 16 and t.startswith("24/11/2026 ") for t in timed)
    assert "24/11/2026 07:00" in timed  # <DtTm>2026-11-24T07:00:00+07:00</DtTm>
    assert not any(t.endswith(" 00:00") for t in timed)


def test_every_format_states_the_time_zone_in_its_header(client, auth, db):
    assert upload(client, auth, vcb_csv(("D1", "", "20.000", "ung ho"))).status_code == 201
    assert TIME_ZONE in report(client, auth, "csv").decode("utf-8-sig")
    assert TIME_ZONE in [cell for row in xlsx_values(report(client, auth, "xlsx")) for cell in row]
    assert TIME_ZONE in pdf_text(report(client, auth, "pdf"))


def test_each_report_is_served_with_its_content_type_once(client, auth, db):
    assert upload(client, auth, vcb_csv(("D1", "", "20.000", "ung ho"))).status_code == 201
    for fmt, content_type in [("csv", "text/csv; charset=utf-8"), ("pdf", "application/pdf"),
                              ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")]:
        r = client.get(f"/api/v1/reconciliation/days/{DAY}/report.{fmt}", headers=auth("finance"))
        assert r.headers["Content-Type"] == content_type


def test_a_closed_days_report_is_the_file_hashed_at_close_whatever_the_renderer_does_later(
        client, auth, db, monkeypatch):
    code = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    assert upload(client, auth, vcb_csv(("C1", "", "50.000", f"nop {code}"))).status_code == 201
    assert client.post(f"/api/v1/reconciliation/days/{DAY}/close", headers=auth("finance")).status_code == 202
    closed = client.post(f"/api/v1/reconciliation/days/{DAY}/close/approve", headers=auth("approver"))
    assert closed.status_code == 200, closed.json
    recorded = closed.json["reports"]
    for fmt in reports.FORMATS:
        monkeypatch.setitem(reports.RENDERERS, fmt, lambda *args, **kwargs: b"rendered differently today")
    for fmt in reports.FORMATS:
        r = client.get(f"/api/v1/reconciliation/days/{DAY}/report.{fmt}", headers=auth("auditor"))
        assert hashlib.sha256(r.data).hexdigest() == r.headers["X-Content-SHA256"] == recorded[fmt]["sha256"]


@pytest.mark.parametrize("value, money, shown", [
    (1001, False, "1001"), (1001, True, "1.001 ₫"), (0, True, "0 ₫"), (500, True, "500 ₫"), (None, True, ""),
    ("Thông tin", True, "Thông tin"), (True, True, "True")])
def test_a_pdf_cell_is_money_only_in_a_money_column(value, money, shown):
    assert reports.pdf_cell(value, money) == shown


def test_a_closed_reports_exceptions_name_the_line_by_its_stt_and_the_request_by_its_code(client, auth, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 30_000))
    upload(client, auth, vcb_csv(("5000.1", "", "20.000", "phi khac"), ("5000.2", "", "50.000", f"{code} nop")))
    for found in client.get(f"/api/v1/reconciliation/days/{DAY}/exceptions", headers=auth("finance")).json[
            "exceptions"]:
        if found["severity"] == "blocking":
            client.post(f"/api/v1/reconciliation/days/{DAY}/exceptions/{found['key']}/acknowledge",
                        headers=auth("finance"), json={"reason": "xử lý sau"})
    assert client.post(f"/api/v1/reconciliation/days/{DAY}/close", headers=auth("finance")).status_code == 202
    assert client.post(f"/api/v1/reconciliation/days/{DAY}/close/approve", headers=auth("approver")).status_code == 200
    rows = list(csv.reader(io.StringIO(report(client, auth, "csv").decode("utf-8-sig"))))
    start = rows.index(["VII. Ngoại lệ"])
    assert rows[start + 1] == ["Đối tượng", "Loại", "Số tiền (VND)", "Xử lý"]
    section = rows[start + 2:rows.index([], start)]
    subjects = {row[0] for row in section}
    assert {"Dòng 1 (mục VIII)", "Dòng 2 (mục VIII)", f"Mã thanh toán {code}"} <= subjects, section
    assert not any(subject.startswith(("line:", "request:")) for subject in subjects)
    assert "Dòng 1 (mục VIII)" in pdf_text(report(client, auth, "pdf"))


def test_the_pdf_line_table_prints_each_lines_time_reference_and_amount_whole(client, auth, db):
    # The PDF is what an auditor signs: a booking time cut to "24/11/2026 0…", a reference cut so that
    # FT…01 and FT…02 read alike, or an amount cut to "1.000.000.0…" is a figure gone from the record.
    assert upload_sample(client, auth, "statement_sample.camt053.xml").status_code == 201
    assert upload(client, auth, vcb_csv(("FT24106441476649", "", "1.000.000.000.000", "chuyen tien"),
                                        ("FT2410644147665012345678901", "", "20.000", "ung ho"))).status_code == 201
    lines = pdf_text(report(client, auth, "pdf")).split(reports.LINES_HEADING, 1)[1]
    assert "24/11/2026 07:00" in lines  # <DtTm>2026-11-24T07:00:00+07:00</DtTm>, the sample's first line
    assert "FT24106441476649" in lines and "1.000.000.000.000 ₫" in lines
    # a reference longer than its column goes on over a second line, not cut
    assert "FT2410644147665" in lines and "012345678901" in lines.replace("\n", "")
