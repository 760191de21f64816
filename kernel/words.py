"""Amounts in Vietnamese words, in the formal form receipts and invoices use.

`2_015_000` -> "Hai triệu không trăm mười lăm nghìn đồng". Accounting documents read every
group after the first in full ("không trăm", "linh"), which the colloquial form (and
num2words) leaves out, so this small converter is ours.
"""
from __future__ import annotations

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
# Groups below a tỷ. Above it the tỷ groups nest: 10^12 is "một nghìn tỷ" and 1,001 × 10^9 "một
# nghìn không trăm linh một tỷ", so what stands above a tỷ is read as a number of its own (a fixed
# "nghìn tỷ" group read it as "một nghìn tỷ không trăm linh một tỷ").
GROUPS = (("triệu", 10**6), ("nghìn", 10**3), ("", 1))
TY = 10**9
LIMIT = 10**18  # a tỷ of tỷ: no amount of money comes near


def _group(value: int, full: bool) -> list[str]:
    """Read a 3-digit group; `full` reads a zero hundreds digit ("không trăm")."""
    hundreds, tens, units = value // 100, value // 10 % 10, value % 10
    words: list[str] = []
    if full or hundreds:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units:
            words += (["linh"] if words else []) + [DIGITS[units]]
        return words
    words += ["mười"] if tens == 1 else [DIGITS[tens], "mươi"]
    if units == 1 and tens > 1:
        words.append("mốt")
    elif units == 5:
        words.append("lăm")
    elif units:
        words.append(DIGITS[units])
    return words


def number_in_words(n: int) -> str:
    """A non-negative integer below 10^18 in Vietnamese words, lower case."""
    if type(n) is not int or n < 0:
        raise ValueError("a non-negative integer is required")
    if n >= LIMIT:
        raise ValueError("number too large")
    return " ".join(_words(n, full=False)) if n else "không"


def _words(n: int, full: bool) -> list[str]:
    """`n` > 0 read by tỷ: the part above a tỷ as a number of its own then "tỷ", then the rest;
    `full` reads the leading group's zero hundreds too (it follows higher groups)."""
    above, below = divmod(n, TY)
    words = _words(above, full) + ["tỷ"] if above else []
    for name, size in GROUPS:
        value = below // size % 1000
        if value:
            words += _group(value, full=full or bool(words))
            if name:
                words.append(name)
    return words


def amount_in_words(amount_vnd: int) -> str:
    """`150000` -> "Một trăm năm mươi nghìn đồng"."""
    text = number_in_words(amount_vnd)
    return text[0].upper() + text[1:] + " đồng"
