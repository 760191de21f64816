"""Small checks shared by every reader of outside input."""
from __future__ import annotations


def is_ascii_digits(value: object) -> bool:
    """A non-empty string of 0-9 only. `str.isdigit()` alone also accepts "¹", "٣" and other
    Unicode digits, which `int()` then rejects (a 500 waiting to happen) or silently converts."""
    return isinstance(value, str) and value.isascii() and value.isdigit()


def whole_number(value: object, lowest: int, highest: int) -> int | None:
    """`value` as a whole number in [lowest, highest] (ASCII digits only: no sign, no spaces), else None.
    The upper bound matters as much as the digits: a number past a BIGINT overflows in the database driver."""
    if not is_ascii_digits(value):
        return None
    number = int(value)
    return number if lowest <= number <= highest else None
