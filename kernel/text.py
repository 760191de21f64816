"""Small checks shared by every reader of outside input."""
from __future__ import annotations

import unicodedata
from typing import Any

from kernel.errors import ValidationError


def is_ascii_digits(value: object) -> bool:
    """A non-empty string of 0-9 only. `str.isdigit()` alone also accepts "¹", "٣" and other
    Unicode digits, which `int()` then rejects (a 500 waiting to happen) or silently converts."""
    return isinstance(value, str) and value.isascii() and value.isdigit()


def whole_number(value: object, lowest: int, highest: int) -> int | None:
    """`value` as a whole number in [lowest, highest] (ASCII digits only: no sign, no spaces), else None.
    The upper bound matters as much as the digits: a number past a BIGINT overflows in the database driver."""
    if not is_ascii_digits(value):
        return None
    digits = value.lstrip("0")
    if len(digits) > len(str(highest)):
        return None  # above highest however it goes on; int() refuses 4,300 digits with a bare ValueError (a 500)
    number = int(digits or "0")
    return number if lowest <= number <= highest else None


def clean_text(value: Any, field: str, *, max_len: int, required: bool = True, code: str | None = None) -> str | None:
    """Trimmed, NFC-normalised, single-spaced text without control characters, else a 400.

    Control characters include NUL (PostgreSQL text cannot hold it: SQLite would store what PostgreSQL
    refuses) and lone surrogates (not text: they cannot be encoded, stored or hashed). `code` is the one
    code for every refusal when a caller has its own (`invalid_name`); by default a blank required value is
    `missing_field` and anything else `validation_error`."""
    def fail(message: str, default: str) -> ValidationError:
        return ValidationError(f"{field}: {message}", code=code or default, details={"field": field})

    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise fail("is required", "missing_field")
        return None
    if not isinstance(value, str):
        raise fail("must be a string", "validation_error")
    text = " ".join(unicodedata.normalize("NFC", value).split())
    if not text.isprintable():
        raise fail("contains control characters", "validation_error")
    if len(text) > max_len:
        raise fail(f"must be at most {max_len} characters", "validation_error")
    return text


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A text cell a spreadsheet would run as a formula (`=HYPERLINK(...)`, `+cmd|...`) starts with `'`,
    which shows it as text; numbers are left as numbers. For every CSV/XLSX cell people or banks typed."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value
