"""Statement parsing, QA round 5: what a file may not hold, and what it means."""
import io

import pytest

from reconciliation.importer import parse_upload
from reconciliation.statements import StatementError
from tests.unit.test_statement_variants import workbook

VCB_HEAD = "Ngày GD/ TNX Date,Số CT/ Doc No,Số tiền ghi nợ/ Debit,Số tiền ghi có/ Credit,Số dư/ Balance," \
           "Nội dung chi tiết/ Transactions in detail\n"


def refused(data: str | bytes, **kwargs) -> StatementError:
    with pytest.raises(StatementError) as caught:
        parse_upload(io.BytesIO(data.encode() if isinstance(data, str) else data), **kwargs).close()
    return caught.value


# --- control characters ------------------------------------------------------------------------

@pytest.mark.parametrize("char", ["\x00", "\x01", "\x08", "\x0b", "\x1b", "\x1f"])
def test_a_control_character_in_a_memo_past_the_sniffed_head_is_refused(char):
    rows = "".join(f'24/11/2026,5000.{i:05d},"","30.000","","chuyen tien {i}"\n' for i in range(300))
    error = refused(VCB_HEAD + rows + f'24/11/2026,9999.1,"","30.000","","bad{char}memo"\n')
    assert error.code == "invalid_text" and error.status == 400
    assert error.details["line_no"] == 301 and error.details["field"] == "memo"


def test_a_control_character_in_an_mt940_memo_or_payer_is_refused():
    mt940 = (":20:X\n:25:0071001234567\n:60F:C261124VND0,\n:61:2611241124C30000,NTRF1//1\n"
             ":86:166?20nop le phi?32NGUYEN\x00VAN A\n:62F:C261124VND30000,\n")
    error = refused(mt940)
    assert error.code == "invalid_text" and error.details["field"] == "payer_name"


def test_tabs_and_line_breaks_are_no_control_characters():
    mt940 = (":20:X\n:25:0071001234567\n:60F:C261124VND0,\n:61:2611241124C30000,NTRF1//1\n"
             ":86:nop\tle phi\r\n:62F:C261124VND30000,\n")
    parsed = parse_upload(io.BytesIO(mt940.encode()))
    parsed.close()
    assert parsed.lines_total == 1


# --- a workbook's sheets ------------------------------------------------------------------------

NO_REF_HEAD = ["Ngày giao dịch", "Số tiền ghi nợ", "Số tiền ghi có", "Số dư", "Nội dung"]


def test_an_all_transactions_sheet_beside_a_day_sheet_without_references_is_refused():
    rows = [["24/11/2026 09:00", None, 30000, None, "HS40881023160 nop le phi"],
            ["24/11/2026 10:00", None, 50000, None, "khac"]]
    error = refused(workbook(("Tat ca giao dich", [NO_REF_HEAD, *rows]), ("24-11-2026", [NO_REF_HEAD, *rows])))
    assert error.code == "overlapping_sheets" and error.details["line_no"] == 3


def test_sheets_of_different_days_or_times_without_references_are_read():
    first = [["24/11/2026 09:00", None, 30000, None, "nop le phi"]]
    other_time = [["24/11/2026 09:05", None, 30000, None, "nop le phi"]]
    other_day = [["25/11/2026 09:00", None, 30000, None, "nop le phi"]]
    parsed = parse_upload(io.BytesIO(workbook(("24-11", [NO_REF_HEAD, *first]), ("24-11 b", [NO_REF_HEAD, *other_time]),
                                              ("25-11", [NO_REF_HEAD, *other_day]))))
    parsed.close()
    assert parsed.lines_total == 3


# --- MT940 opening balances ---------------------------------------------------------------------

def _mt940(opening: str, lines: str = ":61:2611241124C30000,NTRF5001//5001\n:86:abc\n"
           ":61:2611241124C40000,NTRF5002//5002\n:86:def\n", closing: str = ":62F:C261124VND1075000,\n") -> str:
    return f":20:X\n:25:0071001234567\n:28C:1/1\n{opening}{lines}{closing}"


def read_info(data: str):
    from reconciliation.statements import parse_statement

    info, lines = parse_statement(io.BytesIO(data.encode()))
    return info, list(lines)


def test_a_60f_dated_the_day_before_the_first_line_opens_the_first_lines_day():
    from datetime import date

    info, _ = read_info(_mt940(":60F:C261123VND1000000,\n"))
    assert set(info.balances) == {date(2026, 11, 24)}  # nothing for the 23rd, which may be closed
    assert (info.balances[date(2026, 11, 24)].opening_vnd, info.balances[date(2026, 11, 24)].closing_vnd) == \
        (1_000_000, 1_075_000)


def test_a_60f_after_a_weekend_opens_the_monday():
    from datetime import date

    info, _ = read_info(_mt940(":60F:C261120VND1000000,\n"))  # Friday's closing, lines of Tuesday 24th
    assert info.balances[date(2026, 11, 24)].opening_vnd == 1_000_000 and date(2026, 11, 20) not in info.balances


def test_a_60m_dated_before_the_messages_lines_opens_their_day_and_one_of_the_same_day_does_not():
    from datetime import date

    info, _ = read_info(_mt940(":60M:C261123VND1000000,\n"))
    assert info.balances[date(2026, 11, 24)].opening_vnd == 1_000_000
    info, _ = read_info(_mt940(":60M:C261124VND1000000,\n"))
    assert info.balances[date(2026, 11, 24)].opening_vnd is None


def test_a_60f_without_lines_opens_the_day_of_its_closing():
    from datetime import date

    info, _ = read_info(_mt940(":60F:C261123VND1000000,\n", lines="", closing=":62F:C261124VND1000000,\n"))
    assert set(info.balances) == {date(2026, 11, 24)}
    assert (info.balances[date(2026, 11, 24)].opening_vnd, info.balances[date(2026, 11, 24)].closing_vnd) == \
        (1_000_000, 1_000_000)


def test_each_message_of_a_file_opens_its_own_first_day():
    from datetime import date

    day1 = _mt940(":60F:C261123VND1000000,\n", closing=":62F:C261124VND1070000,\n")
    day2 = _mt940(":60F:C261124VND1070000,\n", lines=":61:2611251125C5000,NTRF5003//5003\n:86:x\n",
                  closing=":62F:C261125VND1075000,\n")
    info, _ = read_info(day1 + "-\n" + day2)
    assert {d: (b.opening_vnd, b.closing_vnd) for d, b in info.balances.items()} == {
        date(2026, 11, 24): (1_000_000, 1_070_000), date(2026, 11, 25): (1_070_000, 1_075_000)}


# --- smaller things banks write ----------------------------------------------------------------

def test_the_separator_is_the_one_under_which_a_row_is_the_header():
    """Commas in the address, the period and the amounts above a semicolon table outnumber its rows."""
    data = ("NGÂN HÀNG TMCP NGOẠI THƯƠNG VIỆT NAM\nChi nhánh: Hà Nội, Việt Nam\nSAO KÊ TÀI KHOẢN\n"
            "Số tài khoản: 0071001234567\nĐịa chỉ: 198 Trần Quang Khải, Hoàn Kiếm, Hà Nội\n"
            "Từ ngày: 24/11/2026, đến ngày: 24/11/2026\nSố dư đầu kỳ: 125,000,000\nNgày in: 25/11/2026, 08:00\n"
            "Ngày GD;Số CT;Ghi nợ;Ghi có;Số dư;Nội dung\n24/11/2026;5000.1;;30.000;;HS40881023160 nop le phi\n")
    info, lines = read_info(data)
    assert [(l.amount_vnd, l.bank_ref, l.memo) for l in lines] == [(30000, "5000.1", "HS40881023160 nop le phi")]


def test_techcombank_vietnamese_only_debit_and_credit_headers_are_read():
    _, lines = read_info("Ngày giao dịch,Diễn giải,Số bút toán,Nợ TKTT,Có TKTT,Số dư\n"
                         "24/11/2026,HS40881023160,FT1,,30000,\n24/11/2026,phi,FT2,1100,,\n")
    assert [(l.amount_vnd, l.direction) for l in lines] == [(30000, "credit"), (1100, "debit")]


@pytest.mark.parametrize("written, day, hour", [
    ("2026-11-24T10:15:00+07:00", (2026, 11, 24), 3), ("2026-11-24T03:15:00Z", (2026, 11, 24), 3),
    ("2026-11-24T20:15:00Z", (2026, 11, 25), 20), ("2026-11-24 10:15:00+0700", (2026, 11, 24), 3),
    ("2026-11-24T10:15:00.250+07:00", (2026, 11, 24), 3)])
def test_iso_timestamps_with_an_offset_are_read_in_hanoi_time(written, day, hour):
    from datetime import date

    _, lines = read_info(f"Ngày giao dịch,Số tiền ghi có,Nội dung\n{written},30000,abc\n")
    assert lines[0].booking_date == date(*day) and (lines[0].booked_at.hour, lines[0].booked_at.minute) == (hour, 15)


def test_text_decoded_with_combining_tone_marks_is_stored_composed():
    import unicodedata

    memo = "Nguyễn Văn An nộp lệ phí"
    decomposed = unicodedata.normalize("NFD", memo)
    _, lines = read_info(f"Ngày GD,Số tiền ghi có,Nội dung,Người chuyển\n24/11/2026,30000,{decomposed},{decomposed}\n")
    assert (lines[0].memo, lines[0].payer_name) == (memo, memo)
    mt = f":20:X\n:25:0071001234567\n:61:2611241124C30000,NTRF1//1\n:86:{decomposed}\n:62F:C261124VND30000,\n"
    assert read_info(mt)[1][0].memo == memo


def test_a_windows_1258_memo_is_stored_composed():
    memo = "Nguyễn Văn An nộp lệ phí"
    data = "Ngay GD,So tien ghi co,Noi dung\n24/11/2026,30000,".encode("ascii") + \
        "Nguyê\u0303n Văn An nô\u0323p lê\u0323 phi\u0301\n".encode("cp1258")
    from reconciliation.statements import parse_statement

    _, lines = parse_statement(io.BytesIO(data))
    assert next(lines).memo == memo


def test_an_mt940_with_nothing_but_its_reference_is_refused_as_empty():
    assert refused(":20:X\n").code == "empty_statement"
    assert refused(":20:X\n:25:0071001234567\n:28C:1/1\n").code == "empty_statement"
    info, lines = read_info(":20:X\n:25:0071001234567\n:60F:C261124VND5,\n:62F:C261124VND5,\n")
    assert lines == [] and info.balances  # a day without transactions still states its balances
