"""Money is integer VND: no minor unit, never a float.

`type(x) is int` is the guard: JSON `150000.0` arrives as a float and `True` is an int
subclass; both are refused with a 400, as are strings and out-of-range values.
"""
from __future__ import annotations

from typing import Any

from kernel.errors import ValidationError

# A NAPAS 247 transfer limit; the ceiling for one payment request and anything paid into it.
MAX_REQUEST_VND = 500_000_000


def parse_amount_vnd(value: Any, *, field: str = "amount_vnd", minimum: int = 1,
                     maximum: int = MAX_REQUEST_VND) -> int:
    """Return `value` if it is an integer VND amount in [minimum, maximum], else raise a 400."""
    if type(value) is not int:
        raise ValidationError(
            f"{field} must be a whole number of đồng (an integer), got {_describe(value)}",
            code="invalid_amount", details={"field": field},
        )
    if value < minimum or value > maximum:
        raise ValidationError(
            f"{field} must be between {minimum:,} and {maximum:,} VND, got {value:,}",
            code="amount_out_of_range", details={"field": field, "minimum": minimum, "maximum": maximum},
        )
    return value


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "nothing"
    return type(value).__name__


def format_vnd(amount: int) -> str:
    """`150000` -> `150.000 ₫` (Vietnamese grouping)."""
    return f"{amount:,}".replace(",", ".") + " ₫"
