"""An amount of thousands of digits is refused as out of range (400), never a 500.

Python's int() refuses text of more than 4,300 digits with a bare ValueError (sys.int_max_str_digits):
without the parsers' own bound, such a cell went through as no typed error and the upload answered 500."""
import io
import zipfile

import pytest

from tests.recon_factories import all_lines, upload
from tests.statement_writers import workbook

LONG = "9" * 5000
HEAD = "Ngày,Số CT,Ghi nợ,Ghi có,Số dư,Nội dung\n"


def refused(r, code: str = "amount_out_of_range") -> None:
    assert r.status_code == 400, (r.status_code, r.get_data(as_text=True)[:300])
    assert r.json["code"] == code, r.json
    assert len(r.get_data()) < 2000  # the refusal does not echo thousands of digits


@pytest.mark.parametrize("cell", [LONG, "1" + "0" * 4999, "1" + ".000" * 1700, "-" + LONG, LONG + ",00",
                                  "(" + LONG + ")", LONG + " đ", "0" * 5000 + LONG])
def test_a_csv_amount_of_thousands_of_digits_is_out_of_range(client, auth, db, cell):
    refused(upload(client, auth, f"{HEAD}24/11/2026,A1,,\"{cell}\",1000000,x\n"))


@pytest.mark.parametrize("cell", ["0" * 5000 + "30000", "30000," + "0" * 5000])
def test_leading_zeros_and_a_zero_fraction_are_no_digits_of_the_amount_however_many(client, auth, db, cell):
    r = upload(client, auth, f"{HEAD}24/11/2026,A1,,{cell},1000000,x\n")
    assert r.status_code == 201, r.get_data(as_text=True)[:300]
    assert [line["amount_vnd"] for line in all_lines(client, auth, r.json["import_id"])] == [30000]


def test_a_csv_balance_of_thousands_of_digits_is_out_of_range(client, auth, db):
    refused(upload(client, auth, f"{HEAD}24/11/2026,A1,,30000,{LONG},x\n"))


def test_an_mt940_amount_of_thousands_of_digits_is_refused(client, auth, db):
    """The format bounds an amount (15 characters): the line does not read as one."""
    refused(upload(client, auth, ":20:X\n:25:0071001234567\n:60F:C261124VND0,\n"
                   f":61:2611241124C{LONG},NTRFR1//R1\n:86:ung ho\n:62F:C261124VND30000,\n-\n", "x.sta"),
            "malformed_mt940")


def test_an_mt940_balance_of_thousands_of_digits_is_refused(client, auth, db):
    refused(upload(client, auth, f":20:X\n:25:0071001234567\n:60F:C261124VND{LONG},\n"
                   ":61:2611241124C30000,NTRFR1//R1\n:86:ung ho\n:62F:C261124VND30000,\n-\n", "x.sta"),
            "malformed_mt940")


def camt(amount: str, balance: str = "0") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>'
        '<GrpHdr><MsgId>M</MsgId><CreDtTm>2026-11-24T23:59:00+07:00</CreDtTm></GrpHdr><Stmt><Id>S</Id>'
        '<Acct><Id><Othr><Id>0071001234567</Id></Othr></Id><Ccy>VND</Ccy></Acct>'
        f'<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="VND">{balance}</Amt>'
        '<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-24</Dt></Dt></Bal>'
        f'<Ntry><Amt Ccy="VND">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>'
        '<BookgDt><DtTm>2026-11-24T07:00:00+07:00</DtTm></BookgDt><AcctSvcrRef>R1</AcctSvcrRef>'
        '<NtryDtls><TxDtls><RmtInf><Ustrd>ung ho</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>'
        '</Stmt></BkToCstmrStmt></Document>').encode()


@pytest.mark.parametrize("amount", [LONG, LONG + ".00", "0" * 5000 + LONG])
def test_a_camt053_amount_of_thousands_of_digits_is_out_of_range(client, auth, db, amount):
    refused(upload(client, auth, camt(amount), "s.xml"))


def test_a_camt053_amount_padded_with_thousands_of_zeros_is_its_value(client, auth, db):
    r = upload(client, auth, camt("0" * 5000 + "30000." + "0" * 5000), "s.xml")
    assert r.status_code == 201, r.get_data(as_text=True)[:300]
    assert [line["amount_vnd"] for line in all_lines(client, auth, r.json["import_id"])] == [30000]


def test_a_camt053_balance_of_thousands_of_digits_is_out_of_range(client, auth, db):
    refused(upload(client, auth, camt("30000", balance=LONG), "s.xml"))


def test_an_xlsx_text_cell_of_thousands_of_digits_is_out_of_range(client, auth, db):
    data = workbook([["Ngày", "Số CT", "Ghi nợ", "Ghi có", "Nội dung"], ["24/11/2026", "A1", None, LONG, "x"]])
    refused(upload(client, auth, data, "s.xlsx"))


def number_cell_workbook(value: str) -> bytes:
    """A sheet whose credit cell is a number cell holding `value` as its XML writes it: a writer can put
    what it likes in <v> (Excel never would)."""
    data = workbook([["Ngày", "Số CT", "Ghi nợ", "Ghi có", "Nội dung"], ["24/11/2026", "A1", None, 424242, "x"]])
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b"<v>424242</v>" in content
                content = content.replace(b"<v>424242</v>", f"<v>{value}</v>".encode())
            target.writestr(item, content)
    return out.getvalue()


def test_an_xlsx_number_cell_of_thousands_of_digits_is_refused(client, auth, db):
    """openpyxl's int() fails on 5,000 digits: the sheet is unreadable, as for any number it cannot read."""
    refused(upload(client, auth, number_cell_workbook(LONG), "s.xlsx"), "malformed_xlsx")


@pytest.mark.parametrize("value", ["9" * 4000, "-" + "9" * 4000, "1e400", "-1e400", "1e300", "9" * 31])
def test_an_xlsx_number_cell_too_large_for_an_amount_is_out_of_range_and_not_echoed(client, auth, db, value):
    """Numbers openpyxl can read (an int of up to 4,300 digits, a float up to infinity) but no amount
    can be: out of range, the refusal naming neither thousands of digits nor a fraction."""
    r = upload(client, auth, number_cell_workbook(value), "s.xlsx")
    refused(r)
    assert "fraction" not in r.json["message"] and "9" * 40 not in r.json["message"], r.json

