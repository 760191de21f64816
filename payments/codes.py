"""Payment codes: ``<prefix><9 random digits><2 check digits>`` and finding them in bank memos.

Pure module (no Flask, no database) so it can run on every callback and on million-line statements.
Check digits are ISO 7064 MOD 97-10, which catches every single-digit substitution and every
adjacent transposition; that is what makes the one-edit correction in ``resolve_codes`` safe.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate
from typing import Literal

from kernel.text import is_ascii_digits

DEFAULT_PREFIX = "HS"
BODY_DIGITS = 9
CODE_DIGITS = BODY_DIGITS + 2

# Bank apps split long numbers with these; \s also covers tabs and no-break spaces.
_SEPARATOR = r"[\s._-]"
_SEPARATORS = re.compile(_SEPARATOR)
# People also label the code ("HS: 4088…", "HS#4088…", "HS/4088…"): only between prefix and digits.
_LABEL = r"[\s._:#/-]"
# A bounded gap keeps the scan linear and stops unrelated numbers far away being glued on.
_MAX_GAP = 3
_DIGITS = "0123456789"
_DIGIT_GROUP = re.compile("[0-9]+")
# Đ/đ have no canonical decomposition; Ð (U+00D0, Icelandic eth) is what legacy Vietnamese
# encodings often produce for Đ, so it is read as D too.
_STROKE_D = {ord("Đ"): "D", ord("Ð"): "D"}


@dataclass(frozen=True)
class CodeFound:
    """A code-shaped token in a memo: what was written, and what it can be read as."""

    raw: str
    code: str | None
    neighbours: tuple[str, ...] = ()


@dataclass(frozen=True)
class ResolvedCode:
    """A payment code taken from a memo; ``how`` is "exact" or "corrected"."""

    code: str
    how: Literal["exact", "corrected"]


def check_digits(digits9: str) -> str:
    """Return the two ISO 7064 MOD 97-10 check digits for nine ASCII digits."""
    if not (isinstance(digits9, str) and len(digits9) == BODY_DIGITS and is_ascii_digits(digits9)):
        raise ValueError("check digits need exactly 9 ASCII digits")
    return f"{98 - (int(digits9) * 100) % 97:02d}"


def is_valid_code(code: str, prefix: str = DEFAULT_PREFIX) -> bool:
    """Tell whether ``code`` is exactly prefix + 11 ASCII digits with a verifying check."""
    _require_prefix(prefix)
    if not (isinstance(code, str) and len(code) == len(prefix) + CODE_DIGITS):
        return False
    digits = code[len(prefix):]
    return code.startswith(prefix) and is_ascii_digits(digits) and _verifies(digits)


def new_code(prefix: str = DEFAULT_PREFIX, *, randbelow: Callable[[int], int] = secrets.randbelow) -> str:
    """Return a fresh payment code with 9 digits from a CSPRNG (so codes cannot be walked)."""
    _require_prefix(prefix)
    body = f"{randbelow(10**BODY_DIGITS):0{BODY_DIGITS}d}"
    return prefix + body + check_digits(body)


def normalise_memo(text: str) -> str:
    """Upper-case a memo and strip Vietnamese accents (Đ/đ become D), as every reader of codes in text
    reads it: compatibility forms become their plain letters and digits (full-width `ＨＳ４０…`, which
    IMEs and some bank apps produce), invisible format characters go (zero-width spaces and joiners,
    BOM, soft hyphen, direction marks pasted along with the text) and every dash, the minus sign
    included, reads as '-'. Other scripts' digits (`٣`) stay what they are: not code digits."""
    upper = text.upper()
    if upper.isascii():  # the usual statement line: skip the per-character work
        return upper
    # NFKD = compatibility mapping plus canonical decomposition, so accents split off for the table
    # below; upper() again for the compatibility forms that decompose to lower case (`ｈ` -> `h`).
    return unicodedata.normalize("NFKD", upper).upper().translate(_accent_table())


def compact_code(typed: str) -> str:
    """A code as a person types it (any case, grouped by the separators memos use) in its written form:
    `hs-408810231-60` -> `HS40881023160`, read like a memo (`normalise_memo`: full-width, pasted
    zero-width characters). Nothing is checked: the check digits say whether it is a code."""
    return _SEPARATORS.sub("", normalise_memo(typed))


def scan_memo(memo: str, prefix: str = DEFAULT_PREFIX) -> list[CodeFound]:
    """Find every code-shaped token in a bank memo, in order of appearance, without duplicates."""
    _require_prefix(prefix)
    text = normalise_memo(memo)
    if prefix not in text:
        return []
    # Keyed by the reading, so a code written twice counts once but a token that can be
    # corrected is not swallowed by an earlier, over-long writing of the same digits.
    found: dict[object, CodeFound] = {}
    for match in _token_pattern(prefix).finditer(text):
        token = _read_token(prefix, _DIGIT_GROUP.findall(match.group(1)))
        if token is not None:
            found.setdefault(token.code or token, token)
    return list(found.values())


def codes_it_may_mean(payment_code: str | None, memo: str | None, prefix: str = DEFAULT_PREFIX) -> set[str]:
    """Every code a payment may pay, as crediting reads it: a valid `payment_code` exactly; else the
    code-shaped tokens of the keyed-in code or the memo, verified ones and the valid neighbours of
    mistyped ones (which one is meant is known only against the open requests)."""
    if payment_code and is_valid_code(payment_code, prefix):
        return {payment_code}
    found = scan_memo(payment_code or memo or "", prefix)
    return {t.code for t in found if t.code} | {n for t in found if t.code is None for n in t.neighbours}


def names_exactly(payment_code: str | None, memo: str | None, paid: set[str], prefix: str = DEFAULT_PREFIX) -> bool:
    """Whether a transfer's code (or memo) names exactly the codes `paid` (what its payment paid), read as
    crediting reads it: a verified code as written, a mistyped one as the one paid code among its valid
    neighbours. (`codes_it_may_mean` keeps every neighbour: a mistyped memo never equals what it paid.)"""
    if not paid:
        return False
    if payment_code and is_valid_code(payment_code, prefix):
        return {payment_code} == paid
    found = scan_memo(payment_code or memo or "", prefix)
    read = resolve_codes(found, lambda asked: asked & paid)
    return len(read) == len(found) and {r.code for r in read} == paid


def resolve_codes(
    found: list[CodeFound], open_codes: Callable[[set[str]], set[str]]
) -> list[ResolvedCode]:
    """Keep verified codes and correct failed ones to their unique open neighbour."""
    if all(f.code is not None for f in found):  # the usual memo (every code verified): no lookup, no merging
        return [ResolvedCode(code, "exact") for code in dict.fromkeys(f.code for f in found)]
    asked = set().union(*(f.neighbours for f in found if f.code is None))
    # One lookup for the whole memo; none at all on the common path where every code verified.
    open_now = set(open_codes(asked)) & asked if asked else set()
    resolved: dict[str, str] = {}
    for code, how in _readings(found, open_now):
        if resolved.get(code) != "exact":
            resolved[code] = how  # dicts keep first-seen order; "exact" wins over "corrected"
    return [ResolvedCode(code, how) for code, how in resolved.items()]


def _neighbours_of(raw: str, prefix: str) -> tuple[str, ...]:
    # Every valid code one digit substitution or one adjacent swap away, sorted.
    digits = raw[len(prefix):]
    return tuple(sorted({prefix + d for d in _one_edit_candidates(digits) if _verifies(d)}))


def _readings(found: Iterable[CodeFound], open_now: set[str]) -> Iterator[tuple[str, str]]:
    for token in found:
        if token.code is not None:
            yield token.code, "exact"
            continue
        candidates = [n for n in token.neighbours if n in open_now]
        # Several open neighbours means we cannot tell which citizen paid: leave it to a person.
        if len(candidates) == 1:
            yield candidates[0], "corrected"


def _read_token(prefix: str, groups: list[str]) -> CodeFound | None:
    digits = "".join(groups)
    if len(digits) < CODE_DIGITS:
        return None
    head = digits[:CODE_DIGITS]
    raw = prefix + head
    if _verifies(head):
        return CodeFound(raw, raw)
    if len(digits) > CODE_DIGITS and CODE_DIGITS not in accumulate(map(len, groups)):
        # Too many digits, the first 11 fail and the 11th is inside a group: an insertion could be
        # anywhere, so any "correction" would be a guess that might credit someone else's request.
        # When a group ends at the 11th digit, the code is complete and the rest is a separate
        # number (amount, phone, date) the separator glued on, so the 11 are read as a code.
        return CodeFound(raw, None, ())
    return CodeFound(raw, None, _neighbours_of(raw, prefix))


# 10**k % 97: what each of a code's 11 digits weighs in its remainder, left to right.
_WEIGHTS = tuple(pow(10, CODE_DIGITS - 1 - i, 97) for i in range(CODE_DIGITS))


def _one_edit_candidates(digits: str) -> Iterator[str]:
    """Every adjacent swap of 11 digits, and those of their 99 substitutions that leave remainder 1 mod
    97 (the others all fail `_verifies`; at most one a position passes). Changing digit i by `delta`
    moves the remainder by delta * _WEIGHTS[i]: known without writing each candidate out and dividing
    it, which cost ~0.1 ms a mistyped code."""
    remainder = int(digits) % 97
    for i, (old, weight) in enumerate(zip(map(int, digits), _WEIGHTS, strict=True)):
        for new in range(10):
            if new != old and (remainder + (new - old) * weight) % 97 == 1:
                yield digits[:i] + _DIGITS[new] + digits[i + 1:]
    for i in range(len(digits) - 1):
        if digits[i] != digits[i + 1]:
            yield digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:]


@lru_cache(maxsize=1)
def _accent_table() -> dict[int, str | None]:
    # Built once, on the first accented memo: str.translate in C is ~3x faster than a Python
    # loop over the characters, which matters on million-line statements.
    # Marks (M*) are the split-off accents; format characters (Cf: U+200B..U+200D, U+FEFF, U+00AD,
    # U+2060, bidi marks) are invisible, so a code with one pasted inside reads as written; dashes
    # (Pd: en/em dash, U+2010 hyphen...) and U+2212 MINUS SIGN are the '-' a memo groups digits by.
    table: dict[int, str | None] = {}
    for cp in range(0x110000):
        category = unicodedata.category(chr(cp))
        if category[0] == "M" or category == "Cf":
            table[cp] = None
        elif category == "Pd" and cp != ord("-"):
            table[cp] = "-"
    table[0x2212] = "-"
    return {**table, **_STROKE_D}


@lru_cache(maxsize=16)
def _token_pattern(prefix: str) -> re.Pattern[str]:
    # Separators and digits are disjoint classes, so each character has one reading and the
    # match is linear: no catastrophic backtracking even on 100 kB of "1 1 1 1 ...".
    gap = f"{_SEPARATOR}{{1,{_MAX_GAP}}}"
    return re.compile(f"{re.escape(prefix)}{_LABEL}{{0,{_MAX_GAP}}}([0-9]+(?:{gap}[0-9]+)*)")


def _verifies(digits: str) -> bool:
    # MOD 97-10 check digits run 02..98; 00, 01 and 99 would be second spellings of 97, 98 and 02
    # (the remainder is the same 97 apart), so a code would have two "valid" writings.
    return int(digits) % 97 == 1 and "02" <= digits[-2:] <= "98"


def _require_prefix(prefix: str) -> None:
    if type(prefix) is str and prefix in _GOOD_PREFIXES:  # checked once: this runs for every memo scanned
        return
    ascii_letters = isinstance(prefix, str) and prefix.isascii() and prefix.isalpha()
    if not (ascii_letters and len(prefix) == 2 and prefix.isupper()):
        raise ValueError("a payment-code prefix is exactly 2 uppercase ASCII letters")
    if type(prefix) is str:
        _GOOD_PREFIXES.add(prefix)


_GOOD_PREFIXES: set[str] = set()
