"""Money is integer VND: no minor unit, never a float.

`type(x) is int` is the guard: JSON `150000.0` arrives as a float and `True` is an int
subclass; both are refused with a 400, as are strings and out-of-range values.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

from kernel.errors import ValidationError

# A NAPAS 247 transfer limit; the ceiling for one payment request and what it may ask.
MAX_REQUEST_VND = 500_000_000
# The largest sum of real money one figure may carry: a transfer or card charge received, a statement
# line, a refund of it, a drawer's count. Money that moved is never refused for exceeding what a
# request may ask, so its bounds are this one: far above anything a service centre receives (10^12
# VND, a thousand billion), far inside BIGINT and exact as a JSON number (below 2^53).
MAX_MONEY_VND = 10**12


def parse_amount_vnd(value: Any, *, field: str = "amount_vnd", minimum: int = 1,
                     maximum: int = MAX_REQUEST_VND) -> int:
    """Return `value` if it is an integer VND amount in [minimum, maximum], else raise a 400: `missing_field`
    when there is none (left out, or null), as for any other required field and a callback's amount."""
    if value is None:
        raise ValidationError(f"{field} is required: a whole number of đồng", code="missing_field",
                              details={"field": field})
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
    return type(value).__name__


# What people type: plain digits, or groups of exactly three digits after a dot, comma or space
# (one kind of separator per amount), then an optional đồng sign, written as people type it without
# Telex too ("150.000d", "150.000 dong"). "1.5" or "150,50" are not đồng. Grouped digits may end with one
# or two decimals after the other mark (`1.000.000,00` from a spreadsheet, `1,000,000.00` from an English
# one): the grouping says which mark is the decimal one, so those are whole đồng when the decimals are
# zeros and a fraction of a đồng (refused as such) when not. Without grouping (`150,00`, `150.00`) the
# mark could be a thousands one typed short, so it stays refused.
_TYPED_VND = re.compile(
    r"(?P<digits>[0-9]+|[0-9]{1,3}(?P<sep>[., \u00a0\u202f])[0-9]{3}(?:(?P=sep)[0-9]{3})*)"
    r"(?:(?!(?P=sep))[.,](?P<decimals>[0-9]{1,2}))?"
    r"[ \u00a0\u202f]*(?:₫|đ|d|vnd|vnđ|đồng|dong)?", re.IGNORECASE)


def parse_typed_vnd(text: str | None, *, field: str = "amount_vnd", minimum: int = 1,
                    maximum: int = MAX_REQUEST_VND) -> int | None:
    """What a person typed (`150000`, `150.000`, `1.500.000 ₫`, `150,000 VND`, `1.000.000,00`) as whole đồng;
    empty is None.

    Anything else is refused rather than read as something else: decimals that the grouping does not make
    unambiguous (`1.5`, `150.5`, `150,00`) are `invalid_amount`, a fraction of a đồng (`1.000.000,50`) is
    `fractional_amount`."""
    # NFC: keyboards that type Vietnamese as combining marks ("Unicode tổ hợp") write "đồng" as
    # o + U+0302 + U+0300, which the pattern's precomposed spelling would not match.
    typed = unicodedata.normalize("NFC", text or "").strip()
    if not typed:
        return None
    found = _TYPED_VND.fullmatch(typed) if len(typed) <= 40 else None
    if found is None or (found.group("decimals") is not None and found.group("sep") is None):
        raise ValidationError(f"{field} must be a whole number of đồng, e.g. 150000 or 150.000",
                              code="invalid_amount", details={"field": field})
    if (found.group("decimals") or "0").strip("0"):
        raise ValidationError(f"{field} must be whole đồng: a đồng has no fraction", code="fractional_amount",
                              details={"field": field})
    digits = re.sub(r"[^0-9]", "", found.group("digits"))
    return parse_amount_vnd(int(digits), field=field, minimum=minimum, maximum=maximum)


def format_vnd(amount: int) -> str:
    """`150000` -> `150.000 ₫` (Vietnamese grouping)."""
    return f"{amount:,}".replace(",", ".") + " ₫"


def format_signed_vnd(amount: int) -> str:
    """A difference (over or short, stated or computed): `+50.000 ₫`, `−50.000 ₫` with a true minus (U+2212,
    as the pages' "thừa +, thiếu −" legends write it; `-` reads as a dash), `0 ₫` for none."""
    sign = "+" if amount > 0 else "\u2212" if amount < 0 else ""
    return sign + format_vnd(abs(amount))
