"""Statement parsing, round 17: one rule for a statement without transactions in every format (a day without
transactions, stating its balance, is imported; a file that carries nothing is refused), and a camt.053 batch
kept as one line is keyed by a reference of the whole entry only."""
import io

import pytest

from reconciliation.importer import parse_upload
from reconciliation.statements import StatementError
from tests.unit.test_parse_fix_tabular import csv_text, read, workbook

CODE, CODE2 = "HS40881023160", "HS21890246178"
NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


def camt(statement_body: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?><Document xmlns="{NS}"><BkToCstmrStmt><GrpHdr><MsgId>M</MsgId>'
            '<CreDtTm>2026-11-24T23:00:00+07:00</CreDtTm></GrpHdr><Stmt><Id>S1</Id><Acct><Id><Othr>'
            f'<Id>0071001234567</Id></Othr></Id><Ccy>VND</Ccy></Acct>{statement_body}</Stmt></BkToCstmrStmt></Document>')


def balance(code: str, amount: int) -> str:
    return (f'<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy="VND">{amount}</Amt>'
            '<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-24</Dt></Dt></Bal>')


def entry(amount: int, details: str, ref: str | None = None, status: str = "BOOK") -> str:
    reference = f"<AcctSvcrRef>{ref}</AcctSvcrRef>" if ref else ""
    return (f'<Ntry><Amt Ccy="VND">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>{status}</Cd></Sts>'
            f'<BookgDt><Dt>2026-11-24</Dt></BookgDt>{reference}<NtryDtls>{details}</NtryDtls></Ntry>')


def tx(memo: str, ref: str | None = None) -> str:
    reference = f"<Refs><AcctSvcrRef>{ref}</AcctSvcrRef></Refs>" if ref else ""
    return f"<TxDtls>{reference}<RmtInf><Ustrd>{memo}</Ustrd></RmtInf></TxDtls>"


def imported(data: bytes | str, fmt=None):
    parsed = parse_upload(io.BytesIO(data.encode() if isinstance(data, str) else data), fmt=fmt)
    parsed.close()
    return parsed


def refused_import(data: bytes | str, fmt=None) -> StatementError:
    with pytest.raises(StatementError) as caught:
        imported(data, fmt)
    return caught.value


# --- a statement without transactions -------------------------------------------------

@pytest.mark.parametrize("data", [
    csv_text(["Ngày giao dịch", "Số tiền", "Nội dung"]),  # a header and nothing under it
    csv_text(["Ngày giao dịch", "Ghi nợ", "Ghi có", "Số dư", "Nội dung"],  # balances of no day
             ["Số dư đầu kỳ", "", "", "100.000", ""], ["Số dư cuối kỳ", "", "", "100.000", ""]),
    workbook([["SAO KÊ TÀI KHOẢN"], ["Ngày giao dịch", "Số tiền", "Nội dung"]]),
    camt(""),  # a statement of nothing: no entry, no balance
    camt(entry(30_000, tx(CODE), "R1", status="PDNG")),  # pending only: nothing booked, no balance
    ":20:X\n:25:0071001234567\n:28C:1/1\n:60M:C261124VND5,\n:62M:C261124VND5,\n",  # balances within a day only
], ids=["csv-header-only", "csv-balances-without-a-day", "xlsx-header-only", "camt-empty-stmt", "camt-pending-only",
        "mt940-intermediate-balances-only"])
def test_a_file_with_no_transaction_and_no_days_balance_is_refused_as_empty_in_every_format(data):
    error = refused_import(data)
    assert error.code == "empty_statement", error


@pytest.mark.parametrize("data", [
    camt(balance("OPBD", 500_000) + balance("CLBD", 500_000)),
    ":20:X\n:25:0071001234567\n:28C:1/1\n:60F:C261124VND500000,\n:62F:C261124VND500000,\n",
], ids=["camt", "mt940"])
def test_a_day_without_transactions_that_states_its_balance_is_imported_with_no_line(data):
    parsed = imported(data)
    assert parsed.lines_total == 0
    assert {str(day): (b.opening_vnd, b.closing_vnd) for day, b in parsed.info.balances.items()} == \
        {"2026-11-24": (500_000, 500_000)}


def test_a_camt_document_without_any_statement_keeps_its_own_code():
    data = camt("").replace("<Stmt><Id>S1</Id>", "<!--").replace("</Stmt>", "-->")
    assert refused_import(data).code == "empty_camt053"


# --- a camt.053 batch kept as one line ------------------------------------------------

def test_a_batch_kept_whole_without_an_entry_reference_is_keyed_by_its_fingerprint_not_its_first_transfer():
    _, [line] = read(camt(entry(80_000, tx(CODE, "T1") + tx(CODE2, "T2"))))
    assert (line.amount_vnd, line.bank_ref, line.memo) == (80_000, None, f"{CODE} {CODE2}")


@pytest.mark.parametrize("details,ref", [
    (tx(CODE, "T1") + tx(CODE2, "T1"), "T1"),  # each transaction names the entry's reference
    (tx(CODE, "T1"), "T1"),  # one transaction: its reference is the entry's
], ids=["shared", "single"])
def test_a_batch_kept_whole_is_keyed_by_a_reference_every_transaction_shares(details, ref):
    _, [line] = read(camt(entry(80_000, details)))
    assert line.bank_ref == ref


def test_a_batch_kept_whole_with_one_transaction_referenced_is_not_keyed_by_it():
    _, [line] = read(camt(entry(80_000, tx(CODE, "T1") + tx(CODE2))))
    assert line.bank_ref is None


def test_a_batch_kept_whole_with_an_entry_reference_keeps_it():
    _, [line] = read(camt(entry(80_000, tx(CODE, "T1") + tx(CODE2, "T2"), ref="E1")))
    assert line.bank_ref == "E1"


def test_a_batch_whose_transactions_go_both_ways_is_kept_whole_not_split_into_credits():
    # 30.000 in and 50.000 out: the parts' amounts add up to the entry's 80.000 only when their sides are ignored.
    details = ("<TxDtls><Amt Ccy='VND'>30000</Amt><CdtDbtInd>CRDT</CdtDbtInd><RmtInf><Ustrd>a</Ustrd></RmtInf></TxDtls>"
               "<TxDtls><Amt Ccy='VND'>50000</Amt><CdtDbtInd>DBIT</CdtDbtInd><RmtInf><Ustrd>b</Ustrd></RmtInf></TxDtls>")
    _, lines = read(camt(entry(80_000, details, ref="E1")))
    assert [(line.amount_vnd, line.direction, line.bank_ref) for line in lines] == [(80_000, "credit", "E1")]


def test_a_batch_whose_transactions_name_the_entrys_side_is_still_split():
    details = ("<TxDtls><Amt Ccy='VND'>30000</Amt><CdtDbtInd>CRDT</CdtDbtInd><RmtInf><Ustrd>a</Ustrd></RmtInf></TxDtls>"
               "<TxDtls><Amt Ccy='VND'>50000</Amt><CdtDbtInd>CRDT</CdtDbtInd><RmtInf><Ustrd>b</Ustrd></RmtInf></TxDtls>")
    _, lines = read(camt(entry(80_000, details, ref="E1")))
    assert [(line.amount_vnd, line.bank_ref) for line in lines] == [(30_000, "E1/1"), (50_000, "E1/2")]


# --- an MT940 line whose only reference is the customer's ------------------------------

def mt940(*lines: str) -> str:
    body = "".join(f"{line}\n" for line in lines)
    return f":20:X\n:25:0071001234567\n:28C:1/1\n:60F:C261123VND0,\n{body}:62F:C261124VND0,\n"


@pytest.mark.parametrize("references", [CODE, f"{CODE}//NONREF"], ids=["no-bank-reference", "a-filler"])
def test_an_mt940_customers_reference_alone_is_memo_not_the_lines_reference(references):
    _, [line] = read(mt940(f":61:2611241124C30000,NTRF{references}", ":86:nop le phi"))
    assert (line.bank_ref, line.memo, line.customer_ref) == (None, f"{CODE} nop le phi", CODE)


def test_an_mt940_customers_reference_over_16_characters_alone_keeps_both_earlier_readings():
    whole = f"{CODE}NOPLEPHIHOSO"
    _, [line] = read(mt940(f":61:2611241124C30000,NTRF{whole}"))
    assert (line.bank_ref, line.memo, line.earlier_refs) == (None, whole, (whole[:16], whole))


def test_an_mt940_customers_reference_beside_a_filler_keeps_the_reading_that_dropped_it():
    # Until round 12 a written `//NONREF` was the line's (no) reference: keyed by its memo without the customer's.
    _, [line] = read(mt940(f":61:2611241124C30000,NTRF{CODE}//NONREF", ":86:nop le phi"))
    assert (line.earlier_refs, line.customer_ref) == ((None, CODE), CODE)


def test_an_mt940_bank_reference_keys_the_line_and_the_customers_opens_the_memo_as_before():
    _, [line] = read(mt940(f":61:2611241124C30000,NTRF{CODE}//FT1", ":86:nop le phi"))
    assert (line.bank_ref, line.memo, line.customer_ref) == ("FT1", f"{CODE} nop le phi", None)


def test_two_equal_mt940_lines_named_by_the_customers_reference_alone_are_two_transfers():
    parsed = imported(mt940(f":61:2611241124C30000,NTRF{CODE}", f":61:2611241124C30000,NTRF{CODE}"))
    assert (parsed.lines_total, len(parsed.repeated)) == (2, 1)  # one fingerprint twice: numbered, #2


def test_one_customers_reference_on_two_amounts_of_a_day_is_no_conflicting_bank_reference():
    # The payer's code paying a fee in two parts: the customer's reference names no bank transfer.
    parsed = imported(mt940(f":61:2611241124C12500,NTRF{CODE}", f":61:2611241124C17500,NTRF{CODE}"))
    assert parsed.lines_total == 2
