"""Money on the pages, QA round 13: a typed amount with zero decimals in either convention is whole đồng, a
fraction of a đồng is refused saying so, and a signed difference reads "+50.000 ₫" / "−50.000 ₫"."""
import pytest
from hypothesis import given, strategies as st

from kernel.errors import ValidationError
from kernel.money import MAX_MONEY_VND, format_signed_vnd, parse_typed_vnd


@pytest.mark.parametrize("typed,amount", [
    ("1.000.000,00", 1_000_000), ("1.000.000,0", 1_000_000), ("1,000,000.00", 1_000_000),
    ("1 000 000,00", 1_000_000), ("1 000 000", 1_000_000), ("1,000,000 đ", 1_000_000),
    ("1.000.000,00 ₫", 1_000_000), ("150.000,00đ", 150_000), ("1\u00a0000\u00a0000,00 VND", 1_000_000),
])
def test_whole_dong_written_with_zero_decimals_in_either_convention_is_read(typed, amount):
    assert parse_typed_vnd(typed) == amount


@pytest.mark.parametrize("typed", ["1.000.000,50", "1,000,000.5", "150.000,01", "1 000 000,99"])
def test_a_fraction_of_a_dong_is_refused_as_such(typed):
    with pytest.raises(ValidationError) as err:
        parse_typed_vnd(typed)
    assert err.value.code == "fractional_amount" and err.value.details == {"field": "amount_vnd"}


@pytest.mark.parametrize("typed", [
    "1.000.000.00",  # the grouping mark again: a mistyped group, not decimals
    "1,000,000,00", "150,00", "150.00", "1000000,00",  # no grouping: ",00" may be a group typed short
    "1.000,000,00", "1.000.000,000", "1,000.000", "1.000.000,", "1.000.000,-", "1.000.000,00,00",
])
def test_ambiguous_forms_stay_refused(typed):
    with pytest.raises(ValidationError) as err:
        parse_typed_vnd(typed)
    assert err.value.code == "invalid_amount"


@pytest.mark.parametrize("amount,shown", [
    (50_000, "+50.000 ₫"), (-50_000, "\u221250.000 ₫"), (0, "0 ₫"), (-1, "\u22121 ₫"),
    (1_234_567, "+1.234.567 ₫"),
])
def test_a_signed_amount_shows_its_sign_with_a_true_minus(amount, shown):
    assert format_signed_vnd(amount) == shown


@given(st.integers(min_value=-MAX_MONEY_VND, max_value=MAX_MONEY_VND))
def test_a_signed_amount_never_holds_an_ascii_minus(amount):
    shown = format_signed_vnd(amount)
    assert "-" not in shown and shown.endswith(" ₫")
    assert shown[0] == ("+" if amount > 0 else "\u2212" if amount < 0 else "0")
