"""Statement import, QA round 10: multi-currency exports, MT940 sub-fields, wrapped payer names, end to end."""
import pytest

from tests.recon_factories import all_lines, count_statement_lines, make_requests_with_codes, paid_vnd, upload

CODE = "HS40881023160"

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def test_a_row_in_dollars_is_refused_and_nothing_is_written_or_paid(client, auth, db, monkeypatch):
    # A `Loại tiền` column was read past: 30,000 USD paid a 30,000 VND dossier.
    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000)])
    text = ("Ngày giao dịch,Số tham chiếu,Nội dung,Số tiền,Loại tiền\n"
            "24/11/2026,FT26328000001,Phi,-11.000,VND\n"
            f"24/11/2026,FT26328000002,{CODE} nop le phi,30.000,USD\n")
    r = upload(client, auth, text)
    assert (r.status_code, r.json["code"], r.json["details"]["line_no"]) == (400, "unsupported_currency", 2)
    assert count_statement_lines(db) == 0
    assert paid_vnd(client, CODE) == 0


def test_a_currency_column_of_dong_imports_and_pays_once(client, auth, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000)])
    text = ("Ngày giao dịch,Số tham chiếu,Nội dung,Số tiền,Currency\n"
            f"24/11/2026 10:15:30,FT26328000002,{CODE} nop le phi,30.000,VND\n")
    r = upload(client, auth, text)
    assert r.status_code == 201, r.json
    assert [(l["amount_vnd"], l["direction"]) for l in all_lines(client, auth, r.json["import_id"])] == [
        (30_000, "credit")]
    assert paid_vnd(client, CODE) == 30_000
    again = upload(client, auth, text)
    assert (again.status_code, again.json["lines_new"], again.json["lines_duplicate"]) == (201, 0, 1)
    assert paid_vnd(client, CODE) == 30_000


def test_an_mt940_of_sub_fields_without_their_code_keeps_a_clean_memo_and_the_payer(client, auth, monkeypatch):
    # `:86:?20…?32…` was kept as written: the memo staff read held the `?NN` markers, the payer was lost.
    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000)])
    text = (":20:STMT1\n:25:0071001234567\n:28C:1/1\n:60F:C261123VND1000000,00\n"
            ":61:2611241124C30000,00NTRFNONREF//FT26328000001\n"
            f":86:?20{CODE} nop?21 le phi?310071009999999?32NGUYEN VAN A\n:62F:C261124VND1030000,00\n")
    r = upload(client, auth, text, filename="statement.sta")
    assert r.status_code == 201, r.json
    [line] = all_lines(client, auth, r.json["import_id"])
    assert (line["memo"], line["payer_name"], line["bank_ref"]) == (f"{CODE} nop le phi", "NGUYEN VAN A",
                                                                    "FT26328000001")
    assert paid_vnd(client, CODE) == 30_000


@pytest.mark.parametrize("data, filename", [(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n", "saoke.pdf"),
                                            ("<html><body><table><tr><td>Ngày giao dịch</td><td>Số tiền</td></tr>"
                                             "<tr><td>24/11/2026</td><td>30.000</td></tr></table></body></html>",
                                             "saoke.xls")])
def test_a_pdf_or_a_web_page_saved_as_xls_is_refused_for_what_it_is(client, auth, db, data, filename):
    r = upload(client, auth, data, filename=filename)
    assert (r.status_code, r.json["code"]) == (415, "unsupported_format")
    assert count_statement_lines(db) == 0


MT940_FILE = (":20:STMT1\n:25:0071001234567\n:28C:1/1\n:60F:C261123VND1000000,00\n"
              f":61:2611241124C30000,00NTRFNONREF//FT26328000001\n:86:{CODE} nop le phi\n:62F:C261124VND1030000,00\n")
CAMT_FILE = ('<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>'
             '<Stmt><Acct><Id><Othr><Id>0071001234567</Id></Othr></Id></Acct><Ntry><Amt Ccy="VND">30000</Amt>'
             '<CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-11-24</Dt></BookgDt>'
             f'<AcctSvcrRef>FT26328000001</AcctSvcrRef><AddtlNtryInf>{CODE}</AddtlNtryInf></Ntry></Stmt>'
             '</BkToCstmrStmt></Document>')
CSV_FILE = f"Ngày giao dịch,Số tham chiếu,Nội dung,Ghi nợ,Ghi có\n24/11/2026,FT26328000001,{CODE},,30.000\n"


@pytest.mark.parametrize("data, form, fmt", [(MT940_FILE, {"format": "MT940"}, "mt940"),
                                             (MT940_FILE, {"format": "mt-940"}, "mt940"),
                                             (CAMT_FILE, {"format": "camt.053"}, "camt053"),
                                             (CAMT_FILE, {"format": "CAMT053"}, "camt053"),
                                             (CAMT_FILE, {"format": "camt.053.001.08"}, "camt053"),
                                             (CSV_FILE, {"format": "CSV", "profile": "bidv"}, "csv")])
def test_the_format_is_taken_as_people_write_it(client, auth, monkeypatch, data, form, fmt):
    # `camt.053`, `MT940`, `CSV` (as the issue and the banks write them) were 400 invalid_format.
    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000)])
    r = upload(client, auth, data, **form)
    assert (r.status_code, r.json["format"], r.json["lines_new"]) == (201, fmt, 1), r.json
    assert paid_vnd(client, CODE) == 30_000


@pytest.mark.parametrize("form, code", [({"format": "xls"}, "invalid_format"), ({"format": "pdf"}, "invalid_format"),
                                        ({"format": "camt.052"}, "invalid_format"),
                                        ({"profile": "VCB"}, "invalid_profile")])
def test_a_format_or_profile_we_do_not_read_is_still_refused(client, auth, db, form, code):
    r = upload(client, auth, CSV_FILE, **form)
    assert (r.status_code, r.json["code"]) == (400, code)
    assert count_statement_lines(db) == 0


def test_a_failed_transfer_in_a_history_export_pays_nothing(client, auth, monkeypatch):
    # A `Thất bại` row was read as a credit: the dossier was paid by money that never arrived.
    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000)])
    text = ("Thời gian giao dịch,Số tham chiếu,Nội dung,Số tiền,Trạng thái\n"
            f"24/11/2026 10:15:30,FT26328000001,{CODE} nop le phi,30.000,Thất bại\n"
            "24/11/2026 10:20:00,FT26328000002,Phi SMS,-11.000,Thành công\n")
    r = upload(client, auth, text)
    assert (r.status_code, r.json["lines_total"]) == (201, 1), r.json
    assert [(l["line_no"], l["bank_ref"], l["direction"]) for l in all_lines(client, auth, r.json["import_id"])] == [
        (1, "FT26328000002", "debit")]
    assert paid_vnd(client, CODE) == 0
