import pytest

from kernel.errors import ValidationError
from kernel.money import MAX_REQUEST_VND, format_vnd, parse_amount_vnd


@pytest.mark.parametrize("value", [1, 150_000, MAX_REQUEST_VND])
def test_integer_amounts_in_range_are_accepted(value):
    assert parse_amount_vnd(value) == value


@pytest.mark.parametrize("value", [True, False, 1.5, 150000.0, "150000", [1], {"a": 1}])
def test_anything_but_an_int_is_refused_as_invalid_amount(value):
    with pytest.raises(ValidationError) as err:
        parse_amount_vnd(value)
    assert err.value.code == "invalid_amount"
    assert err.value.status == 400


def test_no_amount_at_all_is_a_missing_field_as_any_other():
    # Round 12: it was `invalid_amount` ("got nothing"), where every other required field left out is
    # `missing_field`, and so is a callback's amount.
    with pytest.raises(ValidationError) as err:
        parse_amount_vnd(None, field="counted_vnd")
    assert (err.value.code, err.value.status, err.value.details) == ("missing_field", 400, {"field": "counted_vnd"})


@pytest.mark.parametrize("value", [0, -1, -150_000, MAX_REQUEST_VND + 1, 10**18])
def test_zero_negative_and_absurd_amounts_are_out_of_range(value):
    with pytest.raises(ValidationError) as err:
        parse_amount_vnd(value)
    assert err.value.code == "amount_out_of_range"


def test_the_error_names_the_field():
    with pytest.raises(ValidationError) as err:
        parse_amount_vnd(1.5, field="fees[2].amount_vnd")
    assert err.value.details["field"] == "fees[2].amount_vnd"
    assert "fees[2].amount_vnd" in err.value.message


def test_amounts_are_shown_with_dots_and_the_dong_sign():
    assert format_vnd(150000) == "150.000 ₫"
    assert format_vnd(1_250_000) == "1.250.000 ₫"
    assert format_vnd(0) == "0 ₫"
