"""Amounts in Vietnamese words, in the formal form receipts and invoices use.

`2_015_000` -> "Hai triệu không trăm mười lăm nghìn đồng". Accounting documents read every
group after the first in full ("không trăm", "linh"), which the colloquial form (and
num2words) leaves out, so this small converter is ours.
"""
from __future__ import annotations

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
GROUPS = ("", "nghìn", "triệu", "tỷ", "nghìn tỷ", "triệu tỷ")


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
    """A non-negative integer in Vietnamese words, lower case."""
    if type(n) is not int or n < 0:
        raise ValueError("a non-negative integer is required")
    if n == 0:
        return "không"
    groups = []
    while n:
        groups.append(n % 1000)
        n //= 1000
    if len(groups) > len(GROUPS):
        raise ValueError("number too large")
    words: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        value = groups[index]
        if value == 0:
            continue
        words += _group(value, full=bool(words))
        if GROUPS[index]:
            words.append(GROUPS[index])
    return " ".join(words)


def amount_in_words(amount_vnd: int) -> str:
    """`150000` -> "Một trăm năm mươi nghìn đồng"."""
    text = number_in_words(amount_vnd)
    return text[0].upper() + text[1:] + " đồng"
