"""Statement import, QA round 5: a transfer is stored and credited once whatever the files repeat."""
import pytest

from tests.factories import assert_ledger_ok
from tests.recon_factories import all_lines, count_payments, make_requests_with_codes, paid_vnd, upload

CODE, OTHER = "HS40881023160", "HS21890246178"


def camt(*statements: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">'
            f'<BkToCstmrStmt><GrpHdr><MsgId>X</MsgId><CreDtTm>2026-11-24T23:00:00</CreDtTm></GrpHdr>'
            f'{"".join(statements)}</BkToCstmrStmt></Document>')


def stmt(*entries: str) -> str:
    return ('<Stmt><Id>S</Id><Acct><Id><Othr><Id>0071001234567</Id></Othr></Id><Ccy>VND</Ccy></Acct>'
            f'{"".join(entries)}</Stmt>')


def tx(memo: str, amount: str | None = None) -> str:
    money = f'<Amt Ccy="VND">{amount}</Amt>' if amount else ""
    return f"<TxDtls><Refs/>{money}<RmtInf><Ustrd>{memo}</Ustrd></RmtInf></TxDtls>"


def ntry(amount: str, memo_or_txs: str, *, ref: str | None = None, at: str = "09:00:00") -> str:
    txs = memo_or_txs if memo_or_txs.startswith("<TxDtls>") else tx(memo_or_txs)
    reference = f"<AcctSvcrRef>{ref}</AcctSvcrRef>" if ref else ""
    return (f'<Ntry><Amt Ccy="VND">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>'
            f"<BookgDt><DtTm>2026-11-24T{at}+07:00</DtTm></BookgDt>{reference}<NtryDtls>{txs}</NtryDtls></Ntry>")


# --- the same bank reference twice in one file ------------------------------------------------

def test_an_entry_listed_by_the_intraday_and_the_final_statement_of_one_file_is_one_transfer(
        client, auth, db, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000)])
    payments = count_payments(db)
    entry = ntry("30000", f"{CODE} nop le phi", ref="5000.96828")
    other = ntry("50000", "khac", ref="5000.99999", at="15:00:00")
    r = upload(client, auth, camt(stmt(entry), stmt(entry, other)), "two-stmt.xml")
    assert r.status_code == 201, r.json
    assert (r.json["lines_total"], r.json["lines_new"], r.json["lines_duplicate"]) == (3, 2, 1)
    listed = all_lines(client, auth, r.json["import_id"])
    assert [(l["line_no"], l["seen_before"]) for l in listed] == [(1, False), (2, True), (3, False)]
    assert listed[0]["id"] == listed[1]["id"]
    assert paid_vnd(client, CODE) == 30_000 and count_payments(db) == payments + 2
    assert_ledger_ok(db)


def test_a_page_break_row_the_export_repeats_is_listed_once(client, auth, db, monkeypatch):
    from tests.recon_factories import vcb_csv

    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000)])
    row = ("5000.96828", "", "30.000", f"{CODE} nop le phi")
    r = upload(client, auth, vcb_csv(row, ("5000.11111", "", "20.000", "khac"), row))
    assert r.status_code == 201, r.json
    assert (r.json["lines_new"], r.json["lines_duplicate"]) == (2, 1)
    assert paid_vnd(client, CODE) == 30_000


def test_one_reference_with_two_amounts_in_one_file_is_refused_before_anything_is_written(
        client, auth, db, monkeypatch):
    from tests.recon_factories import vcb_csv

    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000)])
    payments = count_payments(db)
    r = upload(client, auth, vcb_csv(("5000.96828", "", "30.000", f"{CODE} nop le phi"),
                                     ("5000.96828", "", "40.000", f"{CODE} nop le phi")))
    assert r.status_code == 400, r.json
    assert r.json["code"] == "conflicting_reference"
    assert r.json["details"]["bank_ref"] == "5000.96828" and r.json["details"]["line_no"] == 2
    assert count_payments(db) == payments
    assert client.get("/api/v1/reconciliation/statements", headers=auth("finance")).json["imports"] == []


def test_a_fee_debit_under_the_credit_reference_is_no_conflict(client, auth, db, monkeypatch):
    from tests.recon_factories import vcb_csv

    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000)])
    r = upload(client, auth, vcb_csv(("5000.96828", "", "30.000", f"{CODE} nop le phi"),
                                     ("5000.96828", "1.100", "", "phi chuyen tien"),
                                     ("5000.96828", "110", "", "VAT phi chuyen tien")))
    assert r.status_code == 201, r.json
    assert (r.json["lines_new"], r.json["lines_duplicate"]) == (3, 0)


def test_a_reference_listed_again_in_a_later_chunk_is_still_its_first_listing(client, auth, db, monkeypatch):
    from reconciliation import importer

    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000)])
    monkeypatch.setattr(importer, "CHUNK", 1)
    entry = ntry("30000", f"{CODE} nop le phi", ref="5000.96828")
    r = upload(client, auth, camt(stmt(entry, ntry("50000", "khac", ref="5000.99999", at="15:00:00")), stmt(entry)),
               "two-stmt.xml")
    assert (r.json["lines_new"], r.json["lines_duplicate"]) == (2, 1), r.json
    again = upload(client, auth, camt(stmt(entry), stmt(entry)), "again.xml")
    assert (again.json["lines_new"], again.json["lines_duplicate"]) == (0, 2), again.json
    assert paid_vnd(client, CODE) == 30_000
    assert_ledger_ok(db)


# --- a line without a reference and the stored lines of its day -------------------------------

def _csv_without_references(*rows: tuple[str, str]) -> str:
    body = "".join(f'{i},24/11/2026 {at},,"30,000",,"{memo}"\n' for i, (at, memo) in enumerate(rows, start=1))
    return "STT,Ngày giao dịch,Số tiền ghi nợ,Số tiền ghi có,Số dư,Nội dung\n" + body


def test_a_new_transfer_whose_memo_the_stored_one_holds_does_not_take_its_line(client, auth, db, monkeypatch):
    """The day's camt.053 first, then its CSV without references, newest first: the row with the very
    memo of the stored line is that line, and the other 30,000 ("nop le phi") is a new transfer."""
    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000)])
    assert upload(client, auth, camt(stmt(ntry("30000", f"{CODE} nop le phi", ref="5001.11111"))),
                  "morning.xml").status_code == 201
    r = upload(client, auth, _csv_without_references(("15:00:00", "nop le phi"), ("09:00:00", f"{CODE} nop le phi")),
               "day.csv")
    assert (r.json["lines_new"], r.json["lines_duplicate"]) == (1, 1), r.json
    listed = all_lines(client, auth, r.json["import_id"])
    assert [(l["memo"], l["seen_before"]) for l in listed] == [("nop le phi", False), (f"{CODE} nop le phi", True)]
    assert paid_vnd(client, CODE) == 30_000
    assert_ledger_ok(db)


def test_the_other_order_a_new_referenced_transfer_does_not_take_the_stored_line(client, auth, db, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000)])
    assert upload(client, auth, _csv_without_references(("09:00:00", f"{CODE} nop le phi")), "m.csv").status_code == 201
    r = upload(client, auth, camt(stmt(ntry("30000", "nop le phi", ref="5001.00001", at="08:00:00"),
                                       ntry("30000", f"{CODE} nop le phi", ref="5001.00002"))), "day.xml")
    assert (r.json["lines_new"], r.json["lines_duplicate"]) == (1, 1), r.json
    listed = all_lines(client, auth, r.json["import_id"])
    assert [(l["bank_ref"], l["seen_before"]) for l in listed] == [("5001.00001", False), (None, True)]
    assert paid_vnd(client, CODE) == 30_000
    assert_ledger_ok(db)


def test_the_very_memo_in_a_later_chunk_still_comes_first(client, auth, db, monkeypatch):
    """The day runs over two chunks: the row holding a part of the memo comes a chunk before the row
    with the very memo, and must leave the line to it."""
    from reconciliation import importer

    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000)])
    assert upload(client, auth, camt(stmt(ntry("30000", f"{CODE} nop le phi", ref="5001.11111"))),
                  "morning.xml").status_code == 201
    monkeypatch.setattr(importer, "CHUNK", 1)
    r = upload(client, auth, _csv_without_references(("15:00:00", "nop le phi"), ("09:00:00", f"{CODE} nop le phi")),
               "day.csv")
    assert (r.json["lines_new"], r.json["lines_duplicate"]) == (1, 1), r.json
    assert [l["seen_before"] for l in all_lines(client, auth, r.json["import_id"])] == [False, True]
    assert paid_vnd(client, CODE) == 30_000
    assert_ledger_ok(db)


def test_the_other_order_over_two_chunks(client, auth, db, monkeypatch):
    from reconciliation import importer

    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000)])
    assert upload(client, auth, _csv_without_references(("09:00:00", f"{CODE} nop le phi")), "m.csv").status_code == 201
    monkeypatch.setattr(importer, "CHUNK", 1)
    r = upload(client, auth, camt(stmt(ntry("30000", "nop le phi", ref="5001.00001", at="08:00:00"),
                                       ntry("30000", f"{CODE} nop le phi", ref="5001.00002"))), "day.xml")
    assert (r.json["lines_new"], r.json["lines_duplicate"]) == (1, 1), r.json
    assert [l["seen_before"] for l in all_lines(client, auth, r.json["import_id"])] == [False, True]
    assert paid_vnd(client, CODE) == 30_000
    assert_ledger_ok(db)


# --- text a database cannot hold ---------------------------------------------------------------

def test_a_nul_in_a_memo_after_the_first_chunk_is_refused_before_anything_is_written(client, auth, db, monkeypatch):
    from reconciliation import importer
    from tests.recon_factories import vcb_csv

    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000)])
    monkeypatch.setattr(importer, "CHUNK", 100)
    payments = count_payments(db)
    # past the 8 KiB the format is sniffed from (a NUL there is binary data: 415)
    good = [(f"5000.{i:05d}", "", "30.000", f"{CODE} nop le phi" if i == 0 else f"chuyen tien {i}") for i in range(200)]
    r = upload(client, auth, vcb_csv(*good, ("9999.1", "", "30.000", "bad\x00memo")))
    assert r.status_code == 400, r.json
    assert r.json["code"] == "invalid_text" and r.json["details"]["line_no"] == 201
    assert count_payments(db) == payments and paid_vnd(client, CODE) == 0
    assert client.get("/api/v1/reconciliation/statements", headers=auth("finance")).json["imports"] == []


# --- a camt.053 batch and the same entry as one line -------------------------------------------

BATCH_MT940 = """:20:X
:25:0071001234567
:28C:1/1
:60F:C261124VND0,
:61:2611241124C380000,NTRF510011111//510011111
:86:{a} le phi {b} le phi
:62F:C261124VND380000,
"""


def _batch_camt(a: str, b: str) -> str:
    return camt(stmt(ntry("380000", tx(f"{a} le phi", "30000") + tx(f"{b} le phi", "350000"), ref="5100.11111")))


def _credit_lines_vnd(db) -> int:
    from sqlalchemy import func, select

    from reconciliation.models import StatementLine

    with db() as s:
        return s.execute(select(func.sum(StatementLine.amount_vnd)).where(StatementLine.direction == "credit")).scalar()


def test_a_camt_batch_and_the_same_entry_from_mt940_and_csv_add_no_money(client, auth, db, monkeypatch):
    from tests.recon_factories import vcb_csv

    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000), (OTHER, 350_000)])
    first = upload(client, auth, _batch_camt(CODE, OTHER), "s.xml")
    assert (first.json["lines_new"], first.json["lines_duplicate"]) == (2, 0), first.json
    payments = count_payments(db)
    mt = upload(client, auth, BATCH_MT940.format(a=CODE, b=OTHER), "s.mt940")
    assert (mt.json["lines_new"], mt.json["lines_duplicate"]) == (0, 1), mt.json
    csv = upload(client, auth, vcb_csv(("5100.11111", "", "380.000", f"{CODE} le phi {OTHER} le phi")))
    assert (csv.json["lines_new"], csv.json["lines_duplicate"]) == (0, 1), csv.json
    assert count_payments(db) == payments and _credit_lines_vnd(db) == 380_000
    assert (paid_vnd(client, CODE), paid_vnd(client, OTHER)) == (30_000, 350_000)
    listed = all_lines(client, auth, mt.json["import_id"])
    assert [l["import_id"] for l in listed] == [first.json["import_id"]]
    assert_ledger_ok(db)


def test_the_entry_from_mt940_first_and_the_camt_batch_after_add_no_money(client, auth, db, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000), (OTHER, 350_000)])
    first = upload(client, auth, BATCH_MT940.format(a=CODE, b=OTHER), "s.mt940")
    assert first.json["lines_new"] == 1, first.json
    payments = count_payments(db)
    again = upload(client, auth, _batch_camt(CODE, OTHER), "s.xml")
    assert (again.json["lines_new"], again.json["lines_duplicate"]) == (0, 2), again.json
    assert count_payments(db) == payments and _credit_lines_vnd(db) == 380_000
    assert (paid_vnd(client, CODE), paid_vnd(client, OTHER)) == (30_000, 350_000)
    assert {l["import_id"] for l in all_lines(client, auth, again.json["import_id"])} == {first.json["import_id"]}
    assert_ledger_ok(db)


def test_the_camt_batch_imported_again_is_its_own_lines(client, auth, db, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000), (OTHER, 350_000)])
    first = upload(client, auth, _batch_camt(CODE, OTHER), "s.xml")
    again = upload(client, auth, _batch_camt(CODE, OTHER), "again.xml")
    assert (again.json["lines_new"], again.json["lines_duplicate"]) == (0, 2), again.json
    assert [l["id"] for l in all_lines(client, auth, again.json["import_id"])] == \
        [l["id"] for l in all_lines(client, auth, first.json["import_id"])]


def test_a_batch_stored_before_parts_were_keyed_under_their_entry_is_known_again(client, auth, db, monkeypatch):
    from reconciliation import importer

    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000), (OTHER, 350_000)])
    monkeypatch.setattr(importer, "_batch_key", lambda line: None)  # how parts were keyed before
    first = upload(client, auth, _batch_camt(CODE, OTHER), "s.xml")
    assert first.json["lines_new"] == 2
    monkeypatch.undo()
    payments = count_payments(db)
    again = upload(client, auth, _batch_camt(CODE, OTHER), "again.xml")
    assert (again.json["lines_new"], again.json["lines_duplicate"]) == (0, 2), again.json
    assert count_payments(db) == payments


# --- dates a statement cannot have yet ---------------------------------------------------------

def _vcb_row(day: str) -> str:
    return ("Ngày GD/ TNX Date,Số CT/ Doc No,Số tiền ghi nợ/ Debit,Số tiền ghi có/ Credit,Số dư/ Balance,"
            f'Nội dung chi tiết/ Transactions in detail\n{day},5000.1,"","30.000","","{CODE} nop le phi"\n')


def test_a_line_booked_after_tomorrow_is_refused_before_anything_is_written(client, auth, db, monkeypatch):
    from datetime import timedelta

    from kernel.clock import business_date, now_utc

    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000)])
    payments = count_payments(db)
    today = business_date(now_utc())
    for written, fmt in ((f"{today + timedelta(days=2):%d/%m/%Y}", "csv"), ("24/11/99", "csv")):
        r = upload(client, auth, _vcb_row(written), f"f.{fmt}")
        assert r.status_code == 400 and r.json["code"] == "invalid_date", r.json
        assert r.json["details"]["line_no"] == 1 and r.json["details"]["latest"] == (today + timedelta(days=1)).isoformat()
    mt = f":20:X\n:25:0071001234567\n:61:991124C30000,NTRFNONREF//77\n:86:{CODE}\n:62F:C991124VND30000,\n"
    r = upload(client, auth, mt, "f.mt940")
    assert r.status_code == 400 and r.json["code"] == "invalid_date", r.json
    assert count_payments(db) == payments and paid_vnd(client, CODE) == 0
    assert client.get("/api/v1/reconciliation/statements", headers=auth("finance")).json["imports"] == []


def test_a_closing_balance_dated_after_tomorrow_is_refused(client, auth, db):
    mt = ":20:X\n:25:0071001234567\n:60F:C261124VND0,\n:62F:C991124VND0,\n"
    r = upload(client, auth, mt, "f.mt940")
    assert r.status_code == 400 and r.json["code"] == "invalid_date", r.json


def test_a_line_booked_tomorrow_is_read(client, auth, db, monkeypatch):
    from datetime import timedelta

    from kernel.clock import business_date, now_utc

    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000)])
    tomorrow = business_date(now_utc()) + timedelta(days=1)
    r = upload(client, auth, _vcb_row(f"{tomorrow:%d/%m/%Y}"))
    assert r.status_code == 201, r.json


# --- the raw file ------------------------------------------------------------------------------

def test_the_raw_file_is_streamed_chunk_by_chunk_not_read_whole(client, auth, db, monkeypatch):
    from reconciliation import files
    from tests.recon_factories import vcb_csv

    monkeypatch.setattr(files, "CHUNK_BYTES", 1000)  # stored in several chunks
    data = vcb_csv(*[(f"5000.{i:05d}", "", "30.000", f"chuyen tien {i}") for i in range(100)]).encode()
    body = upload(client, auth, data).json

    def whole(*_args, **_kwargs):
        raise AssertionError("the download read the whole file into memory")

    monkeypatch.setattr(files, "read_all", whole)
    raw = client.get(f"/api/v1/reconciliation/statements/{body['import_id']}/file", headers=auth("finance"))
    assert raw.status_code == 200 and raw.is_streamed
    assert raw.headers["Content-Length"] == str(len(data)) and raw.data == data


@pytest.mark.parametrize("placeholder", ["0", "000", "N/A", "NA", "-", "none", "NULL"])
def test_a_placeholder_in_the_reference_column_is_no_reference(client, auth, db, monkeypatch, placeholder):
    """Some exports fill the reference cell of every row with 0 or N/A: two equal transfers of the day
    under that placeholder are two transfers (keyed by their fingerprints), not one listed twice."""
    from tests.recon_factories import vcb_csv

    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000), (OTHER, 30_000)])
    r = upload(client, auth, vcb_csv((placeholder, "", "30.000", f"{CODE} nop le phi"),
                                     (placeholder, "", "30.000", f"{OTHER} nop le phi")))
    assert r.status_code == 201, r.json
    assert (r.json["lines_new"], r.json["lines_duplicate"]) == (2, 0)
    assert [line["bank_ref"] for line in all_lines(client, auth, r.json["import_id"])] == [None, None]
    assert (paid_vnd(client, CODE), paid_vnd(client, OTHER)) == (30_000, 30_000)


@pytest.mark.parametrize("filename, data", [
    ("s.xml", camt(stmt(ntry("30000", f"{CODE} nop le phi", ref="NA")))),
    ("s.mt940", f":20:X\n:25:0071001234567\n:61:2611241124C30000,NTRFNA\n:86:{CODE} nop le phi\n"
                ":62F:C261124VND30000,\n"),
])
def test_a_file_keyed_by_its_placeholder_reference_before_is_known_when_imported_again(
        client, auth, db, monkeypatch, filename, data):
    """Lines stored before placeholders stopped being references were keyed by them (r:…:NA:…): a
    camt.053 or MT940 carrying that placeholder, imported again, is the same transfer, not new money."""
    import payments.references
    from reconciliation import swift
    from tests.recon_factories import mt940_references_before_round17

    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000)])
    with monkeypatch.context() as before:
        before.setattr(payments.references, "_NO_REFERENCE", {"NONREF", "NOTPROVIDED"})
        before.setattr(swift, "_references", mt940_references_before_round17)  # an MT940 keyed by its `NA`
        assert upload(client, auth, data, filename).status_code == 201
    r = upload(client, auth, data, filename)
    assert r.status_code == 201, r.json
    assert (r.json["lines_new"], r.json["lines_duplicate"]) == (0, 1)
    assert paid_vnd(client, CODE) == 30_000
    assert_ledger_ok(db)


@pytest.mark.parametrize("filename, data", [
    ("s.xml", camt(stmt(ntry("30000", f"{CODE} nop le phi", ref="N/A"),
                        ntry("30000", f"{OTHER} nop le phi", ref="N/A", at="10:00:00")))),
    ("s.mt940", f":20:X\n:25:0071001234567\n:61:2611241124C30000,NTRF0\n:86:{CODE} nop le phi\n"
                f":61:2611241124C30000,NTRF0\n:86:{OTHER} nop le phi\n:62F:C261124VND60000,\n"),
])
def test_a_placeholder_reference_in_camt_or_mt940_is_no_reference_either(client, auth, db, monkeypatch,
                                                                        filename, data):
    make_requests_with_codes(client, auth, monkeypatch, [(CODE, 30_000), (OTHER, 30_000)])
    r = upload(client, auth, data, filename)
    assert r.status_code == 201, r.json
    assert [line["bank_ref"] for line in all_lines(client, auth, r.json["import_id"])] == [None, None]
    assert (paid_vnd(client, CODE), paid_vnd(client, OTHER)) == (30_000, 30_000)
