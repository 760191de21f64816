"""Small checks shared by every reader of outside input."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
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
    """Trimmed, NFC-normalised, single-spaced text without invisible format characters (dropped) or control
    characters (refused: a 400).

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
        # Invisible format characters come along with a paste (a zero-width space, a BOM, a soft hyphen, a
        # direction mark from a web form or a chat): they are dropped, as a person reading the text sees it.
        # What is left unprintable is a control character, and refused.
        text = " ".join(_format_characters().sub("", text).split())
        if not text:
            if required:
                raise fail("is required", "missing_field")
            return None
        if not text.isprintable():
            raise fail("contains control characters", "validation_error")
    if len(text) > max_len:
        raise fail(f"must be at most {max_len} characters", "validation_error")
    return text


@lru_cache(maxsize=1)
def _format_characters() -> re.Pattern[str]:
    # Built on the first text that needs it: every format character (Unicode category Cf).
    return re.compile("[" + "".join(re.escape(chr(cp)) for cp in range(0x110000)
                                    if unicodedata.category(chr(cp)) == "Cf") + "]")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """A text cell a spreadsheet would run as a formula (`=HYPERLINK(...)`, `+cmd|...`) starts with `'`,
    which shows it as text; numbers are left as numbers. For every CSV/XLSX cell people or banks typed."""
    return f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_STARTS) else value
