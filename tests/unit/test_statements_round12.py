"""Statement parsing, QA round 12: camt.053 entry status as a proprietary code; memos and payer names
that camt.053 and MT940 write over several lines read as one single-spaced text, as the spreadsheets' are."""
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


# --- 2. text over several lines -------------------------------------------------------------------------
# A pretty-printed or wrapped `Ustrd`, a payer's name, an indented :86: continuation line kept their line
# breaks and indentation in the stored memo (`HS… nop\n            le phi`): the same transfer read from a
# CSV is `HS… nop le phi`.

def test_a_camt_remittance_text_written_over_several_lines_is_one_single_spaced_memo():
    details = ("<NtryDtls><TxDtls><RltdPties><Dbtr><Nm>NGUYEN   VAN\n        AN</Nm></Dbtr></RltdPties>"
               f"<RmtInf><Ustrd>{CODE} nop\n            le  phi\t ho so</Ustrd></RmtInf></TxDtls></NtryDtls>")
    _, [line] = read(camt(entry(30000, "FT1", details=details)))
    assert (line.memo, line.payer_name) == (f"{CODE} nop le phi ho so", "NGUYEN VAN AN")


def test_a_camt_entry_information_over_several_lines_is_one_single_spaced_memo():
    _, [line] = read(camt(entry(30000, "FT1", details=f"<AddtlNtryInf>\n  {CODE}\n  nop le phi\n</AddtlNtryInf>")))
    assert line.memo == f"{CODE} nop le phi"


MT940 = (":20:S\r\n:25:0071001234567\r\n:28C:1/1\r\n:60F:C261123VND0,\r\n"
         ":61:2611241124C30000,NTRFNONREF//FT26328000001\r\n%s\r\n:62F:C261124VND30000,\r\n")


@pytest.mark.parametrize("details, memo, payer", [
    (f":86:{CODE} nop\r\n    le phi ho so", f"{CODE} nop le phi ho so", None),
    (f":86:{CODE}  nop   le phi", f"{CODE} nop le phi", None),
    (f":86:166?20{CODE} nop le phi?32NGUYEN VAN?33 AN", f"{CODE} nop le phi", "NGUYEN VAN AN"),
    (f":86:?20{CODE} nop le phi?32 NGUYEN  VAN AN ", f"{CODE} nop le phi", "NGUYEN VAN AN"),
])
def test_an_mt940_memo_and_payer_are_single_spaced(details, memo, payer):
    _, [line] = read(MT940 % details)
    assert (line.memo, line.payer_name) == (memo, payer)


def test_a_control_character_in_an_mt940_memo_is_still_refused_by_the_import():
    # Single-spacing must not turn a vertical tab into a space: the import refuses it, as in a CSV.
    from reconciliation.importer import parse_upload
    from reconciliation.statements import StatementError

    with pytest.raises(StatementError) as refused:
        parse_upload(io.BytesIO((MT940 % f":86:{CODE}\x0bnop le phi").encode()))
    assert (refused.value.code, refused.value.details["line_no"]) == ("invalid_text", 1)


# --- 3. an opening balance dated the day before the statement -------------------------------------------
# Many banks date OPBD as MT940 dates :60F:, with the previous statement's closing day. It was written as the
# opening of that day: a day imported from another file then had two openings, and a blocking balance_mismatch.

def bal(code: str, amount: int, day: str) -> str:
    return (f'<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy="VND">{amount}</Amt>'
            f"<CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>{day}</Dt></Dt></Bal>")


def balances(info) -> dict:
    return {str(day): (b.opening_vnd, b.closing_vnd) for day, b in info.balances.items()}


@pytest.mark.parametrize("dated", ["2026-11-23", "2026-11-20", "2026-11-24"])
def test_an_opbd_dated_on_or_before_the_first_booking_day_opens_that_day(dated):
    info, _ = read(camt(bal("OPBD", 1_000_000, dated) + bal("CLBD", 1_030_000, "2026-11-24") + entry(30000, "FT1")))
    assert balances(info) == {"2026-11-24": (1_000_000, 1_030_000)}


def test_an_opbd_before_a_statement_of_no_entries_opens_the_day_of_its_closing():
    info, _ = read(camt(bal("OPBD", 1_000_000, "2026-11-23") + bal("CLBD", 1_000_000, "2026-11-24")))
    assert balances(info) == {"2026-11-24": (1_000_000, 1_000_000)}


def test_an_opbd_of_the_periods_first_day_stays_on_it():
    period = "<FrToDt><FrDtTm>2026-11-23T00:00:00+07:00</FrDtTm><ToDtTm>2026-11-24T23:59:59+07:00</ToDtTm></FrToDt>"
    info, _ = read(camt(period + bal("OPBD", 1_000_000, "2026-11-23") + bal("CLBD", 1_030_000, "2026-11-24")
                        + entry(30000, "FT1")))
    assert balances(info) == {"2026-11-23": (1_000_000, None), "2026-11-24": (None, 1_030_000)}


def test_an_opbd_still_wins_over_prcd_and_each_day_of_a_statement_keeps_its_own_opbd():
    info, _ = read(camt(bal("PRCD", 999, "2026-11-23") + bal("OPBD", 1_000_000, "2026-11-23")
                        + bal("CLBD", 1_030_000, "2026-11-24") + entry(30000, "FT1")))
    assert balances(info) == {"2026-11-24": (1_000_000, 1_030_000)}
    two_days = entry(30000, "FT1") + entry(50000, "FT2").replace("2026-11-24", "2026-11-25")
    info, _ = read(camt(bal("OPBD", 1_000_000, "2026-11-24") + bal("CLBD", 1_030_000, "2026-11-24")
                        + bal("OPBD", 1_030_000, "2026-11-25") + bal("CLBD", 1_080_000, "2026-11-25") + two_days))
    assert balances(info) == {"2026-11-24": (1_000_000, 1_030_000), "2026-11-25": (1_030_000, 1_080_000)}


# --- 4. a side mark column headed by a word of its own ----------------------------------------------------
# `Type` (CR/DR) and `Chiều` (Có/Nợ) beside one unsigned amount column were not read: every row was a credit,
# a fee or a transfer out among them (money going out read as money in, able to pay a dossier).

@pytest.mark.parametrize("header, sides", [("Type", ("CR", "DR")), ("TYPE", ("C", "D")), ("Chiều", ("Có", "Nợ")),
                                           ("Chiều GD", ("Ghi có", "Ghi nợ")), ("Chiều giao dịch", ("C", "D"))])
def test_a_side_mark_column_named_in_one_word_gives_each_row_its_side(header, sides):
    text = (f"Ngày giao dịch,Số tham chiếu,Số tiền,{header},Nội dung\n24/11/2026,R1,1.000.000,{sides[0]},{CODE}\n"
            f"24/11/2026,R2,20.000,{sides[1]},{CODE} phi\n")
    _, lines = read(text)
    assert [(l.amount_vnd, l.direction) for l in lines] == [(1_000_000, "credit"), (20_000, "debit")]


def test_a_type_column_of_transaction_types_beside_signed_amounts_is_read_past():
    text = (f"Ngày giao dịch,Số tham chiếu,Số tiền,Type,Nội dung\n24/11/2026,R1,+1.000.000,Transfer,{CODE}\n"
            "24/11/2026,R2,-20.000,Fee,phi\n")
    _, lines = read(text)
    assert [(l.amount_vnd, l.direction) for l in lines] == [(1_000_000, "credit"), (20_000, "debit")]


# --- 5. a batch whose transactions state the amount instructed -----------------------------------------------
# camt.053.001.02 has no TxDtls/Amt: a batch's parts are often given only as AmtDtls/InstdAmt. Such a batch
# stayed one line of both payers' money, named after the first payer only.

def test_a_batch_of_instructed_amounts_in_dong_is_split_into_its_transactions():
    tx = ('<TxDtls><AmtDtls><InstdAmt><Amt Ccy="VND">{amount}</Amt></InstdAmt></AmtDtls><RltdPties><Dbtr><Nm>{name}'
          '</Nm></Dbtr></RltdPties><RmtInf><Ustrd>{memo}</Ustrd></RmtInf></TxDtls>')
    details = ("<NtryDtls><Btch><NbOfTxs>2</NbOfTxs></Btch>" + tx.format(amount=30000, name="LE VAN A", memo=CODE)
               + tx.format(amount=100000, name="TRAN THI B", memo="HS21890246178 nop") + "</NtryDtls>")
    _, lines = read(camt(entry(130000, "BATCH1", details=details), ns="02"))
    assert [(l.amount_vnd, l.payer_name, l.memo, l.bank_ref, l.batch) for l in lines] == [
        (30000, "LE VAN A", CODE, "BATCH1/1", ("BATCH1", 130000, 1)),
        (100000, "TRAN THI B", "HS21890246178 nop", "BATCH1/2", ("BATCH1", 130000, 2))]


def test_a_transaction_amount_wins_over_the_instructed_one_and_a_foreign_instructed_one_is_no_part():
    tx = ('<TxDtls><AmtDtls><InstdAmt><Amt Ccy="{ccy}">{instructed}</Amt></InstdAmt>{own}</AmtDtls>'
          '<RmtInf><Ustrd>{memo}</Ustrd></RmtInf></TxDtls>')
    own = '<TxAmt><Amt Ccy="VND">{}</Amt></TxAmt>'
    details = ("<NtryDtls>" + tx.format(ccy="VND", instructed=31000, own=own.format(30000), memo=CODE)
               + tx.format(ccy="VND", instructed=101000, own=own.format(100000), memo="HS21890246178") + "</NtryDtls>")
    _, lines = read(camt(entry(130000, "B2", details=details), ns="02"))
    assert [l.amount_vnd for l in lines] == [30000, 100000]
    details = ("<NtryDtls>" + tx.format(ccy="USD", instructed=30000, own="", memo=CODE)
               + tx.format(ccy="USD", instructed=100000, own="", memo="HS21890246178") + "</NtryDtls>")
    _, lines = read(camt(entry(130000, "B3", details=details), ns="02"))
    assert [(l.amount_vnd, l.memo) for l in lines] == [(130000, f"{CODE} HS21890246178")]


# --- 6. an MT940 payer's name cut between ?32 and ?33 ---------------------------------------------------------
# ?32 and ?33 hold 27 characters each: a longer name is cut at the 27th, mid-word, and goes on in ?33. It was
# joined with a space ("CONG TY TNHH DICH VU CONG N GHE ABC").

@pytest.mark.parametrize("fields, payer", [("?32CONG TY TNHH DICH VU CONG N?33GHE ABC",
                                            "CONG TY TNHH DICH VU CONG NGHE ABC"),
                                           ("?32NGUYEN VAN?33AN", "NGUYEN VAN AN"),
                                           ("?32NGUYEN VAN AN", "NGUYEN VAN AN"),
                                           ("?33NGUYEN VAN AN", "NGUYEN VAN AN")])
def test_an_mt940_payer_name_cut_at_the_full_width_of_32_goes_on_in_33_without_a_space(fields, payer):
    _, [line] = read(MT940 % f":86:166?20{CODE} nop le phi{fields}")
    assert (line.memo, line.payer_name) == (f"{CODE} nop le phi", payer)


# --- 7. blank lines before the XML declaration ----------------------------------------------------------------
# A camt.053 written by a script or saved from a portal often starts with a line break (after its BOM or not)
# before `<?xml …?>`: the file was refused whole as malformed_xml.

@pytest.mark.parametrize("before", ["\n", "\r\n\r\n", "  \t\n", "\ufeff\n", "\ufeff \r\n"])
def test_blank_lines_before_the_xml_declaration_are_read_past(before):
    _, lines = read(before + camt(entry(30000, "FT1")))
    assert [(l.amount_vnd, l.bank_ref) for l in lines] == [(30000, "FT1")]


def test_a_declaration_after_other_text_is_still_malformed():
    from reconciliation.statements import StatementError

    with pytest.raises(StatementError) as refused:
        read("<!-- export -->\n" + camt(entry(30000, "FT1")))
    assert refused.value.code == "malformed_xml"


# --- 8. the typographic minus sign ---------------------------------------------------------------------------
# Exports formatted for print write a negative amount with U+2212 (`−20.000`), as some locales' number formats
# do: the file was refused whole (invalid_amount) where `-20.000` is read as a debit.

@pytest.mark.parametrize("written", ["\u221220.000", "\u2212 20.000", "20.000\u2212", "(20.000)"])
def test_a_typographic_minus_is_a_minus(written):
    from reconciliation.statements import parse_amount

    assert parse_amount(written) == -20_000


def test_a_signed_amount_column_with_typographic_minus_reads_debits():
    text = (f"Ngày giao dịch,Số tham chiếu,Số tiền,Loại,Nội dung\n24/11/2026,R1,1.000.000,Chuyển khoản,{CODE}\n"
            "24/11/2026,R2,\u221220.000,Phí,phi\n")
    _, lines = read(text)
    assert [(l.amount_vnd, l.direction) for l in lines] == [(1_000_000, "credit"), (20_000, "debit")]
    assert read("Ngày giao dịch,Số tham chiếu,Ghi nợ,Ghi có,Nội dung\n24/11/2026,R1,\u2212,1.000.000,x\n")[1][0] \
        .amount_vnd == 1_000_000  # a lone minus is Excel's accounting zero, as a dash is


# --- 9. a camt.053 of several accounts' statements ------------------------------------------------------------

def test_a_camt_of_several_accounts_gives_the_named_accounts_lines_and_balances_only():
    def stmt(account: str, amount: int, ref: str) -> str:
        return (f"<Stmt><Id>{account}</Id><Acct><Id><Othr><Id>{account}</Id></Othr></Id><Ccy>VND</Ccy></Acct>"
                + bal("OPBD", 1_000_000, "2026-11-24") + bal("CLBD", 1_000_000 + amount, "2026-11-24")
                + entry(amount, ref) + "</Stmt>")
    doc = ('<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">'
           "<BkToCstmrStmt>" + stmt("1903399999999", 70000, "FTX") + stmt("0071001234567", 30000, "FT1")
           + stmt("VN5512345678", 90000, "FTY") + "</BkToCstmrStmt></Document>")
    info, lines = parse_statement(io.BytesIO(doc.encode()), account="0071 0012 34567")
    lines = list(lines)
    assert ([(l.amount_vnd, l.bank_ref, l.line_no) for l in lines], info.account, balances(info)) == (
        [(30000, "FT1", 1)], "0071001234567", {"2026-11-24": (1_000_000, 1_030_000)})
    info, lines = parse_statement(io.BytesIO(doc.encode()))
    with pytest.raises(Exception) as refused:
        list(lines)
    assert refused.value.code == "mixed_accounts"


def test_an_mt940_of_several_accounts_gives_the_named_accounts_messages_only():
    def message(account: str, amount: int, ref: str) -> str:
        return (f":20:S{ref}\r\n:25:VCBVVNVX/{account}\r\n:28C:1/1\r\n:60F:C261123VND1000000,\r\n"
                f":61:2611241124C{amount},NTRFNONREF//{ref}\r\n:86:{CODE} nop\r\n"
                f":62F:C261124VND{1_000_000 + amount},\r\n")
    text = message("1903399999999VND", 70000, "FTX") + message("0071001234567", 30000, "FT1") \
        + message("1903388888888", 90000, "FTY")
    info, lines = parse_statement(io.BytesIO(text.encode()), account="0071001234567")
    lines = list(lines)
    assert ([(l.amount_vnd, l.bank_ref, l.line_no) for l in lines], info.account, balances(info)) == (
        [(30000, "FT1", 1)], "0071001234567", {"2026-11-24": (1_000_000, 1_030_000)})
    _, lines = parse_statement(io.BytesIO(text.encode()))
    with pytest.raises(Exception) as refused:
        list(lines)
    assert refused.value.code == "mixed_accounts"
    _, lines = parse_statement(io.BytesIO(text.encode()), account="0071009999999")
    with pytest.raises(Exception) as refused:
        list(lines)
    assert (refused.value.code, refused.value.details["file"]) == (
        "account_mismatch", "1903399999999, 0071001234567, 1903388888888")
