"""camt.053 as ISO 20022 defines it (QA parse pass): extreme date-times are a typed error, PRCD is the
closing of the previous report, amounts are xs:decimal; MT940 amounts use the decimal comma."""
import io

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
