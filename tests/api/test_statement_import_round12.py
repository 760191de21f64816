"""Statement import, QA round 12: overlapping and repeated imports across formats."""
import pytest

from tests.recon_factories import all_lines, count_statement_lines, make_requests_with_codes, paid_vnd, upload

A, B, C = "HS40881023160", "HS21890246178", "HS52817959366"

pytestmark = pytest.mark.usefixtures("ledger_checked")


def camt(entries: str, ns: str = "08") -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{ns}"><BkToCstmrStmt><Stmt><Id>S</Id>'
            '<Acct><Id><Othr><Id>0071001234567</Id></Othr></Id><Ccy>VND</Ccy></Acct>' + entries +
            '</Stmt></BkToCstmrStmt></Document>')


def entry(amount, ref, memo, day="2026-11-24", tx=""):
    return (f'<Ntry><Amt Ccy="VND">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>'
            f'<BookgDt><Dt>{day}</Dt></BookgDt>' + (f'<AcctSvcrRef>{ref}</AcctSvcrRef>' if ref else '') +
            '<NtryDtls>' + (tx or f'<TxDtls><RmtInf><Ustrd>{memo}</Ustrd></RmtInf></TxDtls>') + '</NtryDtls></Ntry>')


def test_a_camt_batch_then_the_same_entry_as_one_mt940_line_pays_once(client, auth, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [(A, 30_000), (B, 350_000)])
    txs = (f'<TxDtls><Amt Ccy="VND">30000</Amt><RmtInf><Ustrd>{A} nop</Ustrd></RmtInf></TxDtls>'
           f'<TxDtls><Amt Ccy="VND">350000</Amt><RmtInf><Ustrd>{B} nop</Ustrd></RmtInf></TxDtls>')
    r = upload(client, auth, camt(entry(380000, "FT26328900", "", tx=txs)), filename="s.xml")
    assert r.status_code == 201, r.json
    assert r.json["lines_new"] == 2
    mt = (":20:S\r\n:25:0071001234567\r\n:28C:1/1\r\n:60F:C261123VND0,\r\n"
          f":61:2611241124C380000,NTRFNONREF//FT26328900\r\n:86:{A} {B} nop\r\n:62F:C261124VND380000,\r\n")
    again = upload(client, auth, mt, filename="s.sta")
    assert again.status_code == 201, again.json
    assert (again.json["lines_new"], again.json["lines_duplicate"]) == (0, 1)
    assert (paid_vnd(client, A), paid_vnd(client, B)) == (30_000, 350_000)


def test_an_overlapping_camt_without_bank_references_adds_only_the_new_day(client, auth, monkeypatch, db):
    make_requests_with_codes(client, auth, monkeypatch, [(A, 30_000), (B, 30_000), (C, 30_000)])
    first = camt(entry(30000, None, f"{A} nop") + entry(30000, None, f"{B} nop"))
    r = upload(client, auth, first, filename="a.xml")
    assert (r.status_code, r.json["lines_new"]) == (201, 2), r.json
    second = camt(entry(30000, None, f"{B} nop") + entry(30000, None, f"{C} nop", day="2026-11-25"))
    r = upload(client, auth, second, filename="b.xml")
    assert (r.status_code, r.json["lines_new"], r.json["lines_duplicate"]) == (201, 1, 1), r.json
    assert count_statement_lines(db) == 3


def test_a_day_without_references_then_the_same_day_with_them_pays_once(client, auth, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [(A, 30_000)])
    csv_text = ("Ngày giao dịch,Mô tả giao dịch,Rút ra,Gửi vào,Số dư\n"
                f"24/11/2026,{A} nop le phi,,30.000,1.030.000\n")
    r = upload(client, auth, csv_text)
    assert (r.status_code, r.json["lines_new"]) == (201, 1), r.json
    mt = (":20:S\r\n:25:0071001234567\r\n:28C:1/1\r\n:60F:C261123VND1000000,\r\n"
          f":61:2611241124C30000,NTRFNONREF//FT26328900\r\n:86:{A} nop le phi\r\n:62F:C261124VND1030000,\r\n")
    again = upload(client, auth, mt, filename="s.sta")
    assert again.status_code == 201, again.json
    print(again.json)
    assert paid_vnd(client, A) == 30_000


def exceptions(client, auth, day: str) -> list[dict]:
    r = client.get(f"/api/v1/reconciliation/days/{day}/exceptions?state=all", headers=auth("finance"))
    assert r.status_code == 200, r.json
    return [e for e in r.json["exceptions"] if e["kind"].startswith("balance")]


def bal(code, amount, day, tag="Dt"):
    return (f'<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy="VND">{amount}</Amt>'
            f'<CdtDbtInd>CRDT</CdtDbtInd><Dt><{tag}>{day}</{tag}></Dt></Bal>')


def test_a_camt_of_two_days_in_two_statements_adds_up_each_day(client, auth, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [(A, 30_000), (B, 350_000)])
    stmt1 = ('<Stmt><Id>S1</Id><Acct><Id><Othr><Id>0071001234567</Id></Othr></Id><Ccy>VND</Ccy></Acct>' +
             bal("PRCD", 1_000_000, "2026-11-23") + bal("ITBD", 1_010_000, "2026-11-24") +
             bal("CLBD", 1_030_000, "2026-11-24T23:59:59+07:00", "DtTm") +
             entry(30000, "FT1", f"{A} nop") + '</Stmt>')
    stmt2 = ('<Stmt><Id>S2</Id><Acct><Id><Othr><Id>0071001234567</Id></Othr></Id><Ccy>VND</Ccy></Acct>' +
             bal("OPBD", 1_030_000, "2026-11-25") + bal("CLBD", 1_380_000, "2026-11-25") +
             entry(350000, "FT2", f"{B} nop", day="2026-11-25") + '</Stmt>')
    doc = ('<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.04">'
           '<BkToCstmrStmt>' + stmt1 + stmt2 + '</BkToCstmrStmt></Document>')
    r = upload(client, auth, doc, filename="s.xml")
    assert (r.status_code, r.json["lines_new"]) == (201, 2), r.json
    assert exceptions(client, auth, "2026-11-24") == [] and exceptions(client, auth, "2026-11-25") == []


def test_an_mt940_of_two_messages_with_envelopes_adds_up_each_day(client, auth, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [(A, 30_000), (B, 350_000)])
    mt = ("{1:F01VCBVVNVXAXXX0000000000}{2:O940}{4:\r\n:20:S1\r\n:25:0071001234567\r\n:28C:7/1\r\n"
          ":60F:C261123VND1000000,\r\n:61:2611241124C30000,NTRFNONREF//FT1\r\n:86:" + A + " nop\r\n"
          ":61:2611241124D11000,NMSCNONREF//FT1F\r\n:86:phi\r\n:62F:C261124VND1019000,\r\n-}\r\n"
          "{1:F01VCBVVNVXAXXX0000000000}{2:O940}{4:\r\n:20:S2\r\n:25:0071001234567\r\n:28C:8/1\r\n"
          ":60F:C261124VND1019000,\r\n:61:2611251125C350000,NTRFNONREF//FT2\r\n:86:" + B + " nop\r\n"
          ":62M:C261125VND1369000,\r\n-}\r\n"
          "{1:F01VCBVVNVXAXXX0000000000}{2:O940}{4:\r\n:20:S2\r\n:25:0071001234567\r\n:28C:8/2\r\n"
          ":60M:C261125VND1369000,\r\n:61:2611251125C1000,NTRFNONREF//FT3\r\n:86:lai\r\n"
          ":62F:C261125VND1370000,\r\n-}\r\n")
    r = upload(client, auth, mt, filename="s.sta")
    assert (r.status_code, r.json["lines_new"]) == (201, 4), r.json
    assert exceptions(client, auth, "2026-11-24") == [] and exceptions(client, auth, "2026-11-25") == []
    assert (paid_vnd(client, A), paid_vnd(client, B)) == (30_000, 350_000)


def test_a_wrapped_camt_remittance_text_is_stored_single_spaced_and_pays(client, auth, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [(A, 30_000)])
    tx = ('<TxDtls><RltdPties><Dbtr><Nm>NGUYEN VAN\n      AN</Nm></Dbtr></RltdPties>'
          f'<RmtInf><Ustrd>\n      {A} nop\n      le phi\n    </Ustrd></RmtInf></TxDtls>')
    r = upload(client, auth, camt(entry(30000, "FT26328901", "", tx=tx)), filename="s.xml")
    assert r.status_code == 201, r.json
    [line] = all_lines(client, auth, r.json["import_id"])
    assert (line["memo"], line["payer_name"], line["bank_ref"]) == (f"{A} nop le phi", "NGUYEN VAN AN", "FT26328901")
    assert paid_vnd(client, A) == 30_000


def test_a_camt_whose_opbd_is_dated_the_day_before_raises_no_mismatch_on_that_day(client, auth, monkeypatch):
    # The OPBD, dated as :60F: is with the previous closing day, was stored as Monday's opening: Monday's
    # own statement, imported next, was checked against it (a blocking balance_mismatch of its lines).
    make_requests_with_codes(client, auth, monkeypatch, [(A, 30_000), (B, 100_000)])
    stmt = ('<Stmt><Id>S1</Id><Acct><Id><Othr><Id>0071001234567</Id></Othr></Id><Ccy>VND</Ccy></Acct>' +
            bal("OPBD", 1_000_000, "2026-11-23") + bal("CLBD", 1_030_000, "2026-11-24") +
            entry(30000, "FT1", f"{A} nop") + '</Stmt>')
    doc = ('<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.06">'
           '<BkToCstmrStmt>' + stmt + '</BkToCstmrStmt></Document>')
    assert upload(client, auth, doc, filename="tue.xml").status_code == 201
    monday = (":20:S1\r\n:25:0071001234567\r\n:28C:7/1\r\n:60F:C261122VND900000,\r\n"
              f":61:2611231123C100000,NTRFNONREF//FT0\r\n:86:{B} nop\r\n:62F:C261123VND1000000,\r\n")
    assert upload(client, auth, monday, filename="mon.sta").status_code == 201
    assert exceptions(client, auth, "2026-11-23") == [] and exceptions(client, auth, "2026-11-24") == []
    days = {d: client.get(f"/api/v1/reconciliation/days/2026-11-{d}", headers=auth("finance")).json["balances"]
            for d in ("23", "24")}
    assert [(b["opening_vnd"], b["closing_stated_vnd"], b["difference_vnd"]) for b in days["23"]] == [
        (900_000, 1_000_000, 0)]
    assert [(b["opening_vnd"], b["closing_stated_vnd"], b["difference_vnd"]) for b in days["24"]] == [
        (1_000_000, 1_030_000, 0)]


def test_an_entry_imported_as_one_line_is_found_as_its_instructed_parts_later(client, auth, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [(A, 30_000), (B, 350_000)])
    mt = (":20:S\r\n:25:0071001234567\r\n:28C:1/1\r\n:60F:C261123VND0,\r\n"
          f":61:2611241124C380000,NTRFNONREF//FT26328900\r\n:86:{A} {B} nop\r\n:62F:C261124VND380000,\r\n")
    first = upload(client, auth, mt, filename="s.sta")
    assert (first.status_code, first.json["lines_new"]) == (201, 1), first.json
    txs = (f'<TxDtls><AmtDtls><InstdAmt><Amt Ccy="VND">30000</Amt></InstdAmt></AmtDtls>'
           f'<RmtInf><Ustrd>{A} nop</Ustrd></RmtInf></TxDtls>'
           f'<TxDtls><AmtDtls><InstdAmt><Amt Ccy="VND">350000</Amt></InstdAmt></AmtDtls>'
           f'<RmtInf><Ustrd>{B} nop</Ustrd></RmtInf></TxDtls>')
    again = upload(client, auth, camt(entry(380000, "FT26328900", "", tx=txs), ns="02"), filename="s.xml")
    assert again.status_code == 201, again.json
    assert (again.json["lines_new"], again.json["lines_duplicate"]) == (0, 2)
    assert (paid_vnd(client, A), paid_vnd(client, B)) == (30_000, 350_000)


# A bank's camt.053 file often holds the statements of all of a customer's accounts, one <Stmt> each. It was
# refused whole (mixed_accounts): staff cannot cut an XML file apart. With the account named, its statement
# is imported and the others are read past; without it, the refusal says to name it.

def stmt(account: str, body: str) -> str:
    return (f'<Stmt><Id>S-{account}</Id><Acct><Id><Othr><Id>{account}</Id></Othr></Id><Ccy>VND</Ccy></Acct>'
            + body + '</Stmt>')


def several_accounts() -> str:
    other = stmt("1903399999999", bal("OPBD", 5_000_000, "2026-11-24") + bal("CLBD", 5_100_000, "2026-11-24")
                 + entry(100000, "FTX1", f"{B} nop"))
    ours = stmt("0071001234567", bal("OPBD", 1_000_000, "2026-11-24") + bal("CLBD", 1_030_000, "2026-11-24")
                + entry(30000, "FT1", f"{A} nop"))
    return ('<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">'
            '<BkToCstmrStmt><GrpHdr><MsgId>M</MsgId><CreDtTm>2026-11-25T01:00:00+07:00</CreDtTm></GrpHdr>'
            + other + ours + '</BkToCstmrStmt></Document>')


def test_a_camt_of_several_accounts_imports_the_named_accounts_statement_only(client, auth, monkeypatch, db):
    make_requests_with_codes(client, auth, monkeypatch, [(A, 30_000), (B, 100_000)])
    r = upload(client, auth, several_accounts(), filename="all.xml", account_number="0071001234567")
    assert r.status_code == 201, r.json
    assert (r.json["account_number"], r.json["lines_total"], r.json["lines_new"]) == ("0071001234567", 1, 1)
    assert (paid_vnd(client, A), paid_vnd(client, B)) == (30_000, 0)
    assert exceptions(client, auth, "2026-11-24") == []
    again = upload(client, auth, several_accounts(), filename="all.xml", account_number="71001234567")
    assert (again.status_code, again.json["lines_new"], again.json["lines_duplicate"]) == (201, 0, 1)


def test_a_camt_of_several_accounts_without_the_account_named_is_refused_and_says_to_name_it(client, auth, db):
    r = upload(client, auth, several_accounts(), filename="all.xml")
    assert (r.status_code, r.json["code"]) == (400, "mixed_accounts")
    assert "account_number" in r.json["message"]
    assert count_statement_lines(db) == 0


def test_a_camt_without_the_named_accounts_statement_is_refused(client, auth, db):
    doc = several_accounts().replace("0071001234567", "1903388888888")
    r = upload(client, auth, doc, filename="all.xml", account_number="0071001234567")
    assert (r.status_code, r.json["code"]) == (400, "account_mismatch"), r.json
    assert count_statement_lines(db) == 0


def test_an_mt940_of_several_accounts_imports_the_named_accounts_messages_only(client, auth, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [(A, 30_000), (B, 100_000)])
    text = (":20:S1\r\n:25:1903399999999\r\n:28C:1/1\r\n:60F:C261123VND0,\r\n"
            f":61:2611241124C100000,NTRFNONREF//FTX\r\n:86:{B} nop\r\n:62F:C261124VND100000,\r\n"
            ":20:S2\r\n:25:0071001234567\r\n:28C:1/1\r\n:60F:C261123VND1000000,\r\n"
            f":61:2611241124C30000,NTRFNONREF//FT1\r\n:86:{A} nop\r\n:62F:C261124VND1030000,\r\n")
    r = upload(client, auth, text, filename="all.sta", account_number="0071001234567")
    assert (r.status_code, r.json["lines_total"], r.json["lines_new"]) == (201, 1, 1), r.json
    assert (paid_vnd(client, A), paid_vnd(client, B)) == (30_000, 0)
    assert exceptions(client, auth, "2026-11-24") == []
