"""Section I of the reconciliation report says when there is no balance to show (as section VII says
"Không có ngoại lệ"), in every format, rather than printing its column headings over nothing."""
import csv
import hashlib
import io

import pytest

from reconciliation import reports
from tests.api.test_reconciliation_reports import pdf_text, xlsx_values
from tests.factories import make_request
from tests.recon_factories import upload, vcb_csv

DAY = "2026-11-24"
NOT_STATED = "Không có số dư (sao kê không ghi số dư)"
NO_STATEMENT = "Không có số dư (không có sao kê của ngày)"
HEADING = "I. Số dư tài khoản"


def get(client, auth, fmt: str, day: str = DAY):
    r = client.get(f"/api/v1/reconciliation/days/{day}/report.{fmt}", headers=auth("auditor"))
    assert r.status_code == 200, r.data[:200]
    return r


def balance_rows(fmt: str, data: bytes) -> list[list]:
    """Section I's rows, between its column headings and the empty row that ends it."""
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    else:
        rows = [[("" if v is None else v) for v in row] for row in xlsx_values(data)]
    start = [row[:1] for row in rows].index([HEADING]) + 2
    end = next(i for i in range(start, len(rows)) if not any(rows[i]))
    return rows[start:end]


def squeezed(text: str) -> str:
    """The PDF's text without its spaces and line breaks (a table cell wraps)."""
    return "".join(text.split())


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_day_whose_statement_states_no_balance_says_so_in_section_one(client, auth, db, fmt):
    assert upload(client, auth, vcb_csv(("D1", "", "20.000", "ung ho"))).status_code == 201
    assert balance_rows(fmt, get(client, auth, fmt).data) == [[NOT_STATED, "", "", "", "", "", ""]]


def test_the_pdf_says_so_too(client, auth, db):
    assert upload(client, auth, vcb_csv(("D1", "", "20.000", "ung ho"))).status_code == 201
    assert squeezed(NOT_STATED) in squeezed(pdf_text(get(client, auth, "pdf").data))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_day_without_a_statement_says_there_is_none(client, auth, db, fmt):
    assert balance_rows(fmt, get(client, auth, fmt).data) == [[NO_STATEMENT, "", "", "", "", "", ""]]


def test_a_day_with_balances_lists_them_and_no_empty_row(client, auth, db):
    assert upload(client, auth, vcb_csv(("D1", "", "20.000", "ung ho"), closing="1.020.000")).status_code == 201
    [row] = balance_rows("csv", get(client, auth, "csv").data)
    assert row[0] == "Vietcombank 0071001234567"


def test_a_day_closed_without_balances_freezes_the_row_in_every_stored_file(client, auth, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 50_000))
    assert upload(client, auth, vcb_csv(("C1", "", "50.000", f"nop {code}"))).status_code == 201
    assert client.post(f"/api/v1/reconciliation/days/{DAY}/close", headers=auth("finance")).status_code == 202
    closed = client.post(f"/api/v1/reconciliation/days/{DAY}/close/approve", headers=auth("approver"))
    assert closed.status_code == 200, closed.json
    served = {fmt: get(client, auth, fmt) for fmt in reports.FORMATS}
    for fmt, r in served.items():
        assert hashlib.sha256(r.data).hexdigest() == closed.json["reports"][fmt]["sha256"]
    assert balance_rows("csv", served["csv"].data) == [[NOT_STATED, "", "", "", "", "", ""]]
    assert balance_rows("xlsx", served["xlsx"].data) == [[NOT_STATED, "", "", "", "", "", ""]]
    assert squeezed(NOT_STATED) in squeezed(pdf_text(served["pdf"].data))
