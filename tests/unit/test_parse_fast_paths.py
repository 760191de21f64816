"""The parse's fast paths read exactly what the full rules read: on any input, the same value or
the same refusal (`statements.parse_amount`'s plain amounts; `matching.base_key`'s day digits; `tabular._text`'s tidy
text; `statements._compose`'s ASCII lines)."""
import re
import unicodedata
from contextlib import contextmanager
from datetime import date

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from reconciliation import matching, statements, tabular
from reconciliation.statements import StatementError, StatementLine, parse_amount

_NEVER = re.compile(r"(?!)")


@contextmanager
def _rules_only():
    """parse_amount with its fast path off: every text goes through the full rules (its cache of plain amounts
    read before swapped for one that stays empty: the rules never fill it)."""
    fast, statements._PLAIN_AMOUNT = statements._PLAIN_AMOUNT, _NEVER
    cache, statements._plain_amounts = statements._plain_amounts, {}
    try:
        yield
    finally:
        statements._PLAIN_AMOUNT, statements._plain_amounts = fast, cache


def _outcome(text, **kwargs):
    try:
        return "value", parse_amount(text, **kwargs)
    except StatementError as exc:
        return "refused", exc.code, str(exc), exc.details


def _both(text, **kwargs):
    fast = _outcome(text, **kwargs)
    with _rules_only():
        rules = _outcome(text, **kwargs)
    return fast, rules


_group = st.integers(0, 999).map(lambda n: f"{n:03d}")
_grouped = st.builds(lambda head, groups, sep: head + "".join(sep + g for g in groups),
                     st.integers(0, 999).map(str) | st.sampled_from(["0", "00", "000", "0000", "1234"]),
                     st.lists(_group | st.sampled_from(["00", "0000", "1", ""]), max_size=6),
                     st.sampled_from([".", ",", " ", "'", "\u00a0"]))
_noise = st.text(alphabet="0123456789.,-+() '\u00a0\u202fđĐ₫VNDvnd¹٣０\t\n", max_size=16)
_mixed = st.builds(lambda a, b, c: a + b + c, _grouped, st.sampled_from(["", ".", ",", ".00", ",00", ",000",
                                                                         "-", ",-", " VND", "đ", ".5"]),
                   st.sampled_from(["", "-", ")", " "]))


@settings(max_examples=3000)
@given(st.one_of(_grouped, _noise, _mixed, st.integers(0, 10**16).map(str)),
       st.sampled_from(["amount", "credit", "debit", "balance"]))
@example("150.000", "credit")
@example("1,250,000", "credit")
@example("000.000", "credit")
@example("0", "credit")
@example("1.000,000", "credit")
@example("1.0000", "credit")
@example("1000.000", "credit")
@example("12.34", "credit")
@example("1,00", "credit")
@example("5.000.000.001", "credit")
@example("1.000.000.000.000.001", "balance")
@example("9" * 40, "credit")
@example("9" * 5000, "credit")
@example("1" + ".000" * 1700, "balance")
@example("0" * 5000 + "30.000", "credit")
@example("１２３", "credit")
def test_an_amount_reads_the_same_with_and_without_the_fast_path(text, field_name):
    fast, rules = _both(text, field_name=field_name, line_no=7)
    assert fast == rules


@pytest.mark.parametrize("text", ["150.000", "1,250,000", "30000", "0", "007"])
def test_the_fast_path_takes_the_common_shapes(text):
    assert statements._PLAIN_AMOUNT.fullmatch(text)


@pytest.mark.parametrize("text", ["1.000,000", "1.0000", "1000.000", "12.34", " 150.000", "150.000 ", "-150.000",
                                  "150.000đ", "１２３", "٣", "1.000.00", ".000", "1."])
def test_anything_else_takes_the_rules(text):
    assert not statements._PLAIN_AMOUNT.fullmatch(text)


@given(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
def test_a_day_keys_as_strftime_writes_it(day):
    line = StatementLine(line_no=1, booking_date=day, amount_vnd=30000, direction="credit", bank_ref="FT123")
    assert matching.base_key(line) == f"r:{day:%Y%m%d}:FT123:C30000"


def _text_as_before(value):
    """tabular._text as it was written before its shortcut (the controls looked for first)."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if statements._SPLIT_CONTROLS.search(text):
        return statements._SPACES.sub(" ", text).strip(" ") or None
    return " ".join(text.split()) or None


@settings(max_examples=2000)
@given(st.text(alphabet=" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u2028\u3000abcĐđễ\u0301.,-", max_size=20))
@example("  nop  le phi\t")
@example("a\x1fb")
@example("\x0b")
def test_a_cell_text_is_tidied_as_before(text):
    assert tabular._text(text) == _text_as_before(text)


@given(st.text(max_size=12), st.one_of(st.none(), st.text(max_size=6)), st.one_of(st.none(), st.text(max_size=6)),
       st.one_of(st.none(), st.text(max_size=6)))
@example("Nguye\u0302\u0303n", None, None, None)
@example("nop le phi", "Nguye\u0302\u0303n", None, "FT1")
def test_a_line_is_composed_as_each_field_alone_would_be(memo, name, account, ref):
    line = StatementLine(line_no=1, booking_date=date(2026, 11, 24), amount_vnd=1, direction="credit", memo=memo,
                         payer_name=name, payer_account=account, bank_ref=ref)
    statements._compose(line)
    nfc = [unicodedata.normalize("NFC", v) if v else v for v in (memo, name, account, ref)]
    assert [line.memo, line.payer_name, line.payer_account, line.bank_ref] == nfc
