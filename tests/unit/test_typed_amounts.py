"""Amounts people type on the pages are whole đồng: Vietnamese grouping is read, decimals are refused."""
import pytest
from hypothesis import given, strategies as st

from kernel.errors import ValidationError
from kernel.money import MAX_REQUEST_VND, format_vnd, parse_typed_vnd


@pytest.mark.parametrize("typed,amount", [
    ("150000", 150_000), ("150.000", 150_000), ("1.500.000", 1_500_000), ("150,000", 150_000),
    ("150 000", 150_000), ("150.000 ₫", 150_000), ("150.000₫", 150_000), ("150000đ", 150_000),
    ("150.000 VND", 150_000), (" 1.500 ", 1_500), ("1,500,000 vnd", 1_500_000),
    # The đồng sign typed without its stroke or spelt out, as people type on a keyboard without Telex.
    ("150.000d", 150_000), ("150000 D", 150_000), ("150.000 đồng", 150_000), ("150.000 dong", 150_000),
])
def test_typed_amounts_in_whole_dong_are_read_with_any_usual_grouping(typed, amount):
    assert parse_typed_vnd(typed) == amount


@pytest.mark.parametrize("typed", ["1.5", "150.5", "1.50", "1,5", "150,50", "150.000.00", "1.500,000", "1..500",
                                   ".500", "150.", "-150000", "+150000", "1e5", "١٥٠", "150.000 $", "abc", "₫",
                                   "d", "150.000 dd", "150.000 đồngg"])
def test_decimals_and_anything_else_are_refused_instead_of_read_as_other_amounts(typed):
    with pytest.raises(ValidationError) as err:
        parse_typed_vnd(typed)
    assert err.value.code == "invalid_amount" and err.value.details == {"field": "amount_vnd"}


def test_an_empty_typed_amount_is_none_and_range_is_checked_like_the_api():
    assert parse_typed_vnd("") is None and parse_typed_vnd("   ") is None and parse_typed_vnd(None) is None
    with pytest.raises(ValidationError) as err:
        parse_typed_vnd("0")
    assert err.value.code == "amount_out_of_range"
    assert parse_typed_vnd("600.000.000", maximum=10**13) == 600_000_000


@given(st.integers(min_value=1, max_value=MAX_REQUEST_VND))
def test_every_amount_as_the_pages_show_it_reads_back_as_itself(amount):
    assert parse_typed_vnd(format_vnd(amount)) == amount
    assert parse_typed_vnd(str(amount)) == amount
