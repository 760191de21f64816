"""A statement line's value date (the day the bank gives the money its value) is kept with the line and
shown next to its booking day: the lines API, the finance statements table and a line's page."""
import pytest

from tests.api.test_finance_pages import DAY, logged_in, people  # noqa: F401 (fixture)
from tests.api.test_statements_round5 import camt, stmt
from tests.recon_factories import all_lines, upload
from tests.unit.test_parse_fix_tabular import csv_text

DAY_VN = "24/11/2026"
HEADER = ["Ngày giao dịch", "Ngày hiệu lực", "Số tham chiếu", "Ghi nợ", "Ghi có", "Nội dung"]


def _mt940(*lines: str) -> str:
    """`:61:` lines (value date 23/11, entry date 24/11 unless said) between balances that add up."""
    return (":20:HCC261124\r\n:25:0071001234567\r\n:28C:00001/001\r\n:60F:C261123VND1000000,\r\n"
            + "".join(lines) + ":62F:C261124VND1080000,\r\n-\r\n")


def _dates(lines: list[dict]) -> list[tuple]:
    return [(line["bank_ref"], line["booking_date"], line["value_date"]) for line in lines]


def test_an_mt940_lines_value_date_is_stored_and_listed_apart_from_its_entry_date(client, auth):
    imported = upload(client, auth, _mt940(":61:2611231124C50000,NTRFV1//V1\r\n:86:ung ho 1\r\n",
                                           ":61:2611241124C30000,NTRFV2//V2\r\n:86:ung ho 2\r\n"), "s.mt940").json
    assert _dates(all_lines(client, auth, imported["import_id"])) == [
        ("V1", "2026-11-24", "2026-11-23"), ("V2", "2026-11-24", "2026-11-24")]


def test_a_camt053_entrys_value_date_is_listed(client, auth):
    entry = ('<Ntry><Amt Ccy="VND">30000</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>'
             "<BookgDt><DtTm>2026-11-24T09:00:00+07:00</DtTm></BookgDt><ValDt><Dt>2026-11-25</Dt></ValDt>"
             "<AcctSvcrRef>C1</AcctSvcrRef><NtryDtls><TxDtls><Refs/><RmtInf><Ustrd>ung ho</Ustrd></RmtInf>"
             "</TxDtls></NtryDtls></Ntry>")
    imported = upload(client, auth, camt(stmt(entry)), "s.xml").json
    assert _dates(all_lines(client, auth, imported["import_id"])) == [("C1", "2026-11-24", "2026-11-25")]


@pytest.mark.parametrize("rows", [1, 60], ids=["one row", "the bulk insert path"])
def test_a_spreadsheets_value_date_column_is_stored_for_every_row(client, auth, rows):
    body = [[DAY_VN, "25/11/2026" if n % 2 else "", f"R{n}", "", "10.000", f"ung ho {n}"] for n in range(rows)]
    imported = upload(client, auth, csv_text(HEADER, *body)).json
    assert imported["lines_new"] == rows, imported
    assert _dates(all_lines(client, auth, imported["import_id"])) == [
        (f"R{n}", DAY, "2026-11-25" if n % 2 else None) for n in range(rows)]


@pytest.mark.parametrize("placeholder", ["-", "\u2013", " - "])
def test_a_dash_for_a_value_date_is_no_value_date_not_a_refused_file(client, auth, placeholder):
    """The value date is information only: a bank's dash for "none" must not refuse the statement."""
    imported = upload(client, auth, csv_text(HEADER, [DAY_VN, placeholder, "R1", "", "10.000", "ung ho"])).json
    assert imported.get("lines_new") == 1, imported
    assert _dates(all_lines(client, auth, imported["import_id"])) == [("R1", DAY, None)]


def test_a_file_without_value_dates_lists_none(client, auth):
    imported = upload(client, auth, csv_text(["Ngày giao dịch", "Ghi có", "Nội dung"], [DAY_VN, "10.000", "x"])).json
    [line] = all_lines(client, auth, imported["import_id"])
    assert "value_date" in line and line["value_date"] is None


def test_the_finance_pages_show_a_lines_value_date(app, client, auth, people):
    finance = logged_in(app, "ketoan")
    imported = upload(client, auth, csv_text(HEADER, [DAY_VN, "25/11/2026", "R1", "", "10.000", "ung ho"])).json
    [line] = all_lines(client, auth, imported["import_id"])
    table = finance.get(f"/staff/finance/statements?date={DAY}&import_id={imported['import_id']}").get_data(as_text=True)
    assert "Ngày hiệu lực" in table and "25/11/2026" in table
    page = finance.get(f"/staff/finance/lines/{line['id']}").get_data(as_text=True)
    assert "Ngày hiệu lực" in page and "25/11/2026" in page
    queue = finance.get(f"/staff/finance/exceptions?date={DAY}").get_data(as_text=True)  # an unmatched credit
    assert "(Ngày hiệu lực 25/11/2026)" in queue



# Imported again with value dates, a line stored without one (a file that had none) gets it: the same
# transfer is one line (its identity has no value date), and the first file's silence is no date.

NO_VALUE_DATES = ["Ngày giao dịch", "Số tham chiếu", "Ghi nợ", "Ghi có", "Nội dung"]


@pytest.mark.parametrize("chunk", [5000, 7], ids=["one chunk", "several chunks"])
def test_a_file_imported_again_with_value_dates_fills_them_on_the_lines_stored_without(client, auth, monkeypatch,
                                                                                       chunk):
    from reconciliation import importer

    monkeypatch.setattr(importer, "CHUNK", chunk)
    rows = 20
    first = upload(client, auth, csv_text(NO_VALUE_DATES, *[[DAY_VN, f"R{n}", "", "10.000", f"ung ho {n}"]
                                                            for n in range(rows)])).json
    again = upload(client, auth, csv_text(HEADER, *[[DAY_VN, "25/11/2026" if n % 2 else "", f"R{n}", "", "10.000",
                                                      f"ung ho {n}"] for n in range(rows)])).json
    assert (again["lines_new"], again["lines_duplicate"]) == (0, rows), again
    assert _dates(all_lines(client, auth, first["import_id"])) == [
        (f"R{n}", DAY, "2026-11-25" if n % 2 else None) for n in range(rows)]


def test_a_value_date_stored_is_kept_when_a_file_gives_another_and_the_import_still_succeeds(client, auth):
    first = upload(client, auth, csv_text(HEADER, [DAY_VN, "23/11/2026", "R1", "", "10.000", "ung ho"],
                                          [DAY_VN, "", "R2", "", "20.000", "ung ho 2"])).json
    again = upload(client, auth, csv_text(HEADER, [DAY_VN, "25/11/2026", "R1", "", "10.000", "ung ho"],
                                          [DAY_VN, "24/11/2026", "R2", "", "20.000", "ung ho 2"]))
    assert again.status_code == 201 and (again.json["lines_new"], again.json["lines_duplicate"]) == (0, 2), again.json
    assert _dates(all_lines(client, auth, first["import_id"])) == [("R1", DAY, "2026-11-23"), ("R2", DAY, "2026-11-24")]


def test_a_line_without_a_reference_imported_again_with_a_value_date_gets_it(client, auth):
    first = upload(client, auth, csv_text(["Ngày giao dịch", "Ghi có", "Nội dung"], [DAY_VN, "10.000", "HS1 nop phi"])).json
    again = upload(client, auth, csv_text(["Ngày giao dịch", "Ngày hiệu lực", "Ghi có", "Nội dung"],
                                          [DAY_VN, "25/11/2026", "10.000", "HS1 nop phi"])).json
    assert again["lines_duplicate"] == 1, again
    assert [line["value_date"] for line in all_lines(client, auth, first["import_id"])] == ["2026-11-25"]


def test_a_closed_days_lines_keep_what_they_were_when_a_file_with_value_dates_comes_again(client, auth):
    from tests.api.test_reports_value_dates import DAY as CLOSED, _close

    first = upload(client, auth, csv_text(NO_VALUE_DATES, ["24/11/2026", "R1", "", "10.000", "ung ho"])).json
    _close(client, auth)
    assert client.post(f"/api/v1/reconciliation/days/{CLOSED}/close/approve", headers=auth("approver")).status_code == 200
    again = upload(client, auth, csv_text(HEADER, ["24/11/2026", "25/11/2026", "R1", "", "10.000", "ung ho"]))
    assert again.status_code == 201 and again.json["lines_duplicate"] == 1, again.json
    assert _dates(all_lines(client, auth, first["import_id"])) == [("R1", CLOSED, None)]  # closed days are immutable
