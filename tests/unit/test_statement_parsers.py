"""Statement parsers: every format round-trips generated statements; garbage is a typed error."""
import io
from datetime import date, datetime, time, timezone

import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from kernel.clock import VN_TZ
from payments.references import normalise_ref
from reconciliation import statements
from reconciliation.profiles import is_sign_off, is_total_label
from reconciliation.importer import parse_upload
from reconciliation.statements import StatementError, parse_amount, parse_statement
from tests.statement_writers import Txn, camt053, mt940, vcb_csv, vietin_csv, wrapped, xlsx

ACCOUNT = "0071001234567"
WORD = st.text(alphabet="ABCDEFGHIKLMNOPQRSTUVXYabcdeghiklmnopqrstuvxyàáảãạăắằđêếềểễệôốồộơớờởưứừựỳý0123456789.,/",
               min_size=1, max_size=12)
MEMO = st.lists(WORD, min_size=1, max_size=25).map(" ".join)
TXN = st.builds(Txn, day=st.dates(date(2025, 1, 1), date(2027, 12, 31)), amount_vnd=st.integers(1, 10**10),
                credit=st.booleans(), memo=MEMO,
                # a filler ("0000", "NONE") is no reference, in any format: not one a round trip keeps
                ref=st.from_regex(r"[A-Z0-9]{4,16}", fullmatch=True).filter(normalise_ref))
STATEMENTS = st.lists(TXN, min_size=1, max_size=25, unique_by=lambda t: t.ref)
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read(data: bytes | str, fmt=None):
    raw = data.encode() if isinstance(data, str) else data
    info, lines = parse_statement(io.BytesIO(raw), fmt)
    return info, [(l.booking_date, l.amount_vnd, l.direction, " ".join(l.memo.split()), l.bank_ref) for l in lines]


def expected(txns):
    return [(t.day, t.amount_vnd, "credit" if t.credit else "debit", " ".join(t.memo.split()), t.ref) for t in txns]


@SLOW
@given(STATEMENTS)
def test_a_vietcombank_csv_round_trips(txns):
    info, lines = read(vcb_csv(txns))
    assert info.format == "csv" and info.profile == "vcb" and lines == expected(txns)


@SLOW
@given(STATEMENTS)
def test_a_csv_with_preamble_semicolons_signed_amounts_and_wrapped_memos_round_trips(txns):
    # A memo's rest on a row of its own that reads as a total ("TOTAL …") or a sign-off is the statement's
    # row, not more memo (`tabular._continues_text`): no round trip for such a memo.
    assume(not any(is_total_label(rest) or is_sign_off(rest) for rest in (wrapped(t.memo)[1] for t in txns)))
    info, lines = read(vietin_csv(txns, account=ACCOUNT))
    assert info.account == ACCOUNT and lines == expected(txns)


@SLOW
@given(STATEMENTS)
def test_an_mt940_statement_round_trips_with_its_balances(txns):
    info, lines = read(mt940(txns, account=ACCOUNT, opening=1_000_000))
    assert info.format == "mt940" and info.account == ACCOUNT and lines == expected(txns)
    closing = info.balances[txns[-1].day].closing_vnd
    assert closing == 1_000_000 + sum(t.amount_vnd if t.credit else -t.amount_vnd for t in txns)


@SLOW
@given(STATEMENTS)
def test_a_camt053_statement_round_trips(txns):
    info, lines = read(camt053(txns, account=ACCOUNT, opening=5))
    assert info.format == "camt053" and info.account == ACCOUNT and lines == expected(txns)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STATEMENTS)
def test_an_xlsx_export_round_trips(txns):
    info, lines = read(xlsx(txns, account=ACCOUNT))
    assert info.format == "xlsx" and info.account == ACCOUNT and lines == expected(txns)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_random_bytes_never_fail_with_anything_but_a_statement_error(data):
    try:
        parse_upload(io.BytesIO(data)).close()
    except StatementError as exc:
        assert exc.code and exc.status in (400, 413, 415)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["csv", "mt940", "camt053"]), STATEMENTS, st.integers(0, 10**6), st.binary(min_size=1, max_size=40))
def test_a_damaged_statement_is_read_or_refused_with_a_typed_error(fmt, txns, where, junk):
    text = {"csv": lambda: vcb_csv(txns), "mt940": lambda: mt940(txns, account=ACCOUNT),
            "camt053": lambda: camt053(txns, account=ACCOUNT)}[fmt]().encode()
    cut = where % len(text)
    try:
        parse_upload(io.BytesIO(text[:cut] + junk + text[cut:])).close()
    except StatementError as exc:
        assert exc.code


def test_amounts_are_read_with_dot_or_comma_grouping_and_never_with_a_fraction_of_a_dong():
    assert [parse_amount(t) for t in ("30.000", "1,025,000", "30000,", "30.000,00", "(11,000)", " 5 000 đ")] == \
        [30_000, 1_025_000, 30_000, 30_000, -11_000, 5_000]
    for bad in ("12,5", "1.000.00", "abc", "1,5000", "¹²", "٣٠٠", "30.000,⁰⁰"):
        try:
            parse_amount(bad)
        except StatementError as exc:
            assert exc.code == "invalid_amount"
        else:
            raise AssertionError(bad)


def test_a_csv_balance_on_some_lines_gives_the_days_closing_and_an_opening_only_from_its_first_line():
    # Balance on the last line only (Vietcombank): the closing is stated, the opening is not (worked
    # back from the closing it would always agree with it); with a balance on the first line too, it is.
    rows = [Txn(date(2026, 11, 24), 1000, True, "a", "R1"), Txn(date(2026, 11, 24), 300, False, "b", "R2")]
    info, _ = read(vcb_csv(rows, closing=10_700))
    assert (info.balances[date(2026, 11, 24)].opening_vnd, info.balances[date(2026, 11, 24)].closing_vnd) == \
        (None, 10_700)
    every_line = ("Ngày giao dịch,Số tham chiếu,Ghi nợ,Ghi có,Số dư,Diễn giải\n"
                  "24/11/2026,R1,,1000,11000,a\n24/11/2026,R2,300,,10700,b\n")
    info, _ = read(every_line)
    assert (info.balances[date(2026, 11, 24)].opening_vnd, info.balances[date(2026, 11, 24)].closing_vnd) == \
        (10_000, 10_700)
    newest_first = ("Ngày giao dịch,Số tham chiếu,Ghi nợ,Ghi có,Số dư,Diễn giải\n"
                    "25/11/2026,R3,,500,11200,c\n24/11/2026,R2,300,,10700,b\n24/11/2026,R1,,1000,11000,a\n"
                    "23/11/2026,R0,,50,,z\n")
    info, lines = read(newest_first)
    assert (info.balances[date(2026, 11, 24)].opening_vnd, info.balances[date(2026, 11, 24)].closing_vnd) == \
        (10_000, 10_700)
    assert (info.balances[date(2026, 11, 25)].opening_vnd, info.balances[date(2026, 11, 25)].closing_vnd) == \
        (None, 11_200)  # one balance: the closing, never both
    assert date(2026, 11, 23) not in info.balances


def camt_entry(amount: int, txs: str) -> str:
    return ('<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
            f'<Stmt><Acct><Id><Othr><Id>{ACCOUNT}</Id></Othr></Id></Acct><Ntry><Amt Ccy="VND">{amount}</Amt>'
            '<CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-11-24</Dt></BookgDt>'
            f'<AcctSvcrRef>B1</AcctSvcrRef><NtryDtls>{txs}</NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>')


def tx(memo: str, name: str, amount: int | None = None) -> str:
    own = f'<Amt Ccy="VND">{amount}</Amt>' if amount else ""
    return (f"<TxDtls>{own}<RltdPties><Dbtr><Nm>{name}</Nm></Dbtr></RltdPties>"
            f"<RmtInf><Ustrd>{memo}</Ustrd></RmtInf></TxDtls>")


def test_a_camt053_batch_without_amounts_per_transaction_is_one_line_with_every_memo():
    day = date(2026, 11, 24)
    _, lines = read(camt_entry(60000, tx("HS1 nop phi", "CONG TY A") + tx("HS2 nop phi", "NGUYEN B")))
    assert lines == [(day, 60000, "credit", "HS1 nop phi HS2 nop phi", "B1")]
    [line] = parse_statement(io.BytesIO(camt_entry(60000, tx("", "") + tx("HS2", "NGUYEN B")).encode()))[1]
    assert (line.memo, line.payer_name) == ("HS2", "NGUYEN B")  # the first party named
    _, lines = read(camt_entry(60000, tx("HS1", "A", 25000) + tx("HS2", "B", 35000)))
    assert lines == [(day, 25000, "credit", "HS1", "B1/1"), (day, 35000, "credit", "HS2", "B1/2")]



def test_a_camt053_batch_spread_over_several_entry_details_reads_every_transaction():
    # NtryDtls repeats (0..n in every camt.053 version): one per batch, or one per transaction.
    day = date(2026, 11, 24)
    spread = camt_entry(60000, tx("HS1", "A") + "</NtryDtls><NtryDtls>" + tx("HS2", "B"))
    assert read(spread)[1] == [(day, 60000, "credit", "HS1 HS2", "B1")]
    spread = camt_entry(60000, tx("HS1", "A", 25000) + "</NtryDtls><NtryDtls>" + tx("HS2", "B", 35000))
    assert read(spread)[1] == [(day, 25000, "credit", "HS1", "B1/1"), (day, 35000, "credit", "HS2", "B1/2")]

def test_a_camt053_with_a_dtd_is_refused_before_any_entity_is_expanded():
    bomb = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            "<Document>&lol2;</Document>")
    try:
        read(bomb)
    except StatementError as exc:
        assert exc.code == "unsafe_xml"
    else:
        raise AssertionError("a DTD must be refused")


LAYOUTS = [
    ("Ngày giao dịch;Mô tả giao dịch;Số tiền giao dịch (Nợ);Số tiền giao dịch (Có);Số dư;Tên đối ứng;TK đối ứng;"
     "Số bút toán", "{d};{m};;{c};;NGUYEN VAN A;123;R{n}"),
    ("Ngày hiệu lực,Số GD,Ghi nợ,Ghi có,Số dư,Nội dung", "{d},R{n},,{c},,{m}"),
    ("Ngày giao dịch/Transaction Date\tĐối tác/Remitter\tDiễn giải/Details\tNợ/Debit\tCó/Credit\tSố dư/Balance",
     "{d}\tNGUYEN VAN A\t{m}\t\t{c}\t"),
    ("Ngày GD|Số tiền rút ra|Số tiền gửi vào|Nội dung", "{d}||{c}|{m}"),
]


def test_other_banks_headers_are_understood_whatever_the_separator():
    for header, row in LAYOUTS:
        text = "\n".join([header] + [row.format(d="24/11/2026", m=f"nop HS{n}", c="1.250.000", n=n) for n in (1, 2)])
        _, lines = read(text)
        assert [(l[1], l[2], l[3]) for l in lines] == [(1_250_000, "credit", "nop HS1"), (1_250_000, "credit", "nop HS2")], header


def test_the_readme_states_the_limits_a_statement_amount_is_refused_above():
    import re
    from pathlib import Path

    import pytest

    from kernel.money import MAX_MONEY_VND
    from reconciliation.statements import MAX_BALANCE_VND

    assert parse_amount(str(MAX_MONEY_VND)) == MAX_MONEY_VND
    with pytest.raises(StatementError) as refused:
        parse_amount(str(MAX_MONEY_VND + 1))
    assert refused.value.code == "amount_out_of_range"
    assert parse_amount(str(MAX_BALANCE_VND), field_name="balance") == MAX_BALANCE_VND
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `POST /reconciliation/statements`"))
    said = re.search(r"a line above (.*?)\(`amount_out_of_range`\)", row).group(1)
    powers = {10 ** int(n) for n in re.findall(r"10\^(\d+)", said)}
    assert powers == {MAX_MONEY_VND, MAX_BALANCE_VND}, said  # README said 10^11 after the limit became 10^12


# --- a trailing minus (`11.000-`): SAP-style exports write the sign after the amount -----------------

GROUPED = st.builds(lambda n, mark, zeros: (n, _grouped(n, mark) + zeros),
                    st.integers(1, 10**12), st.sampled_from(".,"), st.sampled_from(["", ",00", ".00"]))


def _grouped(n: int, mark: str) -> str:
    text = f"{n:,}".replace(",", mark)
    return text


@given(GROUPED)
def test_a_trailing_minus_reads_as_the_leading_minus_and_the_parentheses_do(case):
    n, text = case
    if text.endswith((",00", ".00")) and text[-3] in text[:-3]:
        return  # `1.000.00`: the fraction mark is the grouping mark, no amount either way
    assert parse_amount(text + "-") == parse_amount("-" + text) == parse_amount(f"({text})") == -n
    assert parse_amount(f"{text} -") == parse_amount(f"{text} VND-") == -n


@given(st.integers(1, 10**9), st.integers(0, 10**6))
def test_a_minus_anywhere_but_before_or_after_the_whole_amount_is_no_amount(n, m):
    for bad in (f"{n:,}-{m}".replace(",", "."), f"-{n:,}-".replace(",", "."), f"({n})-", f"-({n})", f"+{n}-",
                f"+-{n}", f"-+{n}", f"--{n}", f"{n}--", f"({n}", f"{n})", f"(({n}))", f"({n}-)", "--", "-.", ".-"):
        try:
            parse_amount(bad)
        except StatementError as exc:
            assert exc.code == "invalid_amount", bad
        else:
            raise AssertionError(bad)


def test_a_lone_dash_is_still_the_accounting_zero_and_a_trailing_minus_zero_is_zero():
    assert [parse_amount(t) for t in ("-", " - ", "0-", "0,00-", "11.000-", "11,000-", "11.000 -", "11000-")] == \
        [None, None, 0, 0, -11_000, -11_000, -11_000, -11_000]


# --- a `CR`/`DR` mark written with the amount (`1,000,000 CR`, `DR 15.000`) ----------------------------

@given(GROUPED, st.sampled_from(["CR", "Cr", "cr"]), st.sampled_from(["DR", "Dr", "dr"]), st.sampled_from(["", " "]))
def test_a_cr_mark_with_the_amount_is_money_in_and_a_dr_mark_money_out(case, cr, dr, gap):
    n, text = case
    if text.endswith((",00", ".00")) and text[-3] in text[:-3]:
        return  # `1.000.00`: no amount either way
    assert parse_amount(f"{text}{gap}{cr}") == parse_amount(f"{cr}{gap}{text}") == n
    assert parse_amount(f"{text}{gap}{dr}") == parse_amount(f"{dr}{gap}{text}") == -n
    assert parse_amount(f"{text} VND {cr}") == n and parse_amount(f"{text} VND {dr}") == -n


@pytest.mark.parametrize("bad", ["-1.000 CR", "1.000- DR", "(1.000) CR", "+1.000 DR", "CR 1.000 DR", "DR1.000CR",
                                 "CR", "DR", "CR -", "1.000 CRDR", "1.000 C", "1.000 D", "1.000 Có", "C1.000",
                                 "1.000 CR-", "1.000,- CR"])
def test_a_mark_with_a_sign_or_without_an_amount_is_no_amount(bad):
    # `1.000 D` could be "1.000 đ" typed without its accent: only the two-letter marks are read.
    with pytest.raises(StatementError) as refused:
        parse_amount(bad)
    assert refused.value.code == "invalid_amount", bad


def test_a_single_amount_column_with_cr_and_dr_marks_gives_each_row_its_side():
    text = ("Date,Reference,Amount,Description\n"
            "24/11/2026,FT1,\"1,000,000 CR\",HS1 fee\n"
            "24/11/2026,FT2,\"15,000 DR\",bank fee\n"
            "24/11/2026,FT3,\"CR 30,000\",HS2 fee\n")
    _, lines = parse_statement(io.BytesIO(text.encode()), None)
    assert [(line.amount_vnd, line.direction) for line in lines] == [
        (1_000_000, "credit"), (15_000, "debit"), (30_000, "credit")]


@pytest.mark.parametrize("marked, column", [("1.000.000 DR", "credit"), ("1.000.000 CR", "debit")])
def test_a_mark_that_contradicts_its_column_refuses_the_file(marked, column):
    cells = {"credit": ("", marked), "debit": (marked, "")}[column]
    text = ("Ngày,Số tham chiếu,Phát sinh Nợ,Phát sinh Có,Diễn giải\n"
            f"24/11/2026,FT1,\"{cells[0]}\",\"{cells[1]}\",HS1\n")
    with pytest.raises(StatementError) as refused:
        list(parse_statement(io.BytesIO(text.encode()), None)[1])
    assert refused.value.code in ("invalid_amount", "unknown_direction"), refused.value.code
    assert refused.value.details.get("line_no") == 1


@given(GROUPED, st.sampled_from([",-", ".-", ", -", ". -"]))
def test_a_dash_after_a_decimal_mark_is_no_amount_not_a_negative_one(case, ending):
    n, text = case
    try:
        parse_amount(text + ending)
    except StatementError as exc:
        assert exc.code == "invalid_amount", text + ending
    else:
        raise AssertionError(text + ending)  # `11.000,-` read as -11.000 (a credit turned into a debit)


@pytest.mark.parametrize("read", [
    lambda text, **kw: parse_amount(text, **kw),
    lambda text, **kw: statements.parse_decimal(text, mark=".", **kw),
    lambda text, **kw: statements.parse_decimal(text, mark=",", **kw),
])
def test_an_amount_of_thousands_of_digits_is_out_of_range_by_its_length_not_a_valueerror(read):
    # int() refuses more than 4,300 digits with a bare ValueError: the parsers count the digits first.
    with pytest.raises(StatementError) as refused:
        read("9" * 5000, line_no=4, field_name="balance")
    assert (refused.value.code, refused.value.details) == (
        "amount_out_of_range", {"line_no": 4, "maximum": statements.MAX_BALANCE_VND})
    assert str(refused.value) == f"line 4: balance of 5,000 digits is above the limit of {statements.MAX_BALANCE_VND:,} VND"
    # Just under the length rule, the limit refuses as always, with the value; leading zeros are no digits.
    with pytest.raises(StatementError, match=f"balance {10**30 - 1:,} VND is above"):
        read("9" * 30, line_no=4, field_name="balance")
    assert read("0" * 5000 + "30000") == 30_000


# --- a month written by its English name (`24-Nov-2026`, `24 Nov 26`): foreign banks' exports ------------

MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)), st.sampled_from(["-", " ", "/", "."]),
       st.sampled_from(["abbreviated", "full", "upper"]), st.booleans())
def test_a_day_with_its_month_named_in_english_reads_as_that_day(day, separator, form, short_year):
    name = MONTH_NAMES[day.month - 1]
    month = {"abbreviated": name[:3], "full": name, "upper": name[:3].upper()}[form]
    year = f"{day.year % 100:02d}" if short_year else str(day.year)
    assert statements.parse_local_date(f"{day.day:02d}{separator}{month}{separator}{year}") == (day, None)
    assert statements.parse_local_date(f"{day.day}{separator}{month}{separator}{year} 14:05") == (
        day, datetime.combine(day, time(14, 5), tzinfo=VN_TZ).astimezone(timezone.utc))


@pytest.mark.parametrize("text", ["24-Nox-2026", "24-Novembre-2026", "24-No-2026", "31-Nov-2026", "24-Nov",
                                  "Nov-24-2026", "24-Thg11-2026", "24NovX2026"])
def test_a_month_name_that_is_no_month_or_a_day_it_has_not_is_invalid_date(text):
    with pytest.raises(StatementError) as refused:
        statements.parse_local_date(text, line_no=3)
    assert (refused.value.code, refused.value.details["line_no"]) == ("invalid_date", 3), text


def test_a_csv_dated_with_month_names_is_read_whole():
    text = ("Value Date,Reference,Debit,Credit,Description\n"
            '24-Nov-2026,FT1,,"1,000,000",HS1 fee\n25-Nov-2026,FT2,"15,000",,bank fee\n')
    _, lines = parse_statement(io.BytesIO(text.encode()), None)
    assert [(line.booking_date, line.amount_vnd, line.direction) for line in lines] == [
        (date(2026, 11, 24), 1_000_000, "credit"), (date(2026, 11, 25), 15_000, "debit")]
