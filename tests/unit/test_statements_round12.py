"""Statement parsing, QA round 12: camt.053 entry status as a proprietary code."""
import io

import pytest

from reconciliation.statements import parse_statement

CODE = "HS40881023160"


def read(text: str, fmt: str | None = None):
    info, lines = parse_statement(io.BytesIO(text.encode()), fmt)
    return info, list(lines)


def camt(entries: str, ns: str = "08") -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{ns}">\n<BkToCstmrStmt><Stmt><Id>S</Id>'
            '<Acct><Id><Othr><Id>0071001234567</Id></Othr></Id><Ccy>VND</Ccy></Acct>\n' + entries +
            '\n</Stmt></BkToCstmrStmt></Document>\n')


def entry(amount: int, ref: str, status: str = "<Cd>BOOK</Cd>", details: str = "") -> str:
    return (f'<Ntry><Amt Ccy="VND">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>{status}</Sts>'
            f'<BookgDt><Dt>2026-11-24</Dt></BookgDt><AcctSvcrRef>{ref}</AcctSvcrRef>{details}</Ntry>\n')


# --- 1. camt.053's entry status as a proprietary code -------------------------------------------------
# `<Sts><Prtry>PDNG</Prtry></Sts>` (EntryStatus1Choice, camt.053.001.08 on) was read as no status at all:
# a pending or informational entry became a statement line, and its money was credited.

@pytest.mark.parametrize("status", ["<Prtry>PDNG</Prtry>", "<Prtry>INFO</Prtry>", "<Prtry> pdng </Prtry>"])
def test_a_camt_entry_whose_proprietary_status_is_not_booked_is_no_line(status):
    _, lines = read(camt(entry(30000, "FT1") + entry(50000, "FT2", status=status)))
    assert [(l.amount_vnd, l.bank_ref) for l in lines] == [(30000, "FT1")]


@pytest.mark.parametrize("status", ["<Prtry>BOOK</Prtry>", "<Prtry>book</Prtry>", "BOOK", "<Cd>BOOK</Cd>"])
def test_a_camt_entry_booked_under_any_form_of_status_is_a_line(status):
    _, lines = read(camt(entry(30000, "FT1", status=status)))
    assert [(l.amount_vnd, l.bank_ref) for l in lines] == [(30000, "FT1")]
