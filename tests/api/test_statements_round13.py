"""Statement import, QA round 13: references the parsers used to drop, and re-imports across that change."""
import pytest

from reconciliation import swift
from tests.recon_factories import all_lines, make_requests_with_codes, paid_vnd, upload

A, B = "HS40881023160", "HS21890246178"

pytestmark = pytest.mark.usefixtures("ledger_checked")


def camt(entries: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><Stmt><Id>S</Id>'
            '<Acct><Id><Othr><Id>0071001234567</Id></Othr></Id><Ccy>VND</Ccy></Acct>' + entries +
            '</Stmt></BkToCstmrStmt></Document>')


def entry(amount, memo, refs="", day="2026-11-24"):
    return (f'<Ntry><Amt Ccy="VND">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>'
            f'<BookgDt><Dt>{day}</Dt></BookgDt><NtryDtls><TxDtls><Refs>{refs}</Refs>'
            f'<RmtInf><Ustrd>{memo}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>')


def test_two_transfers_sharing_an_end_to_end_id_stay_two_lines(client, auth, monkeypatch):
    """Two payers' software both numbering their order `1`: the EndToEndId is theirs, no bank's key."""
    make_requests_with_codes(client, auth, monkeypatch, [(A, 30_000), (B, 30_000)])
    data = camt(entry(30000, f"{A} nop", "<EndToEndId>1</EndToEndId>") +
                entry(30000, f"{B} nop", "<EndToEndId>1</EndToEndId>"))
    r = upload(client, auth, data, filename="s.xml")
    assert (r.status_code, r.json["lines_new"]) == (201, 2), r.json
    assert (paid_vnd(client, A), paid_vnd(client, B)) == (30_000, 30_000)


def mt940(lines: str, closing: int) -> str:
    return (":20:S\r\n:25:0071001234567\r\n:28C:1/1\r\n:60F:C261123VND1000000,\r\n" + lines +
            f":62F:C261124VND{1_000_000 + closing},\r\n")


def _joined_without_spaces(parts):  # the :86: sub-fields as round 12 joined them
    return "".join(parts).strip()


def test_an_mt940_without_bank_references_imported_before_the_sub_field_spaces_is_a_duplicate_after(
        client, auth, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [(A, 30_000), (B, 30_000)])
    data = mt940(f":61:2611241124C30000,NTRFNONREF\r\n:86:166?20nop le phi?21{A}\r\n"
                 f":61:2611241124C30000,NTRFNONREF\r\n:86:166?20nop le phi ho so HS2189?210246178\r\n", 60_000)
    with monkeypatch.context() as before:
        before.setattr(swift, "_cut_text", _joined_without_spaces)
        r = upload(client, auth, data, filename="s.sta")
    assert (r.status_code, r.json["lines_new"]) == (201, 2), r.json
    assert (paid_vnd(client, A), paid_vnd(client, B)) == (30_000, 30_000)
    again = upload(client, auth, data, filename="s.sta")
    assert again.status_code == 201, again.json
    assert (again.json["lines_new"], again.json["lines_duplicate"]) == (0, 2)
    assert [line["memo"] for line in all_lines(client, auth, again.json["import_id"])] == [
        "nop le phiHS40881023160", "nop le phi ho so HS21890246178"]  # as first stored
    assert (paid_vnd(client, A), paid_vnd(client, B)) == (30_000, 30_000)


def test_a_code_cut_in_a_short_sub_field_is_matched(client, auth, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [(A, 30_000)])
    r = upload(client, auth, mt940(":61:2611241124C30000,NTRFNONREF//FT1\r\n:86:?20nop phi HS408810?2123160 ho so\r\n",
                                   30_000), filename="s.sta")
    assert (r.status_code, r.json["lines_new"]) == (201, 1), r.json
    assert paid_vnd(client, A) == 30_000


def _round12_references(g):
    reference = (g.get("bank_reference") or "").strip() or (g.get("customer_reference") or "").strip()
    return (None if reference.upper() == "NONREF" else reference or None), None


@pytest.mark.parametrize("refs", [f"{A}//FT26328000001", f"{A}//NONREF"])
def test_an_mt940_imported_before_the_customer_reference_was_kept_is_a_duplicate_after(client, auth, monkeypatch, refs):
    make_requests_with_codes(client, auth, monkeypatch, [(A, 30_000)])
    data = mt940(f":61:2611241124C30000,NTRF{refs}\r\n:86:nop le phi\r\n", 30_000)
    with monkeypatch.context() as before:
        before.setattr(swift, "_references", _round12_references)
        r = upload(client, auth, data, filename="s.sta")
    assert (r.status_code, r.json["lines_new"]) == (201, 1), r.json
    again = upload(client, auth, data, filename="s.sta")
    assert again.status_code == 201, again.json
    assert (again.json["lines_new"], again.json["lines_duplicate"]) == (0, 1)


def test_a_code_only_in_the_customer_reference_pays_its_request(client, auth, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [(A, 30_000)])
    r = upload(client, auth, mt940(f":61:2611241124C30000,NTRF{A}//FT26328000001\r\n:86:chuyen tien\r\n", 30_000),
               filename="s.sta")
    assert (r.status_code, r.json["lines_new"]) == (201, 1), r.json
    [line] = all_lines(client, auth, r.json["import_id"])
    assert (line["bank_ref"], line["memo"]) == ("FT26328000001", f"{A} chuyen tien")
    assert paid_vnd(client, A) == 30_000


def test_an_xlsx_row_whose_amount_is_an_uncalculated_formula_is_refused_whole(client, auth, monkeypatch, db):
    import io

    from openpyxl import Workbook

    from tests.recon_factories import count_statement_lines

    make_requests_with_codes(client, auth, monkeypatch, [(A, 30_000), (B, 50_000)])
    book = Workbook()
    for row in (["Ngày giao dịch", "Số bút toán", "Nội dung", "Ghi có"], ["24/11/2026", "FT1", f"{A} nop", 30000],
                ["24/11/2026", "FT2", f"{B} nop", "=20000+30000"]):
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    r = upload(client, auth, out.getvalue(), filename="s.xlsx")
    assert r.status_code == 400, r.json
    assert r.json["code"] == "uncalculated_formula" and "D3" in r.json["message"]
    assert count_statement_lines(db) == 0 and paid_vnd(client, A) == 0


def test_the_days_csv_then_its_camt_without_bank_references_credit_each_transfer_once(client, auth, monkeypatch):
    """The afternoon's CSV export (the bank's own Số CT) and the next morning's camt.053 of the same day, whose
    entries carry no AcctSvcrRef but an interbank TxId: one transfer, credited once. The camt line is keyed by
    its fingerprint and found as the CSV's line by day, amount and memo (`links.known_by_fingerprint`); keyed
    by its TxId, it was a second line and a second credit."""
    from tests.recon_factories import vcb_csv

    make_requests_with_codes(client, auth, monkeypatch, [(A, 30_000)])
    first = upload(client, auth, vcb_csv(("5001.12345", "", "30.000", f"{A} nop le phi")))
    assert (first.status_code, first.json["lines_new"]) == (201, 1), first.json
    second = upload(client, auth, camt(entry(30000, f"{A} nop le phi", "<TxId>NAPAS26112400001</TxId>")),
                    filename="s.xml")
    assert second.status_code == 201, second.json
    assert (second.json["lines_new"], second.json["lines_duplicate"]) == (0, 1)
    assert paid_vnd(client, A) == 30_000
