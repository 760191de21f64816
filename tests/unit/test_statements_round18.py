"""Statement parsing, round 18: a camt.053 entry's booked status in every form the versions allow (a proprietary
`BOOKED`, 001.02's bare `BOOK`), pending and informational ones left out; an MT940 `:61:` bank reference followed by
text on its line (`//FT24329ABCDE CT DEN`) is its first word, the whole text an earlier reading's alias; a CSV or
XLSX export without transactions states a quiet day when its title gives the period and a balance."""
import io

import pytest

from reconciliation.importer import parse_upload
from reconciliation.statements import StatementError
from tests.unit.test_parse_fix_tabular import csv_text, read, workbook
from tests.unit.test_statements_round17 import camt

CODE = "HS40881023160"


def _entry(status_xml: str, amount: int = 30_000, ref: str = "R1") -> str:
    return (f'<Ntry><Amt Ccy="VND">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd>{status_xml}'
            f'<BookgDt><Dt>2026-11-24</Dt></BookgDt><AcctSvcrRef>{ref}</AcctSvcrRef>'
            f'<NtryDtls><TxDtls><RmtInf><Ustrd>{CODE}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>')


def imported(data: bytes | str, fmt=None):
    parsed = parse_upload(io.BytesIO(data.encode() if isinstance(data, str) else data), fmt=fmt)
    parsed.close()
    return parsed


def refused_import(data: bytes | str, fmt=None) -> StatementError:
    with pytest.raises(StatementError) as caught:
        imported(data, fmt)
    return caught.value


def balances_of(parsed) -> dict[str, tuple]:
    return {str(day): (b.opening_vnd, b.closing_vnd) for day, b in parsed.info.balances.items()}


# --- camt.053: a booked entry in every form ----------------------------------------------

@pytest.mark.parametrize("status", [
    "<Sts><Cd>BOOK</Cd></Sts>",
    "<Sts><Prtry>BOOKED</Prtry></Sts>",
    "<Sts><Prtry>BOOK</Prtry></Sts>",
    "<Sts><Prtry>Booked</Prtry></Sts>",
    "<Sts> BOOK </Sts>",  # 001.02-001.07: a code of its own
    "<Sts>book</Sts>",
    "",  # no status written: as before, a statement's entry
], ids=["code", "proprietary-booked", "proprietary-book", "proprietary-mixed-case", "bare-code", "bare-lower",
        "none"])
def test_a_booked_camt_entry_is_read_in_every_form_the_versions_allow(status):
    info, lines = read(camt(_entry(status)))
    assert [(line.bank_ref, line.amount_vnd) for line in lines] == [("R1", 30_000)]


@pytest.mark.parametrize("status", [
    "<Sts><Cd>PDNG</Cd></Sts>", "<Sts><Cd>INFO</Cd></Sts>", "<Sts><Cd>FUTR</Cd></Sts>", "<Sts>PDNG</Sts>",
    "<Sts>INFO</Sts>", "<Sts><Prtry>PENDING</Prtry></Sts>", "<Sts><Prtry>PDNG</Prtry></Sts>",
    "<Sts><Prtry>INFO</Prtry></Sts>", "<Sts><Prtry>NOT BOOKED</Prtry></Sts>", "<Sts><Prtry>UNBOOKED</Prtry></Sts>",
])
def test_a_pending_or_informational_camt_entry_stays_out(status):
    _, lines = read(camt(_entry(status) + _entry("<Sts><Prtry>BOOKED</Prtry></Sts>", 50_000, "R2")))
    assert [(line.bank_ref, line.amount_vnd) for line in lines] == [("R2", 50_000)]


# --- MT940: a bank reference followed by text on its line ---------------------------------

def _mt940(*lines: str, closing: int = 30_000) -> str:
    body = "".join(f"{line}\n" for line in lines)
    return f":20:X\n:25:0071001234567\n:28C:1/1\n:60F:C261123VND0,\n{body}:62F:C261124VND{closing},\n"


def test_an_mt940_bank_reference_followed_by_text_is_its_first_word():
    _, [line] = read(_mt940(":61:2611241124C30000,NTRFNONREF//FT24329ABCDE CT DEN", f":86:{CODE} nop le phi"))
    assert line.bank_ref == "FT24329ABCDE"
    assert line.memo == f"CT DEN {CODE} nop le phi"  # the text after it is the bank's words: kept in the memo
    assert "FT24329ABCDE CT DEN" in line.earlier_refs  # what earlier imports keyed the line by: an alias


def test_an_mt940_bank_reference_followed_by_text_keeps_the_customers_reference_and_details():
    _, [line] = read(_mt940(f":61:2611241124C30000,NTRF{CODE}//FT24329ABCDE CT DEN\nCHUYEN KHOAN", ":86:nop phi"))
    assert line.bank_ref == "FT24329ABCDE"
    assert line.memo == f"{CODE} CT DEN CHUYEN KHOAN nop phi"


@pytest.mark.parametrize("written", ["FT24329ABCDE", "FT 24329", "5000.96828"])
def test_an_mt940_bank_reference_without_text_after_it_or_no_reference_alone_is_read_as_before(written):
    """A reference alone is read whole (no alias); a first word that names no transfer on its own (`FT`) does not
    cut the reference."""
    _, [line] = read(_mt940(f":61:2611241124C30000,NTRFNONREF//{written}"))
    assert line.bank_ref == written
    assert line.earlier_refs == ()


def test_an_mt940_filler_bank_reference_followed_by_text_is_no_reference():
    _, [line] = read(_mt940(":61:2611241124C30000,NTRFNONREF//NONREF CT DEN", f":86:{CODE}"))
    assert line.bank_ref is None


# --- a CSV or XLSX export of a quiet day ---------------------------------------------------

HEADER = ["Ngày giao dịch", "Số tham chiếu", "Ghi nợ", "Ghi có", "Số dư", "Nội dung"]


@pytest.mark.parametrize("title", [
    ["Từ ngày 24/11/2026 đến ngày 24/11/2026"],
    ["Từ ngày: 24/11/2026", "Đến ngày: 24/11/2026"],
    ["Từ ngày", "24/11/2026", "Đến ngày", "24/11/2026"],
    ["TU NGAY 24/11/2026 DEN NGAY 24/11/2026"],
    ["Kỳ sao kê: 24/11/2026 - 24/11/2026"],
    ["From date: 24/11/2026 To date: 24/11/2026"],
    ["Period: 2026-11-24 to 2026-11-24"],
], ids=["one-cell", "two-cells", "four-cells", "no-diacritics", "ky-sao-ke", "english", "iso"])
def test_a_csv_without_transactions_whose_title_gives_the_day_and_balances_is_a_quiet_day(title):
    data = csv_text(["SAO KÊ TÀI KHOẢN"], title, ["Số tài khoản: 0071001234567"], ["Số dư đầu kỳ: 500.000"],
                    HEADER, ["Số dư cuối kỳ", "", "", "", "500.000", ""])
    parsed = imported(data)
    assert parsed.lines_total == 0
    assert balances_of(parsed) == {"2026-11-24": (500_000, 500_000)}


def test_a_csv_without_transactions_over_several_days_opens_the_first_and_closes_the_last():
    data = csv_text(["Từ ngày 23/11/2026 đến ngày 24/11/2026"], ["Số dư đầu kỳ", "500.000"],
                    ["Số dư cuối kỳ", "500.000"], HEADER)
    assert balances_of(imported(data)) == {"2026-11-23": (500_000, None), "2026-11-24": (None, 500_000)}


def test_an_xlsx_without_transactions_whose_title_gives_the_day_as_date_cells_is_a_quiet_day():
    from datetime import datetime

    data = workbook([["SAO KÊ TÀI KHOẢN"], ["Từ ngày", datetime(2026, 11, 24), "Đến ngày", datetime(2026, 11, 24)],
                     ["Số dư đầu kỳ", 500000], HEADER, ["Số dư cuối kỳ", None, None, None, 500000, None]])
    parsed = imported(data)
    assert parsed.lines_total == 0
    assert balances_of(parsed) == {"2026-11-24": (500_000, 500_000)}


@pytest.mark.parametrize("rows", [
    [["Số dư đầu kỳ: 500.000"], HEADER, ["Số dư cuối kỳ", "", "", "", "500.000", ""]],  # no period
    [["Từ ngày 24/11/2026 đến ngày 24/11/2026"], HEADER],  # a period, no balance
    [["Từ ngày 25/11/2026 đến ngày 24/11/2026"], ["Số dư đầu kỳ: 500.000"], HEADER],  # the period runs backwards
    [["Từ ngày 24/11/2026"], ["Số dư đầu kỳ: 500.000"], HEADER],  # no last day
    # One date after another label is no period: the day the statement was printed or asked for.
    [["Ngày in: 24/11/2026"], ["Ngày sao kê: 24/11/2026"], ["Số dư đầu kỳ: 500.000"], HEADER],
], ids=["no-period", "no-balance", "backwards", "no-last-day", "print-date"])
def test_a_csv_without_transactions_that_cannot_state_a_day_is_still_empty(rows):
    assert refused_import(csv_text(*rows)).code == "empty_statement"


def test_a_title_period_changes_nothing_for_a_csv_with_transactions():
    data = csv_text(["Từ ngày 20/11/2026 đến ngày 24/11/2026"], ["Số dư đầu kỳ: 100.000"], HEADER,
                    ["24/11/2026", "FT1", "", "30.000", "130.000", CODE], ["Số dư cuối kỳ", "", "", "", "130.000", ""])
    parsed = imported(data)
    assert parsed.lines_total == 1
    assert balances_of(parsed) == {"2026-11-24": (100_000, 130_000)}


# --- MT940: a tag of many lines ---------------------------------------------------------------

def test_an_mt940_tag_of_many_lines_is_read_in_time_linear_in_its_size():
    """A :86: of 100,000 lines (4 MB, within an upload's 20 MB): its text was added to a string a line at a time,
    each line copying all before it, and the import hung for many minutes; now a second or two."""
    import time

    lines = "".join("a" * 40 + "\n" for _ in range(100_000))
    data = _mt940(":61:2611241124C30000,NTRFNONREF//FT1", f":86:{CODE}\n{lines}".rstrip("\n"))
    started = time.monotonic()
    _, [line] = read(data)
    assert time.monotonic() - started < 30
    assert line.memo.startswith(f"{CODE} aaaa") and len(line.memo) == len(CODE) + 100_000 * 41


def test_an_mt940_memo_wrapped_over_full_lines_reads_as_before():
    """A full (65-character) :86: line goes on in the next without a space; the lines after it are joined to the
    text since the last line break as they always were (a memo, and a key, as earlier imports read them)."""
    full, short = "A" * 65, "B" * 30
    _, [line] = read(_mt940(":61:2611241124C30000,NTRFNONREF//FT1", f":86:{full}\n{short}\nCCC\n{CODE}"))
    assert line.memo == f"{full}{short}CCC{CODE}"
    _, [line] = read(_mt940(":61:2611241124C30000,NTRFNONREF//FT1", f":86:{short}\n{full}\nCCC\n{CODE}"))
    assert line.memo == f"{short} {full}CCC{CODE}"


# --- CSV: a memo wrapped over many rows ------------------------------------------------------

def test_a_memo_wrapped_over_rows_past_any_banks_is_refused_quickly():
    """Rows of text under one transaction each add to its memo, copying it: 40,000 of them took minutes (a 20 MB
    file hours). Past `WRAPPED_MAX` the file is refused, `memo_too_long`, at once."""
    import time

    from reconciliation.tabular import WRAPPED_MAX

    rows = [HEADER, ["24/11/2026", "FT1", "", "30.000", "", CODE]] + [["", "", "", "", "", "a" * 40]] * 40_000
    started = time.monotonic()
    error = refused_import(csv_text(*rows))
    assert time.monotonic() - started < 30
    assert (error.code, error.details["line_no"], error.details["max_len"]) == ("memo_too_long", 1, WRAPPED_MAX)


def test_a_memo_wrapped_over_a_few_rows_is_read_whole():
    rows = [HEADER, ["24/11/2026", "FT1", "", "30.000", "", "Nguyen Van A"], ["", "", "", "", "", "nop le phi"],
            ["", "", "", "", "", CODE]]
    _, [line] = read(csv_text(*rows))
    assert line.memo == f"Nguyen Van A nop le phi {CODE}"
