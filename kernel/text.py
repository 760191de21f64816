"""Small checks shared by every reader of outside input."""
from __future__ import annotations


def is_ascii_digits(value: object) -> bool:
    """A non-empty string of 0-9 only. `str.isdigit()` alone also accepts "¹", "٣" and other
    Unicode digits, which `int()` then rejects (a 500 waiting to happen) or silently converts."""
    return isinstance(value, str) and value.isascii() and value.isdigit()
