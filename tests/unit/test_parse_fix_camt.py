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



def test_a_value_date_written_as_a_date_time_is_read_and_dates_an_entry_without_a_booking_date():
    # ValDt, like BookgDt, is a choice of Dt or DtTm; BookgDt is optional (0..1).
    entry = ntry("30000", booked="<DtTm>2026-11-24T07:00:00+07:00</DtTm>")
    [line] = read(doc(entries=entry.replace("</BookgDt>", "</BookgDt><ValDt><DtTm>2026-11-24T07:00:00+07:00</DtTm>"
                                                          "</ValDt>")))[1]
    assert line.value_date == date(2026, 11, 24)
    late = ntry("30000").replace("<BookgDt><Dt>2026-11-24</Dt></BookgDt>",
                                 "<ValDt><DtTm>2026-11-24T18:30:00Z</DtTm></ValDt>")
    [line] = read(doc(entries=late))[1]
    assert (line.booking_date, line.value_date) == (date(2026, 11, 25), date(2026, 11, 25))


def test_remittance_information_cut_at_the_full_length_of_an_ustrd_continues_without_a_space():
    # Ustrd is at most 140 characters: a longer text is cut there, mid-word, and goes on in the next one.
    cut = "MBVCB.6567672464.CT tu 2305985302384 NGUYEN VAN AN toi 0071001234567 TRUNG TAM PHUC VU HANH CHINH CONG "
    cut = cut.ljust(139, "X") + "H"
    two = "<Ustrd>" + cut + "</Ustrd><Ustrd>S40881023160 nop phi</Ustrd><Ustrd>ho so</Ustrd>"
    [line] = read(doc(entries=ntry("30000").replace("<Ustrd>HS40881023160</Ustrd>", two)))[1]
    assert line.memo == cut + "S40881023160 nop phi ho so"

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


# --- 5. amounts as each format writes them ----------------------------------------------

@pytest.mark.parametrize("text, vnd", [("1.000", 1), ("30000.000", 30000), ("1500000.000", 1_500_000),
                                       ("1500000.00000", 1_500_000), ("1500000", 1_500_000), (" 30000 ", 30000)])
def test_a_camt_amount_is_an_xml_decimal_whose_dot_is_the_decimal_point(text, vnd):
    _, lines = read(doc(entries=ntry(text)))
    assert [l.amount_vnd for l in lines] == [vnd]


@pytest.mark.parametrize("text", ["1.5", "30000.001", "30,000", "30.000,00", "1 000", "٣٠٠٠", "1e5", "."])
def test_a_camt_amount_with_a_fraction_of_a_dong_or_grouping_is_refused(text):
    assert refused(doc(entries=ntry(text))).code == "invalid_amount"


def test_a_camt_balance_is_read_as_an_xml_decimal_too():
    info, _ = read(doc(bal("CLBD", "1080000.00", "2026-11-24"), ntry("50000")))
    assert info.balances[date(2026, 11, 24)].closing_vnd == 1_080_000
    assert refused(doc(bal("CLBD", "1.080.000", "2026-11-24"), ntry("50000"))).code == "invalid_amount"


def mt940(amount: str, balance: str = "1000000,") -> bytes:
    return (f":20:S1\n:25:{ACCOUNT}\n:28C:1/1\n:60F:C261124VND{balance}\n:61:2611241124C{amount}NTRF500096828//500096828\n"
            f":86:HS40881023160\n:62F:C261124VND1030000,\n").encode()


@pytest.mark.parametrize("text, vnd", [("30000,", 30000), ("30000,00", 30000), ("30000", 30000)])
def test_an_mt940_amount_has_a_decimal_comma(text, vnd):
    _, lines = read(mt940(text))
    assert [l.amount_vnd for l in lines] == [vnd]


@pytest.mark.parametrize("text", ["30000,5", "30,000", "30000,000"])
def test_an_mt940_amount_with_a_fraction_or_a_grouping_comma_is_refused(text):
    assert refused(mt940(text)).code == "invalid_amount"


def test_an_mt940_balance_grouped_with_dots_is_refused():
    assert refused(mt940("30000,", balance="1.000.000,")).code == "invalid_amount"


def _batch(amounts: tuple[int, ...], ref: str) -> str:
    txs = "".join(f'<TxDtls><AmtDtls><TxAmt><Amt Ccy="VND">{a}</Amt></TxAmt></AmtDtls>'
                  f"<RmtInf><Ustrd>nop phi {a}</Ustrd></RmtInf></TxDtls>" for a in amounts)
    return (f'<Ntry><Amt Ccy="VND">{sum(amounts)}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
            f"<BookgDt><Dt>2026-11-24</Dt></BookgDt><AcctSvcrRef>{ref}</AcctSvcrRef><NtryDtls>{txs}</NtryDtls></Ntry>")


def test_the_parts_of_batches_under_a_filler_entry_reference_get_no_reference_of_it():
    """Two batches booked under NOTPROVIDED: their parts must not be named NOTPROVIDED/1, /2 (one name for
    parts of different batches: equal ones would be keyed as one transfer and the second never counted)."""
    _, lines = read(doc(entries=_batch((30000, 50000), "NOTPROVIDED") + _batch((30000, 50000), "NOTPROVIDED")))
    assert [(l.amount_vnd, l.bank_ref) for l in lines] == [(30000, None), (50000, None), (30000, None), (50000, None)]


def test_a_filler_entry_reference_gives_way_to_the_transactions_own():
    entry = ('<Ntry><Amt Ccy="VND">30000</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>'
             "<BookgDt><Dt>2026-11-24</Dt></BookgDt><AcctSvcrRef>NOTPROVIDED</AcctSvcrRef><NtryDtls><TxDtls>"
             "<Refs><AcctSvcrRef>FT26328123456</AcctSvcrRef></Refs><RmtInf><Ustrd>HS40881023160</Ustrd></RmtInf>"
             "</TxDtls></NtryDtls></Ntry>")
    [line] = read(doc(entries=entry))[1]
    assert line.bank_ref == "FT26328123456"
