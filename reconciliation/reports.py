"""The daily reconciliation report (báo cáo đối soát) as CSV, XLSX and PDF, in Vietnamese with
times in Asia/Ho_Chi_Minh. Every format carries the same sections; CSV and XLSX list every
statement line of the day, the PDF lists up to `PDF_LINE_LIMIT` of them (the rest are in the
other two). Each section names its money columns: only those print as VND in the PDF (a count
of 1.001 is not money). At close the three are rendered once, stored byte for byte and their SHA-256
recorded, so a closed day's report is always the file that was approved: the CSV under the books
lock, from the day's lines as the close sees them (they may change later: a correction as an
adjustment re-derives a closed day's line), the XLSX and PDF after the close has committed, from
the frozen summary and that CSV (`frozen_line_rows`), so writers of money do not wait for them.
"""
from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kernel import audit
from kernel.clock import format_booked, format_local, now_utc
from kernel.db import unit_of_work
from kernel.money import format_vnd
from kernel.pdf import FONT, new_document, render
from kernel.text import spreadsheet_safe
from payments.banks import bank_by_bin
from reconciliation import files, links, service
from reconciliation.models import CLOSED, ReconDay, StatementLine

FORMATS = {"csv": "text/csv; charset=utf-8", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
           "pdf": "application/pdf"}
PDF_LINE_LIMIT = 2000
TITLE = "BÁO CÁO ĐỐI SOÁT THU PHÍ, LỆ PHÍ"
TIME_ZONE = "Giờ Việt Nam (UTC+7)"
STATUS_VI = {"matched": "Đã khớp", "proposed": "Đề xuất", "unmatched": "Chưa khớp", "ignored": "Bỏ qua",
             "allocated": "Đã phân bổ", "settled_by_finance": "Đã xử lý (ghi thu khác/hoàn trả)",
             "in_suspense": "Chờ xử lý (tạm treo)", "partly_in_suspense": "Phân bổ một phần", "reversed": "Đã hủy/đảo"}
# Rows of the by-agency totals that are not an agency: where the rest of the day's money is.
AGENCY_VI = {"suspense": "Chờ xử lý (tạm treo)", "written_off": "Ghi thu khác (xóa sổ tạm treo)",
             "refunded": "Hoàn trả người nộp", "overpaid": "Nộp thừa"}
# Corrections of closed days' payments that land in this day (days.py `_adjustments`), by ledger entry kind.
ADJUSTMENT_VI = {"allocation_release": "Bỏ khớp, trả về tạm treo", "reversal": "Hủy/đảo giao dịch",
                 "write_off": "Ghi thu khác", "write_off_undone": "Hủy ghi thu khác",
                 "refund_approved": "Hoàn trả người nộp", "refund_failed": "Hoàn trả không thành công",
                 "suspense_assignment": "Phân bổ từ tạm treo", "payment": "Thu tiền",
                 "fee_withdrawn": "Thôi thu khoản đã nộp (hủy chuyển phát), chuyển nộp thừa",
                 "payment_corrected": "Sửa số tiền theo sao kê",
                 "payment_correction_undone": "Hủy sửa số tiền theo sao kê"}
TYPE_VI = {"payment": "Thu tiền", "reversal": "Giao dịch bị hủy/đảo", "bank_debit": "Ngân hàng ghi nợ (phí...)",
           "bank_reversal": "Ngân hàng hoàn/đảo giao dịch đã ghi có"}
KIND_VI = {"unmatched_credit": "Tiền về chưa khớp", "late": "Nộp sau khi hết hạn/hủy",
           "under_payment": "Nộp thiếu", "over_payment": "Nộp thừa", "duplicate": "Trùng giao dịch",
           "reversed": "Giao dịch đảo/hủy", "payment_without_statement_line": "Có thông báo nhưng không có trên sao kê",
           "balance_mismatch": "Lệch số dư", "amount_differs": "Số tiền sao kê khác thông báo", "missed_callback": "Có trên sao kê nhưng không có thông báo"}
DIRECTION_VI = {"credit": "Ghi có", "debit": "Ghi nợ"}
# Where money came from and how it was paid; the finance pages show the same names.
PROVIDER_VI = {"statement": "Sao kê ngân hàng", "bank": "Ngân hàng (thông báo)", "sepay": "SePay (thông báo)",
               "payos": "payOS (thông báo)", "vnpay": "VNPay (cổng thanh toán)", "pos": "Máy POS",
               "cash": "Thu tiền mặt tại quầy", "vnpost_cod": "Bưu điện thu hộ (VNPost)"}
CHANNEL_VI = {"vietqr_transfer": "Chuyển khoản (VietQR)", "pos_card": "Thẻ (POS)",
              "internet_banking": "Ngân hàng điện tử", "cash": "Tiền mặt",
              "cod": "Thu hộ qua bưu điện (COD)"}
# Why a statement line has its status (matching.classify); the finance pages show the same labels.
REASON_VI = {
    "debit": "Ghi nợ", "reversal": "Giao dịch đảo", "ignored_by_finance": "Kế toán bỏ qua",
    "seen_by_callback": "Đã có thông báo", "no_payment": "Không có khoản thu", "payment_reversed": "Khoản thu đã hủy",
    "code_verified": "Mã hợp lệ", "code_corrected": "Mã được sửa lỗi gõ", "manual_match": "Khớp thủ công",
    "multi_code": "Nhiều mã", "part_in_suspense": "Một phần tạm treo", "proposed": "Đề xuất", "no_code": "Không có mã",
    "unresolved_code": "Mã không xác định", "unknown_code": "Mã không tồn tại", "request_closed": "Hồ sơ đã hết hạn/hủy",
    "correction_amount_differs": "Sửa mã nhưng lệch số tiền", "multi_code_excess": "Thừa sau khi chia nhiều mã", "statement_surplus": "Sao kê ghi có nhiều hơn thông báo",
    "released": "Đã bỏ khớp", "voided_before_sale": "Đã hủy trước khi ghi nhận", "written_off": "Đã ghi thu khác",
    "partly_written_off": "Đã ghi thu khác một phần", "refund_requested": "Đã đề nghị hoàn",
    "acknowledged": "Đã chấp nhận", "settled_by_finance": "Đã xử lý (ghi thu khác/hoàn trả)", "under_payment": "Nộp thiếu", "over_payment": "Nộp thừa",
    "split_payment": "Nộp nhiều lần",
}


class Section(NamedTuple):
    heading: str
    columns: list[str]
    rows: list[list]
    money: frozenset[int] = frozenset()  # indexes of the columns that hold VND amounts


def account_name(account: str | None) -> str:
    """`bank:970436:0071001234567` (a ledger account) -> `Vietcombank 0071001234567`, as the finance pages
    name it; any other account as it is."""
    kind, _, rest = (account or "").partition(":")
    bin_, _, number = rest.partition(":")
    bank = bank_by_bin(bin_) if kind == "bank" else None
    return f"{bank.short_name} {number}" if bank is not None and number else account or ""


# Who acted when no person did, as pages and reports name them: the command line (`hccpay reconcile import`)
# and the system's own steps (`system:expiry`, `system:pos`...).
NOT_A_PERSON = {"cli": "Dòng lệnh (CLI)", "system": "Hệ thống"}


def person_name(actor: str | None) -> str:
    """`user:3:Trần Minh` or `token:21:kế toán` (how the audit log names who acted) -> the name after the
    id, as the pages show it; `cli` and `system:…` in Vietnamese (NOT_A_PERSON); any other actor as it is."""
    kind, _, rest = (actor or "").partition(":")
    number, _, name = rest.partition(":")
    if kind in ("user", "token") and number.isdigit() and name.strip():
        return name
    return NOT_A_PERSON.get(kind, actor or "")


def _balance_row(check: dict, day: date) -> list:
    """A balance check of the day, or of a closed day whose late part landed in it (said so)."""
    name = account_name(check["clearing_account"])
    of = check.get("business_date")
    if of is not None and of != day.isoformat():
        name += f" (ngày {date.fromisoformat(of):%d/%m/%Y}, phần sao kê nhập sau khi khóa sổ)"
    return [name, check["opening_vnd"], check["credits_vnd"], check["debits_vnd"], check["closing_stated_vnd"],
            check["closing_computed_vnd"], check["difference_vnd"]]


def _sections(summary: dict, state: dict, now: datetime) -> Iterator[Section]:
    """The summary part of the report, section by section."""
    day = date.fromisoformat(summary["date"])
    closed = state.get("status") == CLOSED
    yield Section(f"{TITLE} NGÀY {day:%d/%m/%Y}", ["Mục", "Giá trị"], [
        ["Trạng thái", "Đã khóa sổ" if closed else "Bản nháp (chưa khóa sổ)"],
        ["Người đề nghị khóa sổ", person_name(state.get("requested_by"))],
        ["Người phê duyệt", person_name(state.get("closed_by"))],
        ["Thời điểm lập báo cáo", format_local(now)],
        ["Múi giờ của mọi ngày giờ trong báo cáo", TIME_ZONE],
        ["Ngưỡng chênh lệch cho phép", format_vnd(summary["tolerance_vnd"])],
    ])
    balances = [_balance_row(b, day) for b in summary["balances"] + summary.get("late_balances", [])]
    # Headings over nothing read as a part of the report gone missing: say why there is no balance, as
    # section VII says there is no exception. A closed day's files are the ones stored at its close.
    if not balances:
        why = "sao kê không ghi số dư" if summary.get("imports") else "không có sao kê của ngày"
        balances = [[f"Không có số dư ({why})", "", "", "", "", "", ""]]
    yield Section("I. Số dư tài khoản", ["Tài khoản", "Số dư đầu ngày", "Tổng ghi có", "Tổng ghi nợ",
                                         "Số dư cuối (sao kê)", "Số dư cuối (tính toán)", "Chênh lệch"],
                  balances, frozenset(range(1, 7)))
    totals = summary["totals"]
    yield Section("II. Tổng hợp theo cơ quan", ["Mã cơ quan", "Số giao dịch", "Số tiền (VND)"],
                  [[AGENCY_VI.get(r["agency_code"], r["agency_code"]), r["count"],
                    r["amount_vnd"]] for r in totals["by_agency"]], frozenset({2}))
    yield Section("III. Tổng hợp theo kênh thanh toán", ["Nhà cung cấp", "Kênh", "Số giao dịch", "Số tiền (VND)",
                                                         "Giao dịch bị hủy/đảo", "Số tiền bị hủy/đảo (VND)"],
                  [[PROVIDER_VI.get(r["provider"], r["provider"]), CHANNEL_VI.get(r["channel"], r["channel"]),
                    r["count"], r["amount_vnd"], r.get("reversed_count", 0), r.get("reversed_vnd", 0)]
                   for r in totals["by_channel"]],
                  frozenset({3, 5}))
    yield Section("IV. Tổng hợp theo loại giao dịch", ["Loại giao dịch", "Số giao dịch", "Số tiền (VND)"],
                  [[TYPE_VI.get(r["type"], r["type"]), r["count"], r["amount_vnd"]]
                   for r in totals["by_transaction_type"]], frozenset({2}))
    yield Section("V. Tổng hợp theo trạng thái", ["Trạng thái", "Số giao dịch", "Số tiền (VND)"],
                  [[STATUS_VI.get(r["status"], r["status"]), r["count"], r["amount_vnd"]] for r in totals["by_status"]]
                  + [[f"Dòng sao kê: {STATUS_VI.get(s, s)}", v["count"], v["amount_vnd"]]
                     for s, v in sorted(summary["lines"]["by_status"].items())], frozenset({2}))
    adjustments = totals.get("adjustments")  # absent from summaries frozen before adjustments were counted
    if adjustments is not None:
        yield Section("VI. Điều chỉnh các ngày đã khóa sổ",
                      ["Loại điều chỉnh", "Mã cơ quan", "Số giao dịch", "Số tiền (VND)"],
                      [[ADJUSTMENT_VI.get(r["kind"], r["kind"]), AGENCY_VI.get(r["agency_code"], r["agency_code"]),
                        r["count"], r["amount_vnd"]] for r in adjustments["by_kind"]]
                      + [["Cộng (thay đổi so với tổng đã khóa sổ)", "", "", adjustments["net_vnd"]]], frozenset({3}))
    rows = _closed_exception_rows(summary.get("closed_exceptions") or []) if closed \
        else _draft_exception_rows(summary.get("exceptions", {}).get("by_kind", {}))
    yield Section("VII. Ngoại lệ", ["Đối tượng", "Loại", "Số tiền (VND)", "Xử lý"],
                  rows or [["", "Không có ngoại lệ", "", ""]], frozenset({2}))
    counts = summary.get("cash_drawers")  # absent from summaries frozen before the drawers were counted
    if counts is not None:
        yield _cash_section(counts)


def _draft_exception_rows(by_kind: dict) -> list[list]:
    """A draft's section VII: the queue as it stands, by kind (the queue itself lists each one); what is there
    for information on its own row, as the closed report marks each such one ("Thông tin"). The credit of a
    reversal pair booked the same day is the reversal's money: said, not counted again."""
    rows = []
    for kind, bucket in sorted(by_kind.items()):
        if bucket["count"]:
            rows.append(["", KIND_VI.get(kind, kind), bucket["amount_vnd"],
                         f"{bucket['open']}/{bucket['count']} đang mở (xem hàng đợi ngoại lệ)"])
        info = bucket.get("info")
        paired = (info or {}).get("in_pair") or {"count": 0, "amount_vnd": 0}  # absent before round 17
        if info and info["count"] > paired["count"]:
            rows.append(["", KIND_VI.get(kind, kind), info["amount_vnd"] - paired["amount_vnd"],
                         f"Thông tin ({info['count'] - paired['count']})"])
        if paired["count"]:  # no amount, as the closed report's row for each such credit
            rows.append(["", KIND_VI.get(kind, kind), "",
                         f"Thông tin ({paired['count']}): ghi có của cặp đảo trong ngày, số tiền tính ở dòng đảo"])
    return rows


def _closed_exception_rows(frozen: list[dict]) -> list[list]:
    """A closed day's section VII: the exceptions as the close froze them, each with how it was handled. The
    credit of a reversal pair whose reversal line is listed too names that line and leaves the amount to it."""
    listed = {e["line_id"]: e.get("report_line_no") for e in frozen if e.get("line_id")}
    rows = []
    for e in frozen:
        pair = (e.get("details") or {}).get("reversal_line_id")
        if e.get("severity") == "info" and listed.get(pair):
            rows.append([_subject(e), KIND_VI.get(e["kind"], e["kind"]), "",
                         f"Thông tin: ghi có của cặp đảo với Dòng {listed[pair]} (mục VIII), số tiền tính ở dòng đó"])
        else:
            rows.append([_subject(e), KIND_VI.get(e["kind"], e["kind"]), e["amount_vnd"], _handled(e)])
    return rows


def _cash_section(counts: dict) -> Section:
    """The day's cash drawers as its summary counts them (`payments.cash.day_counts`): what each should
    hold, its count and the difference, and the over (+) or short (−) of all the counts. Numbered after
    VII so the sections other files and readers name (VII, VIII) keep their numbers."""
    rows = [[f"#{d['id']}", person_name(d["cashier"]), "Đã kiểm đếm" if d["closed"] else "Chưa kiểm đếm",
             d["expected_vnd"], d["counted_vnd"], d["difference_vnd"]] for d in counts["drawers"]]
    total = [["Cộng thừa (+) / thiếu (−)", "", "", "", "", counts["over_short_vnd"]]] if rows else []
    return Section("VII.b. Tiền mặt tại quầy", ["Ngăn kéo", "Thu ngân", "Trạng thái", "Phải có (VND)",
                                                "Kiểm đếm (VND)", "Chênh lệch (VND)"],
                   (rows or [["Không có ngăn kéo tiền mặt trong ngày", "", "", "", "", ""]]) + total,
                   frozenset({3, 4, 5}))


def _subject(exc: dict) -> str:
    """What an exception is about, as a reader of the report finds it: the line's STT in section VIII,
    the request's payment code, the payment, the account. A close frozen before STTs were recorded
    keeps its keys."""
    if exc.get("report_line_no"):
        return f"Dòng {exc['report_line_no']} (mục VIII)"
    if "report_line_no" not in exc:
        return exc["key"]
    if exc.get("line_id"):
        return f"Dòng sao kê #{exc['line_id']} (ngày khác)"
    if exc.get("payment_code"):
        return f"Mã thanh toán {exc['payment_code']}"
    if exc.get("payment_id"):
        return f"Khoản thu #{exc['payment_id']}"
    of = (exc.get("details") or {}).get("business_date")  # a balance check: the day it is of
    return f"Tài khoản {account_name(exc.get('account'))}".strip() + \
        (f" (ngày {date.fromisoformat(of):%d/%m/%Y})" if of else "")


def _handled(exc: dict) -> str:
    """How an exception was handled and, where a person decided, why, by whom and when: the approver
    closed the day on these reasons (queues frozen before they were recorded say how only)."""
    if exc.get("resolution"):
        how = {"refund": "Đề nghị hoàn trả", "ignore": "Bỏ qua", "write_off": "Ghi thu khác"}.get(
            exc["resolution"], exc["resolution"])
    elif exc.get("acknowledged"):
        how = "Đã xác nhận"
    else:
        return "Thông tin" if exc.get("severity") == "info" else "Chưa xử lý"
    decision = exc.get("decision")
    if not decision:
        return how
    return f"{how}: {decision['reason']} ({person_name(decision['by'])}, " \
           f"{format_local(datetime.fromisoformat(decision['at']))})"


LINES_HEADING = "VIII. Chi tiết giao dịch sao kê"
LINE_COLUMNS = ["STT", "Ngày giao dịch", "Ngày hiệu lực", "Thời điểm", "Số tham chiếu", "Loại", "Số tiền (VND)", "Trạng thái", "Điểm",
                "Lý do", "Mã thanh toán", "Nội dung"]
LINE_MONEY = frozenset({LINE_COLUMNS.index("Số tiền (VND)")})




def _reasons(codes: Iterable[str]) -> str:
    """Vietnamese labels of a line's reasons, each once, in order."""
    return ", ".join(dict.fromkeys(REASON_VI.get(code, code) for code in codes))


LINE_FIELDS = (StatementLine.id, StatementLine.booking_date, StatementLine.value_date, StatementLine.booked_at, StatementLine.bank_ref,
               StatementLine.direction, StatementLine.amount_vnd, StatementLine.status, StatementLine.score,
               StatementLine.reasons, StatementLine.payment_id, StatementLine.memo)


def _line_rows(session: Session, day: date) -> Iterator[list]:
    """Every statement line of the day, in id order, read in chunks."""
    after, number = 0, 0
    while True:
        chunk = session.execute(select(*LINE_FIELDS).where(StatementLine.recon_date == day, StatementLine.id > after)
                                .order_by(StatementLine.id).limit(1000)).all()
        if not chunk:
            return
        facts = links.payment_facts(session, [line.payment_id for line in chunk if line.payment_id])
        states = service.request_states(session, {c for f in facts.values() for c, _, _ in f.allocations})
        for line in chunk:
            number += 1
            paid = facts.get(line.payment_id) if line.payment_id else None
            codes = ", ".join(f"{c} ({format_vnd(a)})" for c, a, _ in paid.allocations) if paid else ""
            reasons = service.shown_reasons(line.reasons, paid, states)  # as the API and the pages show them
            yield [number, f"{line.booking_date:%d/%m/%Y}", f"{line.value_date:%d/%m/%Y}" if line.value_date else "",
                   format_booked(line.booked_at), line.bank_ref or "",
                   DIRECTION_VI.get(line.direction, line.direction), line.amount_vnd,
                   STATUS_VI.get(line.status, line.status), line.score, _reasons(reasons), codes, line.memo]
        after = chunk[-1].id


# The columns of the line table that hold numbers (the CSV holds them as text).
LINE_NUMBERS = ("STT", "Số tiền (VND)", "Điểm")


def frozen_line_rows(csv_data: bytes) -> tuple[list[str], Iterator[list]]:
    """The columns and statement lines of a CSV report as `_line_rows` gave them (numbers as numbers;
    texts as the CSV holds them: `spreadsheet_safe` again leaves them as they are). The columns are the
    CSV's own: a day closed by an earlier release froze its table without later columns (the value
    date), and its XLSX and PDF, rendered from that CSV, show what it holds."""
    rows = csv.reader(io.StringIO(csv_data.decode("utf-8-sig"), newline=""))
    columns: list[str] = []
    for row in rows:  # past the summary sections: the table starts under its heading and columns
        if row == [LINES_HEADING]:
            columns = next(rows)
            break
    numbers = {i for i, name in enumerate(columns) if name in LINE_NUMBERS}
    return columns, ([int(value) if i in numbers else value for i, value in enumerate(row)] for row in rows)


def _safe(row: list) -> list:
    """Memos and names come from whoever sent the money: a cell a spreadsheet would run as a formula
    (openpyxl even writes a string starting with `=` as one) is shown as text."""
    return [spreadsheet_safe(value) for value in row]


def render_csv(summary: dict, state: dict, now: datetime, lines: Iterable[list],
               line_columns: list[str] = LINE_COLUMNS) -> bytes:
    out = io.StringIO()
    out.write("\ufeff")  # so spreadsheet programs show the diacritics
    writer = csv.writer(out)
    for heading, columns, rows, _ in _sections(summary, state, now):
        writer.writerow([heading])
        writer.writerow(columns)
        writer.writerows(_safe(row) for row in rows)
        writer.writerow([])
    writer.writerow([LINES_HEADING])
    writer.writerow(line_columns)
    for row in lines:
        writer.writerow(_safe(row))
    return out.getvalue().encode("utf-8")


# Money cells stay numbers (a spreadsheet sums them) shown with thousands grouped, in the reader's own
# separator: a Vietnamese spreadsheet shows 1.500.000 (a bare 1500000 had its zeros counted by hand).
XLSX_MONEY_FORMAT = "#,##0"


def _xlsx_row(sheet, row: list, money: frozenset[int]) -> list:
    from openpyxl.cell import WriteOnlyCell

    cells = _safe(row)
    for i in money:
        if i < len(cells) and type(cells[i]) is int:
            cell = WriteOnlyCell(sheet, value=cells[i])
            cell.number_format = XLSX_MONEY_FORMAT
            cells[i] = cell
    return cells


def render_xlsx(summary: dict, state: dict, now: datetime, lines: Iterable[list],
                line_columns: list[str] = LINE_COLUMNS) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Tổng hợp")
    for heading, columns, rows, money in _sections(summary, state, now):
        sheet.append([heading])
        sheet.append(columns)
        for row in rows:
            sheet.append(_xlsx_row(sheet, row, money))
        sheet.append([])
    details = book.create_sheet("Chi tiết sao kê")
    details.append(line_columns)
    money = frozenset(i for i, name in enumerate(line_columns) if name == "Số tiền (VND)")
    for row in lines:
        details.append(_xlsx_row(details, row, money))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render_pdf(summary: dict, state: dict, now: datetime, lines: Iterable[list],
               line_columns: list[str] = LINE_COLUMNS) -> bytes:
    pdf = new_document(orientation="L", title=f"Báo cáo đối soát {summary['date']}")
    pdf.add_page()
    for index, (heading, columns, rows, money) in enumerate(_sections(summary, state, now)):
        pdf.set_font(FONT, "B", 14 if index == 0 else 11)
        pdf.cell(0, 8, heading, new_x="LMARGIN", new_y="NEXT", align="C" if index == 0 else "L")
        _pdf_table(pdf, columns, rows, money)
    pdf.set_font(FONT, "B", 11)
    pdf.cell(0, 8, LINES_HEADING, new_x="LMARGIN", new_y="NEXT")
    rows = []
    for row in lines:
        if len(rows) == PDF_LINE_LIMIT:
            rows.append(["…"] + [""] * (len(line_columns) - 2) + ["Xem tệp CSV/XLSX để có đầy đủ các dòng"])
            break
        rows.append(row[:-1] + [str(row[-1])[:80]])
    _pdf_lines(pdf, line_columns, rows)
    return render(pdf)


def pdf_cell(value, money: bool) -> str:
    """A table cell as the PDF prints it: VND only in a money column (counts and row numbers stay numbers)."""
    if value is None:
        return ""
    return format_vnd(value) if money and type(value) is int else str(value)


def _pdf_table(pdf, columns: list[str], rows: list[list], money: frozenset[int]) -> None:
    """A summary section (a few rows): fpdf2's table, which wraps long cells."""
    from fpdf.fonts import FontFace

    pdf.set_font(FONT, "", 7)
    with pdf.table(text_align="LEFT", line_height=4,
                   headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230))) as table:
        table.row(columns)
        for values in rows:
            table.row([pdf_cell(v, i in money) for i, v in enumerate(values)])
    pdf.ln(3)


# mm, the width of an A4 landscape page. A booking time ("24/11/2026 07:00"), a 16-character reference
# (FT24106441476649) and the largest amount a line may hold (1.000.000.000.000 ₫) fit their columns whole:
# only texts may be cut, never a figure.
LINE_WIDTHS = (10, 18, 18, 25, 28, 14, 29, 18, 10, 30, 36, 37)
LINE_WIDTH = dict(zip(LINE_COLUMNS, LINE_WIDTHS))
LINE_HEIGHT = 4  # mm: one line of 7 pt text
# Texts wrap onto a second line, then are cut (the CSV and XLSX have them whole); the requests a line
# paid (codes and amounts: figures) take as many lines as they need, up to what a page holds.
WRAPPED = frozenset(("Số tham chiếu", "Lý do", "Mã thanh toán", "Nội dung"))
WHOLE = frozenset(("Mã thanh toán",))
WHOLE_LINES = 30
MONEY_COLUMN = LINE_COLUMNS[min(LINE_MONEY)]


def _pdf_lines(pdf, columns: list[str], rows: list[list]) -> None:
    """The statement lines (up to `PDF_LINE_LIMIT`) drawn text by text in framed cells: fpdf2's table
    lays out every cell of a long table again and again (two thousand lines took 27 s, this one or
    two). Long texts wrap onto two lines at most; the column names head every page. The columns are
    found by name (a frozen CSV's may be an earlier layout's)."""
    widths = [LINE_WIDTH.get(name, 20) for name in columns]
    money = [name == MONEY_COLUMN for name in columns]
    most_lines = [WHOLE_LINES if name in WHOLE else 2 if name in WRAPPED else 1 for name in columns]
    pdf.set_font(FONT, "B", 7)
    heading = [_wrap(pdf, name, width, 2) for name, width in zip(columns, widths)]
    _pdf_row(pdf, heading, widths, bold=True)
    for values in rows:
        texts = [_wrap(pdf, pdf_cell(v, money[i]), width, most_lines[i])
                 for i, (v, width) in enumerate(zip(values, widths))]
        if pdf.will_page_break(LINE_HEIGHT * max(len(t) for t in texts)):
            pdf.add_page()
            _pdf_row(pdf, heading, widths, bold=True)
        _pdf_row(pdf, texts, widths)
    pdf.ln(3)


def _pdf_row(pdf, texts: list[list[str]], widths: list[float], *, bold: bool = False) -> None:
    """One row of the line table: each cell's lines, in a frame as high as the row's tallest cell."""
    pdf.set_font(FONT, "B" if bold else "", 7)
    pdf.set_fill_color(230, 230, 230)
    height = LINE_HEIGHT * max(len(t) for t in texts)
    x, y = pdf.l_margin, pdf.get_y()
    baseline = LINE_HEIGHT / 2 + 0.3 * pdf.font_size  # where fpdf2's cell puts the text
    for parts, width in zip(texts, widths):
        pdf.rect(x, y, width, height, style="DF" if bold else "D")
        for n, part in enumerate(parts):
            if part:
                pdf.text(x + pdf.c_margin, y + n * LINE_HEIGHT + baseline, part)
        x += width
    pdf.set_xy(pdf.l_margin, y + height)


def _wrap(pdf, text: str, width: float, most_lines: int) -> list[str]:
    """The text in lines that fit the column, word by word (a word longer than the column is cut
    there and goes on below): at most `most_lines`, the last cut with "…"."""
    room = width - 2 * pdf.c_margin
    lines: list[str] = []
    while _width(pdf, text) > room and len(lines) < most_lines - 1:
        words, line = text.split(" "), ""
        while words and _width(pdf, f"{line} {words[0]}".strip()) <= room:
            line = f"{line} {words.pop(0)}".strip()
        if not line:  # a first word longer than the column: cut it there
            line = _fit(pdf, text, width, mark="") or text[0]
            words = [text[len(line):]]
        lines.append(line)
        text = " ".join(words).strip()
    return [*lines, _fit(pdf, text, width)]


def _fit(pdf, text: str, width: float, mark: str = "…") -> str:
    """`text` cut (ending with `mark`) to what fits the column."""
    room = width - 2 * pdf.c_margin
    if _width(pdf, text) <= room:
        return text
    low, high = 0, len(text)  # the longest prefix that fits, by bisection
    while low < high:
        middle = (low + high + 1) // 2
        if _width(pdf, text[:middle] + mark) <= room:
            low = middle
        else:
            high = middle - 1
    return text[:low] + mark


def _width(pdf, text: str) -> float:
    """The text's width in mm in the current font, from its glyph widths (what fpdf2's
    `get_string_width` adds up, without its text-shaping work: a table measures thousands of texts)."""
    widths = pdf.current_font.cw
    return sum(widths[ord(c)] for c in text) * pdf.font_size_pt * 0.001 / pdf.k


RENDERERS = {"csv": render_csv, "xlsx": render_xlsx, "pdf": render_pdf}


def render_report(session: Session, fmt: str, summary: dict, state: dict, now: datetime) -> bytes:
    """The report with the day's statement lines as they are now (an open day's draft)."""
    return RENDERERS[fmt](summary, state, now, _line_rows(session, date.fromisoformat(summary["date"])))


def render_frozen(fmt: str, summary: dict, state: dict, now: datetime, csv_data: bytes) -> bytes:
    """The report of a closed day from what its close froze: its summary and its CSV's lines, in the
    CSV's columns."""
    columns, lines = frozen_line_rows(csv_data)
    return RENDERERS[fmt](summary, state, now, lines, columns)


def freeze_lines(session: Session, summary: dict, *, state: dict, now: datetime) -> dict:
    """At the close, under the books lock: the CSV report, with every statement line as the close sees
    it, stored; returns `{"csv": {"sha256", "size_bytes"}}` (the other formats follow from it)."""
    data = render_report(session, "csv", summary, {**state, "status": CLOSED}, now)
    return {"csv": {"sha256": files.store_bytes(session, data, content_type=FORMATS["csv"], now=now),
                    "size_bytes": len(data)}}


def freeze_after_close(sessions: sessionmaker[Session], day: date) -> dict | None:
    """The XLSX and PDF of a closed day whose close froze only its CSV: rendered from the frozen summary
    and CSV outside any transaction (no lock held while they render), then stored and their hashes
    recorded (audited). Nothing to do once every format is recorded; returns the reports."""
    with unit_of_work(sessions) as session:
        row = session.get(ReconDay, day)
        if row is None or row.status != CLOSED or not row.reports or "csv" not in row.reports:
            return None
        missing = [fmt for fmt in FORMATS if fmt not in row.reports]
        if not missing:
            return row.reports
        summary, state, at = row.summary, report_state(row), row.closed_at
        csv_data = files.read_all(session, row.reports["csv"]["sha256"])
    rendered = {fmt: render_frozen(fmt, summary, state, at, csv_data) for fmt in missing}
    with unit_of_work(sessions) as session:
        row = session.execute(select(ReconDay).where(ReconDay.business_date == day).with_for_update()).scalar_one()
        done = dict(row.reports)
        for fmt, data in rendered.items():  # another request may have stored them meanwhile: theirs stay
            if fmt not in done:
                done[fmt] = {"sha256": files.store_bytes(session, data, content_type=FORMATS[fmt], now=at),
                             "size_bytes": len(data)}
        if done != row.reports:
            row.reports = done
            audit.record(session, actor=row.closed_by or "system", action="reconciliation.reports_frozen",
                         subject_type="recon_day", subject_id=day.isoformat(), at=max(at, now_utc()),
                         data={"reports": done})
        return done


def report_state(row: ReconDay) -> dict:
    """Who asked and who approved, as the report's heading prints them."""
    return {"status": row.status, "requested_by": row.requested_by, "closed_by": row.closed_by}


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
