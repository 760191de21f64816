"""Statement parsing, QA round 13: references and texts the parsers dropped or ran together."""
import io

import pytest

from reconciliation.statements import parse_statement

CODE = "HS40881023160"


def read(text: str | bytes, fmt: str | None = None, **kwargs):
    data = text.encode() if isinstance(text, str) else text
    info, lines = parse_statement(io.BytesIO(data), fmt, **kwargs)
    return info, list(lines)


# --- 1. camt.053: the interbank identity of a line the bank gave no reference of its own -------------------

def camt(entries: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">\n<BkToCstmrStmt><Stmt><Id>S</Id>'
            '<Acct><Id><Othr><Id>0071001234567</Id></Othr></Id><Ccy>VND</Ccy></Acct>\n' + entries +
            '\n</Stmt></BkToCstmrStmt></Document>\n')


def tx(refs: str, amount: int | None = None, memo: str = CODE) -> str:
    amt = f'<Amt Ccy="VND">{amount}</Amt>' if amount is not None else ""
    return f'<TxDtls><Refs>{refs}</Refs>{amt}<RmtInf><Ustrd>{memo}</Ustrd></RmtInf></TxDtls>'


def entry(amount: int, txs: str, ref: str = "") -> str:
    acct = f"<AcctSvcrRef>{ref}</AcctSvcrRef>" if ref else ""
    return (f'<Ntry><Amt Ccy="VND">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>'
            f'<BookgDt><Dt>2026-11-24</Dt></BookgDt>{acct}<NtryDtls>{txs}</NtryDtls></Ntry>\n')


@pytest.mark.parametrize(("refs", "expected"), [
    ("<EndToEndId>NOTPROVIDED</EndToEndId><TxId>NAPAS123</TxId>", None),
    ("<InstrId>I1</InstrId><EndToEndId>E2E-1</EndToEndId><TxId>NAPAS123</TxId>", None),
    ("<EndToEndId>E2E-1</EndToEndId><UETR>eb6305c9-1f7f-49de-aed0-16487c27b42d</UETR>", None),
    ("<AcctSvcrRef>FT26328123456</AcctSvcrRef><TxId>NAPAS123</TxId>", "FT26328123456"),
    ("<EndToEndId>NOTPROVIDED</EndToEndId>", None),
    ("<InstrId>I1</InstrId><PmtInfId>P1</PmtInfId><MsgId>M1</MsgId>", None),
])
def test_a_camt_line_is_known_by_the_banks_acctsvcrref_alone_else_by_its_fingerprint(refs, expected):
    """Not by its TxId or UETR: a CSV of the same day gives the bank's own reference, and a line keyed by the
    interbank id would not be found as that line (a second credit; see the API test of both files)."""
    _, lines = read(camt(entry(30000, tx(refs))))
    assert [line.bank_ref for line in lines] == [expected]


def test_the_entry_acctsvcrref_wins_over_the_txid():
    _, lines = read(camt(entry(30000, tx("<TxId>NAPAS123</TxId>"), ref="FT1")))
    assert lines[0].bank_ref == "FT1"


def test_the_parts_of_a_batch_with_an_entry_reference_keep_their_keys():
    """Parts named `<entry>/<n>` before keep that name: their keys (and a re-import) do not change."""
    txs = tx("<TxId>T1</TxId>", 30000) + tx("<TxId>T2</TxId>", 50000, "HS21890246178")
    _, lines = read(camt(entry(80000, txs, ref="B1")))
    assert [line.bank_ref for line in lines] == ["B1/1", "B1/2"]


def test_an_entry_of_several_transactions_is_none_of_theirs():
    txs = tx("<TxId>T1</TxId>") + tx("<TxId>T2</TxId>", memo="HS21890246178")  # no amounts: one line
    _, lines = read(camt(entry(80000, txs)))
    assert [(line.amount_vnd, line.bank_ref) for line in lines] == [(80000, None)]


# --- 2. MT940 :86: sub-fields: a full one goes on mid-word, a shorter one ends a word -----------------------

def mt940(details: str, refs: str = "NONREF//FT26328000001") -> str:
    return (":20:S\n:25:0071001234567\n:28C:1/1\n:60F:C261123VND1000000,\n"
            f":61:2611241124C30000,NTRF{refs}\n:86:{details}\n:62F:C261124VND1030000,\n")


@pytest.mark.parametrize(("details", "memo"), [
    # SEPA-style: the short ?20 ended a word; ?21 is full (27) and goes on mid-word in ?22
    ("166?00GUTSCHRIFT?20EREF+NOTPROVIDED?21SVWZ+HS40881023160 nop le p?22hi",
     "EREF+NOTPROVIDED SVWZ+HS40881023160 nop le phi"),
    ("?20nop le phi?21HS40881023160", "nop le phi HS40881023160"),
    ("?20HS40881023160?21nop le phi", "HS40881023160 nop le phi"),
    ("?20NGUYEN VAN AN NOP PHI HS408?2181023160 HO SO", "NGUYEN VAN AN NOP PHI HS40881023160 HO SO"),
    ("?20NGUYEN VAN AN NOP PHI HS408\n?2181023160 HO SO", "NGUYEN VAN AN NOP PHI HS40881023160 HO SO"),
    ("?20HS40881023160 nop?21 le phi", "HS40881023160 nop le phi"),
    ("?20HS40881023160 nop ?21le phi", "HS40881023160 nop le phi"),
    ("?20CT DEN?29NOP PHI?60HS40881023160", "CT DEN NOP PHI HS40881023160"),
])
def test_mt940_purpose_sub_fields_keep_the_word_boundaries_the_bank_put(details, memo):
    _, [line] = read(mt940(details))
    assert line.memo == memo


def test_a_code_cut_in_a_short_sub_field_is_still_read():
    from payments import codes

    _, [line] = read(mt940("?20nop phi HS408810?2123160 ho so"))
    assert codes.codes_it_may_mean(None, line.memo, "HS") == {"HS40881023160"}


# --- 3. MT940 :61: the customer's reference before `//` ----------------------------------------------------

@pytest.mark.parametrize(("refs", "bank_ref", "memo"), [
    ("HS40881023160//FT26328000001", "FT26328000001", "HS40881023160 nop"),
    ("500096828//500096828", "500096828", "nop"),  # the same reference twice: said once
    ("5000.96828//500096828", "500096828", "nop"),
    ("NONREF//FT26328000001", "FT26328000001", "nop"),
    ("HS40881023160", None, "HS40881023160 nop"),  # no `//`: the customer's is the payer's text (round 17)
    ("HS40881023160//NONREF", None, "HS40881023160 nop"),  # a filler after `//` is no bank reference
    ("NONREF//NONREF", None, "nop"),
    ("NONREF", None, "nop"),
    ("HS40881023160//FT26328000001\nLE PHI HO SO", "FT26328000001", "HS40881023160 LE PHI HO SO nop"),
])
def test_the_customer_reference_of_a_statement_line_is_kept(refs, bank_ref, memo):
    _, [line] = read(mt940("nop", refs=refs))
    assert (line.bank_ref, line.memo) == (bank_ref, memo)


# --- 4. XLSX: a formula saved without its value (openpyxl, a script, a converter never calculated it) -------

def workbook(*rows: list) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)  # openpyxl writes a formula without a cached value, as such tools do
    return out.getvalue()


HEAD = ["Ngày giao dịch", "Số bút toán", "Nội dung", "Ghi nợ", "Ghi có", "Số dư"]


@pytest.mark.parametrize(("row", "column"), [
    (["24/11/2026", "FT2", "HS21890246178 nop", None, "=20000+30000", None], "E3"),
    (["=DATE(2026,11,24)", "FT2", "HS21890246178 nop", None, 50000, None], "A3"),
    (["24/11/2026", "FT2", '=CONCAT("HS2189", "0246178")', None, 50000, None], "C3"),
    ([None, None, '=CONCAT("HS2189", "0246178")', None, "=50000", None], "C3"),  # a memo beside a sum: no total
    ([None, None, "HS21890246178 nop", None, "=50000", None], "E3"),
    (["=A2", None, None, None, "=50000", None], "A3"),
])
def test_an_uncalculated_formula_in_a_transaction_row_is_refused_not_read_past(row, column):
    data = workbook(HEAD, ["24/11/2026", "FT1", f"{CODE} nop", None, 30000, 1030000], row)
    with pytest.raises(Exception) as refused:
        read(data, "xlsx")
    assert getattr(refused.value, "code", None) == "uncalculated_formula"
    assert column in str(refused.value)


def test_an_uncalculated_formula_in_a_column_not_read_or_a_labelled_total_is_no_transaction():
    data = workbook(["Sao kê tài khoản", None, "=1+1"], HEAD + ["Kiểm tra"],
                    ["24/11/2026", "FT1", f"{CODE} nop", None, 30000, 1030000, "=F2-E2"],
                    ["Tổng cộng", None, None, None, "=SUM(E3:E3)", None], [None, None, None, "=0", "=SUM(E3:E3)", "=F3"])
    _, lines = read(data, "xlsx")
    assert [(line.amount_vnd, line.bank_ref) for line in lines] == [(30000, "FT1")]


def test_a_calculated_formula_is_read_as_its_value():
    import zipfile

    data = workbook(HEAD, ["24/11/2026", "FT1", f"{CODE} nop", None, "=30000", 1030000])
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:  # the value Excel stores beside the formula
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b"<f>30000</f><v />" in content
                content = content.replace(b"<f>30000</f><v />", b"<f>30000</f><v>30000</v>")
            dst.writestr(item, content)
    _, lines = read(out.getvalue(), "xlsx")
    assert [(line.amount_vnd, line.bank_ref) for line in lines] == [(30000, "FT1")]


# --- 5. `1.000.000,00`: dot-grouped with a zero fraction after a comma ---------------------------------------

CSV_HEAD = "Ngày GD;Số CT;Ghi nợ;Ghi có;Số dư;Nội dung\n"


@pytest.mark.parametrize("written", ["1.000.000,00", "1.000.000,0", "1.000.000,", "1.000.000,00 VND", "1.000.000,00 đ",
                                     "1,000,000.00", "1000000,00"])
def test_a_dot_grouped_amount_with_a_zero_fraction_is_a_million_dong(written):
    _, [line] = read(CSV_HEAD + f"24/11/2026;FT1;;{written};2.000.000,00;{CODE}\n")
    assert (line.amount_vnd, line.balance_after_vnd) == (1_000_000, 2_000_000)
    _, [line] = read(workbook(HEAD, ["24/11/2026", "FT1", CODE, None, written, "2.000.000,00"]), "xlsx")
    assert (line.amount_vnd, line.balance_after_vnd) == (1_000_000, 2_000_000)


@pytest.mark.parametrize("written", ["1.000.000,50", "1.000.000,5", "30.000,01", "1,5", "(1.000,5)", "12,345.67"])
def test_a_grouped_amount_with_a_fraction_of_a_dong_is_refused_as_such(written):
    from reconciliation.statements import StatementError

    for data, fmt in ((CSV_HEAD + f'24/11/2026;FT1;;"{written}";;{CODE}\n', None),
                      (workbook(HEAD, ["24/11/2026", "FT1", CODE, None, written, None]), "xlsx")):
        with pytest.raises(StatementError) as refused:
            read(data, fmt)
        assert refused.value.code == "invalid_amount" and "fraction of a đồng" in str(refused.value)
        assert refused.value.details["line_no"] == 1


def test_an_xlsx_row_listed_out_of_order_is_refused_not_read_past():
    import zipfile

    from reconciliation.statements import StatementError

    data = workbook(HEAD, ["24/11/2026", "FT1", CODE, None, 30000, None], ["24/11/2026", "FT2", CODE, None, 50000, None])
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":  # the third row numbered 2 again
                assert b'<row r="3">' in content
                content = content.replace(b'<row r="3">', b'<row r="2">').replace(b'r="A3"', b'r="A2"').replace(
                    b'r="B3"', b'r="B2"').replace(b'r="C3"', b'r="C2"').replace(b'r="E3"', b'r="E2"')
            dst.writestr(item, content)
    with pytest.raises(StatementError) as refused:
        read(out.getvalue(), "xlsx")
    assert refused.value.code == "malformed_xlsx"


def test_a_formula_calculated_to_an_empty_text_is_a_blank_cell():
    """Excel writes `=IF(…,"",…)` that gave "" as `t="str"` with an empty value: calculated, blank."""
    import zipfile

    data = workbook(HEAD, ["24/11/2026", "FT1", CODE, '=IF(1,"",1)', 30000, None])
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b'<c r="D2"><f>' in content
                content = content.replace(b'<c r="D2"><f>', b'<c r="D2" t="str"><f>')
            dst.writestr(item, content)
    _, lines = read(out.getvalue(), "xlsx")
    assert [(line.amount_vnd, line.direction) for line in lines] == [(30000, "credit")]
