"""A negative amount in a spreadsheet's credit column: refused (`invalid_amount`, the line named), never
read as a debit. A signed single amount column carries its side in its sign; split debit and credit
columns carry it in the column, and no bank writes money going out as a negative credit."""
import pytest

from tests.unit.test_parse_fix_tabular import HEADER, csv_text, read, refused, summary, workbook


@pytest.mark.parametrize("written", ["-30.000", "(30.000)", "- 30.000", "-30000"])
def test_a_negative_credit_in_a_csv_is_refused_naming_its_line(written):
    error = refused(csv_text(HEADER, ["24/11/2026", "C1", "", "50.000", "x"], ["24/11/2026", "C2", "", written, "y"]))
    assert (error.code, error.details["line_no"]) == ("invalid_amount", 2)
    assert "credit" in str(error)


def test_a_negative_credit_in_a_workbook_is_refused():
    error = refused(workbook([HEADER, ["24/11/2026", "C1", None, -30000, "x"]]))
    assert (error.code, error.details["line_no"]) == ("invalid_amount", 1)


def test_a_negative_credit_in_a_table_of_credits_only_is_refused():
    error = refused(csv_text(["Ngày giao dịch", "Ghi có", "Nội dung"], ["24/11/2026", "-30.000", "x"]))
    assert (error.code, error.details["line_no"]) == ("invalid_amount", 1)


def test_a_negative_credit_on_a_row_dated_by_the_row_above_is_refused_not_dropped():
    error = refused(csv_text(HEADER, ["24/11/2026", "C1", "", "50.000", "x"], ["", "C2", "", "-30.000", "y"]))
    assert (error.code, error.details["line_no"]) == ("invalid_amount", 2)


def test_a_debit_written_with_a_minus_in_the_debit_column_is_still_a_debit():
    _, lines = read(csv_text(HEADER, ["24/11/2026", "C1", "-11.000", "", "phi"], ["24/11/2026", "C2", "(5.000)", "", "vat"]))
    assert summary(lines) == [("2026-11-24", 11000, "debit", "C1"), ("2026-11-24", 5000, "debit", "C2")]


def test_a_signed_single_amount_column_still_reads_its_sign_as_the_side():
    _, lines = read(csv_text(["Ngày giao dịch", "Số tiền", "Nội dung"], ["24/11/2026", "-30.000", "x"],
                             ["24/11/2026", "50.000", "y"]))
    assert [(l.amount_vnd, l.direction) for l in lines] == [(30000, "debit"), (50000, "credit")]


# A money column whose header names both sides ("Số tiền thu/chi", "Tiền vào/ra") is one signed (or
# marked) amount, not a credit column: read as credits only, its negatives (money going out) were
# refused whole, and a row marked "Chi" beside it was read as money in.
BOTH_SIDES = ["Số tiền Có/Nợ", "Phát sinh Có/Nợ", "Tiền vào/ra", "Số tiền thu/chi", "Số tiền gửi/rút", "Money in/out",
              # money out named first: the column is read as the debit side unless both are seen
              "Tiền ra/vào", "Số tiền chi/thu", "Money out/in", "Ghi Có/Ghi Nợ"]


@pytest.mark.parametrize("money", BOTH_SIDES)
def test_a_money_column_naming_both_sides_reads_its_sign_as_the_side(money):
    _, lines = read(csv_text(["Ngày giao dịch", money, "Nội dung", "Số tham chiếu"],
                             ["24/11/2026", "30.000", "HS40881023160", "R1"], ["24/11/2026", "-11.000", "phi", "R2"],
                             ["24/11/2026", "(5.000)", "vat", "R3"]))
    assert summary(lines) == [("2026-11-24", 30000, "credit", "R1"), ("2026-11-24", 11000, "debit", "R2"),
                              ("2026-11-24", 5000, "debit", "R3")]


@pytest.mark.parametrize("money", ["Số tiền thu/chi", "Tiền vào/ra"])
def test_a_money_column_naming_both_sides_takes_the_side_from_its_mark(money):
    _, lines = read(csv_text(["Ngày giao dịch", money, "Loại GD", "Nội dung", "Số tham chiếu"],
                             ["24/11/2026", "30.000", "Thu", "HS40881023160", "R1"],
                             ["24/11/2026", "11.000", "Chi", "phi", "R2"]))
    assert summary(lines) == [("2026-11-24", 30000, "credit", "R1"), ("2026-11-24", 11000, "debit", "R2")]


def test_a_debit_mark_on_a_credit_columns_row_is_refused_not_read_as_money_in():
    error = refused(csv_text(["Ngày giao dịch", "Credit amount", "Dr/Cr", "Nội dung", "Số tham chiếu"],
                             ["24/11/2026", "30.000", "Cr", "HS40881023160", "R1"], ["24/11/2026", "11.000", "Dr", "phi", "R2"]))
    assert (error.code, error.details["line_no"]) == ("unknown_direction", 2)


def test_a_debit_mark_on_a_credit_columns_row_dated_by_the_row_above_is_refused_not_dropped():
    error = refused(csv_text(["Ngày giao dịch", "Credit amount", "Dr/Cr", "Nội dung", "Số tham chiếu"],
                             ["24/11/2026", "30.000", "Cr", "HS40881023160", "R1"], ["", "11.000", "Dr", "phi", "R2"]))
    assert (error.code, error.details["line_no"]) == ("unknown_direction", 2)


def test_a_credits_only_tables_transaction_type_column_is_no_mark():
    _, lines = read(csv_text(["Ngày giao dịch", "Số tiền ghi có", "Loại giao dịch", "Nội dung"],
                             ["24/11/2026", "30.000", "Chuyển tiền nhanh 247", "HS40881023160"],
                             ["24/11/2026", "20.000", "Thu", "HS21890246178"]))
    assert [(l.amount_vnd, l.direction) for l in lines] == [(30000, "credit"), (20000, "credit")]


def test_debit_and_credit_columns_keep_their_sides_whatever_their_headers_add():
    _, lines = read(csv_text(["Ngày giao dịch", "Số tiền ghi nợ/ Debit", "Số tiền ghi có/ Credit", "Nội dung", "Doc No"],
                             ["24/11/2026", "", "30.000", "HS40881023160", "R1"], ["24/11/2026", "-11.000", "", "phi", "R2"]))
    assert summary(lines) == [("2026-11-24", 30000, "credit", "R1"), ("2026-11-24", 11000, "debit", "R2")]


@pytest.mark.parametrize("zero", ["0", "(0)", "-0", "0,00", "-0,00", "0 VND", "-"])
def test_a_zero_written_any_way_in_a_debit_rows_credit_column_is_no_negative_credit(zero):
    """A guard (these read before the refusal and still do): a zero or a dash is the empty side."""
    _, lines = read(csv_text(HEADER, ["24/11/2026", "C1", "", "30.000", "x"], ["24/11/2026", "C2", "-11.000", zero, "phi"]))
    assert summary(lines) == [("2026-11-24", 30000, "credit", "C1"), ("2026-11-24", 11000, "debit", "C2")]


def test_a_negative_zero_in_a_workbooks_credit_column_is_no_negative_credit():
    _, lines = read(workbook([HEADER, ["24/11/2026", "C1", None, 30000, "x"], ["24/11/2026", "C2", -11000, -0.0, "phi"]]))
    assert summary(lines) == [("2026-11-24", 30000, "credit", "C1"), ("2026-11-24", 11000, "debit", "C2")]


# A trailing minus (`11.000-`, SAP's way) is the same negative as a leading one, in every column.

@pytest.mark.parametrize("written", ["11.000-", "11,000-", "11.000 -"])
def test_a_trailing_minus_in_a_signed_column_is_a_debit(written):
    _, lines = read(csv_text(["Ngày giao dịch", "Số tiền", "Nội dung", "Số tham chiếu"],
                             ["24/11/2026", "30.000", "HS40881023160", "R1"], ["24/11/2026", written, "phi", "R2"]))
    assert summary(lines) == [("2026-11-24", 30000, "credit", "R1"), ("2026-11-24", 11000, "debit", "R2")]


@pytest.mark.parametrize("written", ["30.000-", "30,000-"])
def test_a_trailing_minus_in_a_credit_column_is_refused_as_a_leading_one_is(written):
    error = refused(csv_text(HEADER, ["24/11/2026", "C1", "", "50.000", "x"], ["24/11/2026", "C2", "", written, "y"]))
    assert (error.code, error.details["line_no"]) == ("invalid_amount", 2)
    assert "credit" in str(error) and "negative" in str(error)


def test_a_trailing_minus_in_the_debit_column_is_still_a_debit():
    _, lines = read(csv_text(HEADER, ["24/11/2026", "C1", "11.000-", "", "phi"], ["24/11/2026", "C2", "5,000-", "", "vat"]))
    assert summary(lines) == [("2026-11-24", 11000, "debit", "C1"), ("2026-11-24", 5000, "debit", "C2")]


def test_a_minus_inside_an_amount_is_refused_not_read():
    error = refused(csv_text(HEADER, ["24/11/2026", "C1", "", "11.000-5", "x"]))
    assert (error.code, error.details["line_no"]) == ("invalid_amount", 1)


# A dash after a decimal mark is no trailing minus: `11.000,-` (`,-`, `.-`: "no cents", as German and Swiss
# prices write a whole amount) was refused before the trailing minus; read as one, a credit in a signed
# column became money going out. Still refused, never read with a sign it may not have.

@pytest.mark.parametrize("written", ["30.000,-", "30,000.-", "30000.-", "1.000.000,-"])
def test_a_dash_after_a_decimal_mark_is_no_trailing_minus_in_a_signed_column(written):
    error = refused(csv_text(["Ngày giao dịch", "Số tiền", "Nội dung", "Số tham chiếu"],
                             ["24/11/2026", written, "HS40881023160", "R1"]))
    assert (error.code, error.details["line_no"]) == ("invalid_amount", 1)
