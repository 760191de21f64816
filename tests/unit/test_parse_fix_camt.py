"""camt.053 as ISO 20022 defines it (QA parse pass): extreme date-times are a typed error, PRCD is the
closing of the previous report, amounts are xs:decimal; MT940 amounts use the decimal comma."""
import io
from datetime import date

import pytest

from reconciliation.statements import StatementError, parse_statement

ACCOUNT = "0071001234567"


def doc(balances: str = "", entries: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
            f"<BkToCstmrStmt><GrpHdr><MsgId>1</MsgId></GrpHdr><Stmt><Id>S1</Id><Acct><Id><Othr><Id>{ACCOUNT}</Id>"
            f"</Othr></Id><Ccy>VND</Ccy></Acct>{balances}{entries}</Stmt></BkToCstmrStmt></Document>").encode()


def bal(code: str, amount: str, when: str) -> str:
    tag = "DtTm" if "T" in when else "Dt"
    return (f'<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy="VND">{amount}</Amt>'
            f"<CdtDbtInd>CRDT</CdtDbtInd><Dt><{tag}>{when}</{tag}></Dt></Bal>")


def ntry(amount: str, ref: str = "R1", booked: str = "<Dt>2026-11-24</Dt>") -> str:
    return (f'<Ntry><Amt Ccy="VND">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
            f"<BookgDt>{booked}</BookgDt><AcctSvcrRef>{ref}</AcctSvcrRef>"
            f"<NtryDtls><TxDtls><RmtInf><Ustrd>HS40881023160</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>")


def read(data: bytes):
    info, lines = parse_statement(io.BytesIO(data))
    return info, list(lines)


def refused(data: bytes) -> StatementError:
    with pytest.raises(StatementError) as caught:
        read(data)
    return caught.value


# --- 3. extreme date-times --------------------------------------------------------------

@pytest.mark.parametrize("when", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59Z"])
def test_a_booking_date_time_at_the_ends_of_the_calendar_is_an_invalid_date(when):
    error = refused(doc(entries=ntry("30000", booked=f"<DtTm>{when}</DtTm>")))
    assert error.code == "invalid_date" and error.status == 400


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
def test_a_balance_date_time_at_the_ends_of_the_calendar_is_an_invalid_date(when):
    assert refused(doc(bal("CLBD", "1000", when), ntry("30000"))).code == "invalid_date"


# --- 4. PRCD: the previous report's closing ---------------------------------------------

def test_prcd_dated_the_previous_day_is_the_opening_of_the_statements_day_not_of_its_own_date():
    info, _ = read(doc(bal("PRCD", "1030000", "2026-11-23") + bal("CLBD", "1080000", "2026-11-24"), ntry("50000")))
    assert {str(day): (b.opening_vnd, b.closing_vnd) for day, b in info.balances.items()} == {
        "2026-11-24": (1_030_000, 1_080_000)}


def test_prcd_of_a_friday_opens_the_mondays_statement_named_by_its_period():
    period = "<FrToDt><FrDtTm>2026-11-23T00:00:00+07:00</FrDtTm><ToDtTm>2026-11-23T23:59:59+07:00</ToDtTm></FrToDt>"
    data = doc(period + bal("PRCD", "1030000", "2026-11-20") + bal("CLBD", "1030000", "2026-11-23"))
    info, lines = read(data)
    assert lines == [] and {str(d): (b.opening_vnd, b.closing_vnd) for d, b in info.balances.items()} == {
        "2026-11-23": (1_030_000, 1_030_000)}


def test_an_explicit_opening_wins_over_prcd_and_prcd_alone_is_the_closing_of_its_date():
    info, _ = read(doc(bal("OPBD", "1000000", "2026-11-24") + bal("PRCD", "999", "2026-11-23")
                       + bal("CLBD", "1050000", "2026-11-24"), ntry("50000")))
    assert info.balances[date(2026, 11, 24)].opening_vnd == 1_000_000 and date(2026, 11, 23) not in info.balances
    info, _ = read(doc(bal("PRCD", "1030000", "2026-11-23")))
    assert {str(d): (b.opening_vnd, b.closing_vnd) for d, b in info.balances.items()} == {
        "2026-11-23": (None, 1_030_000)}
