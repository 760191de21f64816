"""A closed day's reports are frozen as the close saw the day, and their hashes recorded when the approval
answers; but only the day's figures and its statement lines (the CSV) are taken under the books lock: the
XLSX and PDF are rendered from those after the close has committed, so money writers do not wait for them.
The reports name the account and the people as the finance pages do."""
import csv
import hashlib
import io
from contextlib import closing
from datetime import date

from sqlalchemy import select, text

from kernel.clock import now_utc
from kernel.db import unit_of_work
from reconciliation import days, reports
from reconciliation.models import ReconDay
from tests.factories import make_request
from tests.recon_factories import all_lines, upload, vcb_csv

DAY = "2026-11-24"


def status_seen_by_others(engine) -> str | None:
    """The day's status as another connection sees it now, without waiting for any lock (what the
    close's transaction has not committed yet is not seen)."""
    if engine.dialect.name != "postgresql":
        import sqlite3

        with closing(sqlite3.connect(engine.url.database, timeout=0)) as conn:  # a plain read: no BEGIN
            found = conn.execute("SELECT status FROM recon_days WHERE business_date = ?", (DAY,)).fetchone()
        return found[0] if found else None
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        return conn.execute(text("SELECT status FROM recon_days WHERE business_date = :d"), {"d": DAY}).scalar()


def books_free(engine) -> bool:
    """Nobody holds the books exclusively (PostgreSQL; SQLite has no such lock)."""
    if engine.dialect.name != "postgresql":
        return True
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        taken = conn.execute(text("SELECT pg_try_advisory_lock_shared(hashtextextended('reconciliation.books', 0))"))
        if not taken.scalar():
            return False
        conn.execute(text("SELECT pg_advisory_unlock_shared(hashtextextended('reconciliation.books', 0))"))
        return True


def a_day_to_close(client, auth) -> dict:
    code = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    body = upload(client, auth, vcb_csv(("C1", "", "50.000", f"nop {code}"), ("S1", "", "7.000", "khong ma"),
                                        closing="1.057.000")).json
    _, stray = all_lines(client, auth, body["import_id"])
    found = client.get(f"/api/v1/reconciliation/days/{DAY}/exceptions", headers=auth("finance")).json["exceptions"]
    for exception in found:
        assert client.post(f"/api/v1/reconciliation/days/{DAY}/exceptions/{exception['key']}/acknowledge",
                           headers=auth("finance"), json={"reason": "xem sau"}).status_code == 201
    assert client.post(f"/api/v1/reconciliation/days/{DAY}/close", headers=auth("finance")).status_code == 202
    return stray


def test_the_xlsx_and_pdf_are_rendered_after_the_close_committed_and_hashed_before_it_answers(
        client, auth, db, engine, monkeypatch):
    a_day_to_close(client, auth)
    seen = {}
    for fmt in ("xlsx", "pdf"):
        def rendering(*args, fmt=fmt, real=reports.RENDERERS[fmt]):
            seen[fmt] = (status_seen_by_others(engine), books_free(engine))
            return real(*args)
        monkeypatch.setitem(reports.RENDERERS, fmt, rendering)
    approved = client.post(f"/api/v1/reconciliation/days/{DAY}/close/approve", headers=auth("approver"))
    assert approved.status_code == 200, approved.json
    assert seen == {"xlsx": ("closed", True), "pdf": ("closed", True)}
    recorded = approved.json["reports"]
    assert sorted(recorded) == ["csv", "pdf", "xlsx"]
    for fmt in reports.FORMATS:
        r = client.get(f"/api/v1/reconciliation/days/{DAY}/report.{fmt}", headers=auth("auditor"))
        assert hashlib.sha256(r.data).hexdigest() == r.headers["X-Content-SHA256"] == recorded[fmt]["sha256"]


def test_a_close_approved_in_a_service_transaction_has_every_hash_once_it_commits(client, auth, db, test_settings):
    a_day_to_close(client, auth)  # the finance pages approve this way: one transaction around approve_close
    with unit_of_work(db) as s:
        days.approve_close(s, date.fromisoformat(DAY), settings=test_settings, actor="user:7:Trần Minh",
                           now=now_utc())
    with db() as s:
        assert sorted(s.execute(select(ReconDay.reports)).scalar_one()) == ["csv", "pdf", "xlsx"]


def xlsx_reasons(data: bytes) -> list:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data), read_only=True)["Chi tiết sao kê"]
    return [row[reports.LINE_COLUMNS.index("Lý do")] for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_reports_completed_later_show_the_lines_as_the_close_froze_them(client, auth, db, test_settings,
                                                                         monkeypatch):
    stray = a_day_to_close(client, auth)
    monkeypatch.setattr(reports, "freeze_after_close", lambda *args: None)  # the process died after the close
    assert client.post(f"/api/v1/reconciliation/days/{DAY}/close/approve", headers=auth("approver")).status_code == 200
    monkeypatch.undo()
    shown = client.get(f"/api/v1/reconciliation/days/{DAY}", headers=auth("auditor")).json
    assert (shown["status"], shown["reports"]) == ("closed", None)  # not all of them yet
    written_off = client.post(f"/api/v1/reconciliation/lines/{stray['id']}/write-off", headers=auth("finance"),
                              json={"reason": "không rõ người nộp", "as_adjustment": True})
    assert written_off.status_code == 201 and "written_off" in written_off.json["line"]["reasons"], written_off.json
    r = client.get(f"/api/v1/reconciliation/days/{DAY}/report.xlsx", headers=auth("auditor"))
    assert xlsx_reasons(r.data) == ["Mã hợp lệ", "Không có mã"]  # as at the close, not as now
    recorded = client.get(f"/api/v1/reconciliation/days/{DAY}", headers=auth("auditor")).json["reports"]
    assert recorded["xlsx"]["sha256"] == hashlib.sha256(r.data).hexdigest() == r.headers["X-Content-SHA256"]


def test_the_pdf_lists_two_thousand_lines_and_points_to_the_other_files_for_the_rest(client, auth, db):
    rows = [(f"P{i}", "", "1.000", f"ung ho {i}") for i in range(reports.PDF_LINE_LIMIT + 1)]
    assert upload(client, auth, vcb_csv(*rows)).status_code == 201
    import pypdf

    data = client.get(f"/api/v1/reconciliation/days/{DAY}/report.pdf", headers=auth("finance")).data
    text_ = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    assert "\n2000 24/11/2026" in text_ and "\n2001 24/11/2026" not in text_
    assert "Xem tệp CSV/XLSX để có đầy đủ các dòng" in " ".join(text_.split())  # the note may wrap in its cell


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_the_report_names_the_account_and_the_people_as_the_pages_do(client, auth, db):
    a_day_to_close(client, auth)
    assert client.post(f"/api/v1/reconciliation/days/{DAY}/close/approve", headers=auth("approver")).status_code == 200
    rows = csv_rows(client.get(f"/api/v1/reconciliation/days/{DAY}/report.csv", headers=auth("auditor")).data)
    named = {row[0]: row[1] for row in rows if len(row) == 2}
    assert (named["Người đề nghị khóa sổ"], named["Người phê duyệt"]) == ("test finance", "test approver")
    balances = rows[rows.index(["I. Số dư tài khoản"]) + 2]
    assert balances[0] == "Vietcombank 0071001234567"
    assert "bank:970436" not in "\n".join(",".join(row) for row in rows[:rows.index([reports.LINES_HEADING])])


def test_a_late_balance_check_is_in_the_report_of_the_day_it_landed_in(client, auth, db):
    mt940 = (":20:A{n}\r\n:25:0071001234567\r\n:28C:{n}/1\r\n:60F:C261124VND{o},\r\n"
             ":61:2611241124D{a},NTRF{r}//{r}\r\n:86:phi\r\n:62F:C261124VND{c},\r\n-\r\n")
    assert upload(client, auth, mt940.format(n=1, o=1_000_000, a=10_000, r="8001", c=990_000), "a.sta").status_code \
        == 201
    assert client.post(f"/api/v1/reconciliation/days/{DAY}/close", headers=auth("finance")).status_code == 202
    assert client.post(f"/api/v1/reconciliation/days/{DAY}/close/approve", headers=auth("approver")).status_code == 200
    assert upload(client, auth, mt940.format(n=2, o=990_000, a=5_000, r="8002", c=984_999), "b.sta").status_code \
        == 201
    rows = csv_rows(client.get("/api/v1/reconciliation/days/2026-11-25/report.csv", headers=auth("auditor")).data)
    balances = rows[rows.index(["I. Số dư tài khoản"]) + 2]
    assert balances == ["Vietcombank 0071001234567 (ngày 24/11/2026, phần sao kê nhập sau khi khóa sổ)",
                        "1000000", "0", "15000", "984999", "985000", "-1"]


def test_a_draft_report_counts_the_open_exceptions_by_kind_instead_of_looking_clean(client, auth, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    upload(client, auth, vcb_csv(("C1", "", "50.000", f"nop {code}"), ("S1", "", "7.000", "khong ma"),
                                 closing="1.057.000"))
    rows = csv_rows(client.get(f"/api/v1/reconciliation/days/{DAY}/report.csv", headers=auth("auditor")).data)
    section = rows[rows.index(["VII. Ngoại lệ"]) + 2:]
    listed = [row for row in section[:5] if len(row) == 4 and row[1] == "Tiền về chưa khớp"]
    assert listed and listed[0][2] == "7000" and "đang mở" in listed[0][3], section[:5]
