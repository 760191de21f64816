"""Statement import, QA round 13: references the parsers used to drop, and re-imports across that change."""
import pytest

from reconciliation import camt053, swift
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


def test_a_camt_without_acctsvcrref_imported_before_txid_was_read_is_a_duplicate_after(client, auth, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [(A, 30_000), (B, 30_000)])
    data = camt(entry(30000, f"{A} nop", "<EndToEndId>NOTPROVIDED</EndToEndId><TxId>NAPAS26112400001</TxId>") +
                entry(30000, f"{B} nop", "<EndToEndId>NOTPROVIDED</EndToEndId><TxId>NAPAS26112400002</TxId>"))
    with monkeypatch.context() as before:  # the parser of round 12: no reference without AcctSvcrRef
        before.setattr(camt053, "_interbank_reference", lambda tx: None)
        r = upload(client, auth, data, filename="s.xml")
    assert (r.status_code, r.json["lines_new"]) == (201, 2), r.json
    assert [line["bank_ref"] for line in all_lines(client, auth, r.json["import_id"])] == [None, None]
    again = upload(client, auth, data, filename="s.xml")
    assert again.status_code == 201, again.json
    assert (again.json["lines_new"], again.json["lines_duplicate"]) == (0, 2)
    assert (paid_vnd(client, A), paid_vnd(client, B)) == (30_000, 30_000)


def test_a_camt_line_keyed_by_txid_is_one_line_on_reimport(client, auth, monkeypatch):
    make_requests_with_codes(client, auth, monkeypatch, [(A, 30_000)])
    data = camt(entry(30000, f"{A} nop", "<TxId>NAPAS26112400001</TxId>"))
    r = upload(client, auth, data, filename="s.xml")
    assert (r.status_code, r.json["lines_new"]) == (201, 1), r.json
    assert all_lines(client, auth, r.json["import_id"])[0]["bank_ref"] == "NAPAS26112400001"
    # The same transfer, the memo tidied by another export of the bank: still the one line of its TxId.
    again = upload(client, auth, camt(entry(30000, f"{A}  nop le phi", "<TxId>NAPAS26112400001</TxId>")),
                   filename="t.xml")
    assert (again.status_code, again.json["lines_new"], again.json["lines_duplicate"]) == (201, 0, 1), again.json
    assert paid_vnd(client, A) == 30_000


def test_two_transfers_sharing_an_end_to_end_id_stay_two_lines(client, auth, monkeypatch):
    """Two payers' software both numbering their order `1`: the EndToEndId is theirs, no bank's key."""
    make_requests_with_codes(client, auth, monkeypatch, [(A, 30_000), (B, 30_000)])
    data = camt(entry(30000, f"{A} nop", "<EndToEndId>1</EndToEndId>") +
                entry(30000, f"{B} nop", "<EndToEndId>1</EndToEndId>"))
    r = upload(client, auth, data, filename="s.xml")
    assert (r.status_code, r.json["lines_new"]) == (201, 2), r.json
    assert (paid_vnd(client, A), paid_vnd(client, B)) == (30_000, 30_000)
