"""Round 15's parse shortcuts read exactly what the full rules read, on any input: an amount or a date text
read again from its cache, a reference normalised again from the last two, a text with no whitespace left as
it is, a CSV row read by its mapped columns (`_Columns.read_text`) and the no-space test of a reference cell."""
import re

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from payments import references
from reconciliation import profiles, statements, tabular
from reconciliation.statements import StatementError, parse_amount, parse_local_date, single_spaced

_NO_RANGE = object()


def _outcome(call, *args, **kwargs):
    try:
        return "value", call(*args, **kwargs)
    except StatementError as exc:
        return "refused", exc.code, str(exc), exc.details


def _amount_by_rules(text, **kwargs):
    """parse_amount with an empty cache that keeps nothing, and no plain-amount shortcut."""
    saved = statements._PLAIN_AMOUNT, statements._plain_amounts
    statements._PLAIN_AMOUNT, statements._plain_amounts = re.compile(r"(?!)"), {}
    try:
        return _outcome(parse_amount, text, **kwargs)
    finally:
        statements._PLAIN_AMOUNT, statements._plain_amounts = saved


_plain = st.one_of(st.integers(0, 10**16).map(str),
                   st.integers(0, 10**16).map(lambda n: f"{n:,}"),
                   st.integers(0, 10**16).map(lambda n: f"{n:,}".replace(",", ".")))
_fields = st.sampled_from(["amount", "credit", "debit", "balance"])


@settings(max_examples=1000)
@given(_plain, _fields, _fields, st.sampled_from([None, 0, 1000, 10**9]))
@example("150.000", "credit", "credit", None)
@example("600.000.000.000", "balance", "credit", None)  # cached as a balance, above a line's limit as a credit
@example("30.000", "amount", "amount", 1000)
@example("0", "debit", "amount", None)
def test_an_amount_read_again_reads_as_the_rules_read_it(text, first_field, field_name, maximum):
    statements._plain_amounts.clear()
    _outcome(parse_amount, text, field_name=first_field, line_no=3)  # fills the cache when it reads
    kwargs = {"field_name": field_name, "line_no": 7, **({"maximum": maximum} if maximum is not None else {})}
    assert _outcome(parse_amount, text, **kwargs) == _amount_by_rules(text, **kwargs)


_DATE_TEXTS = ["24/11/2026", "24-11-2026 07:01:30", "2026-11-24", "24-Nov-2026", "24/11/2026 02:15 PM",
               "2026-11-24T03:15:00Z", "46350", "46350.4375", " 46350 ", "20261124", "Thứ 3, 24/11/2026",
               "24/11/2026 (Thứ 3)", "31/02/2026", "24/11/1999", "Ngày in: 24/11/2026", ""]


@pytest.mark.parametrize("text", _DATE_TEXTS)
@pytest.mark.parametrize("first_serial", [False, True])
@pytest.mark.parametrize("serial_text", [False, True])
def test_a_date_text_read_again_reads_as_its_first_reading(text, first_serial, serial_text):
    statements._date_cache.clear()
    fresh = _outcome(parse_local_date, text, line_no=5, serial_text=serial_text)
    statements._date_cache.clear()
    _outcome(parse_local_date, text, line_no=5, serial_text=first_serial)
    assert _outcome(parse_local_date, text, line_no=5, serial_text=serial_text) == fresh


def _normalised_afresh(ref):
    references._last = (None, None, None, None)
    return references.normalise_ref(ref)


_refs = st.one_of(st.none(), st.text(alphabet="0123456789.ABCfnNONREF -/ạ", max_size=10),
                  st.sampled_from(["5000.96828", "0", "N/A", "NONREF", "000", "FT26328001"]))


@settings(max_examples=500)
@given(st.lists(_refs, max_size=8), st.lists(st.integers(0, 7), max_size=12))
def test_a_reference_read_again_normalises_as_afresh(refs, order):
    expected = {i: _normalised_afresh(ref) for i, ref in enumerate(refs)}
    references._last = (None, None, None, None)
    for i in [i for i in order if i < len(refs)] + list(range(len(refs))):  # the same objects again, in any order
        assert references.normalise_ref(refs[i]) == expected[i]


def _spaced_by_split(text):
    if not text:
        return None
    tidy = " ".join(text.split())
    if tidy != text and statements._SPLIT_CONTROLS.search(text):
        return statements._SPACES.sub(" ", text).strip(" ") or None
    return tidy or None


@settings(max_examples=2000)
@given(st.text(alphabet=" \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u1680\u2000\u2028\u202f\u3000\x00\x07\u200bab5.-Đễ",
               max_size=12))
@example("5000.96828")
@example("a\u00a0b")
@example("\u200b")
def test_a_text_without_whitespace_is_left_as_the_split_leaves_it(text):
    assert single_spaced(text) == _spaced_by_split(text)


def test_no_whitespace_is_printable_but_the_space():
    """What the no-whitespace shortcuts stand on (`single_spaced`, `tabular._names_reference`): str.split and the
    regex \\s take the same characters for whitespace, and every one of them but the space is unprintable."""
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    assert all(not ch.isprintable() for ch in spaces if ch != " ")
    assert [chr(c) for c in range(0x110000) if re.fullmatch(r"\s", chr(c))] == spaces


def _counts_as_before(values):
    """tabular._names_reference before its no-space shortcut."""
    ref = values.get("ref")
    if ref is None or references.normalise_ref(str(ref)) is None:
        return False
    text = str(ref)
    return not (tabular._NUMBER_BY_SPACE.search(text)
                and tabular._TRANSFER_COUNT.fullmatch(profiles.normalise_header(text)))


@settings(max_examples=1000)
@given(st.text(alphabet="0123456789 \t\u00a0gdGDiaoch.:Số", max_size=14))
@example("2 giao dịch")
@example("2\u00a0GD")
@example("Số GD: 2")
@example("5001.15677")
def test_a_reference_cell_names_a_reference_as_before(text):
    assert tabular._names_reference({"ref": text}) == _counts_as_before({"ref": text})


_HEADERS = [
    ["Ngày GD/ TNX Date", "Số CT/ Doc No", "Số tiền ghi nợ/ Debit", "Số tiền ghi có/ Credit", "Số dư/ Balance",
     "Nội dung chi tiết/ Transactions in detail"],
    ["STT", "Ngày", "Số tiền", "Nội dung", "Số dư"],
    ["Ngày", "Ghi có", "Diễn giải"],
]
_cells = st.one_of(st.sampled_from(["", " ", "  ", "\t", "24/11/2026", "Tổng cộng", "Cộng trang", "Thứ 3",
                                    "Người lập biểu", "150.000", "1", "FT123", " x ", "Trang 1/2"]),
                   st.text(alphabet="ab 1/.Tổng\u00a0", max_size=6))


@settings(max_examples=1500)
@given(st.sampled_from(range(len(_HEADERS))), st.lists(_cells, max_size=9))
def test_a_csv_row_reads_as_the_general_reading_reads_it(header, row):
    cells = _HEADERS[header]
    columns = tabular._Columns(profiles.map_header(cells), profiles.row_number_columns(cells),
                               serial_text=False, text_cells=True)
    assert columns.read_text(row) == columns.read(row)
