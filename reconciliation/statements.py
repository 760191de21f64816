"""Bank statements as the rest of reconciliation sees them, whatever the file format. Pure.

Every parser (camt.053, MT940, bank CSV/XLSX) reads a binary file object *as a stream* and
yields `StatementLine`s one at a time, filling a `StatementInfo` (account, currency,
balances per day) as it goes; the info is complete once the iteration ends. Anything a parser
cannot read is a `StatementError` with a stable code and the 1-based line number, never an
unexpected exception.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import BinaryIO

from kernel.clock import UTC, VN_TZ
from kernel.errors import ValidationError
from kernel.money import MAX_MONEY_VND
from payments.references import normalise_account, normalise_ref

CREDIT, DEBIT = "credit", "debit"
FORMATS = ("camt053", "mt940", "csv", "xlsx")
# One line is at most the largest sum of real money any part of the service takes (MAX_MONEY_VND,
# as callbacks and refunds). Above it the file is not one we can trust: refused, never credited.
# An account balance may be far larger than one line, but not without bound.
MAX_BALANCE_VND = 10**15
# Statement dates outside these years are a broken file (01/01/0001, 31/12/9999), not history.
FIRST_YEAR, LAST_YEAR = 2000, 2100
_EXCEL_EPOCH = datetime(1899, 12, 30)


class StatementError(ValidationError):
    """A statement file we cannot read; `details` names the line when there is one."""

    code = "invalid_statement"


def statement_error(code: str, message: str, *, line_no: int | None = None, status: int = 400,
                    **details) -> StatementError:
    if line_no is not None:
        details["line_no"] = line_no
        message = f"line {line_no}: {message}"
    return StatementError(message, code=code, status=status, details=details or None)


@dataclass(slots=True)
class StatementLine:
    """One transaction of a statement, in the order of the file (`line_no` is 1-based)."""

    line_no: int
    booking_date: date
    amount_vnd: int
    direction: str  # credit | debit
    memo: str = ""
    bank_ref: str | None = None
    booked_at: datetime | None = None  # when the file gives a time; else the day is all we know
    value_date: date | None = None
    payer_name: str | None = None
    payer_account: str | None = None
    balance_after_vnd: int | None = None
    is_reversal: bool = False
    account: str | None = None  # only when the file names an account per line or per statement
    # A part of a booked entry split into its transactions (a camt.053 batch): (the entry's bank
    # reference, the entry's amount, the part's place in it from 1). The same entry from another
    # format (one MT940 :61:, one CSV row) is one line of the entry's reference and amount.
    batch: tuple[str, int, int] | None = None
    # The references earlier readings of the same line gave it (an MT940 reference cut at 16 characters,
    # `swift._raw_references`; an MT940 customer's reference, `swift._references`): the line an import
    # stored under one of them is this line (`importer.Row.other_keys`).
    earlier_refs: tuple[str | None, ...] = ()
    # An MT940 customer's reference opening the memo of a line without a bank reference: readings before
    # round 17 left it out of the memo (their fingerprints are of the memo without it).
    customer_ref: str | None = None

    @property
    def signed_vnd(self) -> int:
        return self.amount_vnd if self.direction == CREDIT else -self.amount_vnd

    def instant(self) -> datetime:
        """When it was booked: the file's time, else the start of its business day (Hà Nội)."""
        if self.booked_at is not None:
            return self.booked_at
        return datetime.combine(self.booking_date, time.min, tzinfo=VN_TZ).astimezone(UTC)


@dataclass
class DayBalance:
    opening_vnd: int | None = None
    closing_vnd: int | None = None


@dataclass
class StatementInfo:
    """What the file says about itself; complete once its lines have been read."""

    format: str
    profile: str | None = None
    account: str | None = None
    currency: str | None = None
    balances: dict[date, DayBalance] = field(default_factory=dict)
    first_date: date | None = None
    last_date: date | None = None
    lines: int = 0
    # The account the import is for, when named (normalised): a file of several accounts' statements
    # (a camt.053 of all a customer's accounts) gives that one's only.
    wanted_account: str | None = None

    def see(self, line: StatementLine) -> None:
        """Count a line; every parser hands each line here before yielding it."""
        _compose(line)
        if normalise_ref(line.bank_ref) is None:  # a filler ("0", "N/A", NONREF) is no reference, in any format
            line.bank_ref = None
        self.lines += 1
        day = line.booking_date
        if self.first_date is None or day < self.first_date:
            self.first_date = day
        if self.last_date is None or day > self.last_date:
            self.last_date = day

    def set_account(self, account: str | None, line_no: int | None = None) -> None:
        account = normalise_account(account)
        if not account:
            return
        if self.account and self.account != account:
            raise statement_error("mixed_accounts", f"the file holds statements of two accounts ({self.account}, "
                                  f"{account}); send account_number to import one of them, or import one "
                                  "account per file", line_no=line_no)
        self.account = account

    def wants(self, account: str | None) -> bool:
        """Whether a statement of `account` is one to read: any, when no account was named."""
        written = normalise_account(account)
        wanted = self.wanted_account
        return wanted is None or written is None or same_account(written, wanted) or same_account(wanted, written)

    def set_currency(self, currency: str | None, line_no: int | None = None) -> None:
        if not currency:
            return
        currency = currency.strip().upper()
        if currency != "VND":
            raise statement_error("unsupported_currency", f"only VND statements are supported, not {currency}",
                                  line_no=line_no, currency=currency)
        self.currency = currency

    def opening(self, day: date, amount: int) -> None:
        self.balances.setdefault(day, DayBalance())
        if self.balances[day].opening_vnd is None:
            self.balances[day].opening_vnd = amount

    def closing(self, day: date, amount: int) -> None:
        self.balances.setdefault(day, DayBalance()).closing_vnd = amount


def _compose(line: StatementLine) -> None:
    """Text in composed form (NFC): Windows-1258 writes Vietnamese tones as combining marks, and so do
    some exports; "Nguyễn" decomposed is not the "Nguyễn" staff search for or a payer name suggests."""
    if f"{line.memo}{line.payer_name}{line.payer_account}{line.bank_ref}".isascii():
        return  # the usual line (transfer memos are mostly written without accents): one test, not four
    for name in ("memo", "payer_name", "payer_account", "bank_ref"):
        value = getattr(line, name)
        if value and not value.isascii():
            setattr(line, name, unicodedata.normalize("NFC", value))


# The control characters str.split() takes for spaces (VT, FF, FS-US): they stay in the text, so that
# the import refuses them (`importer._check_text`) in every format; other whitespace runs are one space.
_SPLIT_CONTROLS = re.compile(r"[\x0b\x0c\x1c-\x1f]")
_SPACES = re.compile(r"[^\S\x0b\x0c\x1c-\x1f]+")


def single_spaced(text: str | None) -> str | None:
    """A statement's text as one line: each run of whitespace (a line break, a wrapped line's indentation, a
    tab) one space, none at the ends; None when nothing is left. Every format writes text over lines its own
    way (a CSV cell, a pretty-printed `Ustrd`, an indented :86: continuation line): read, the same transfer's
    memo and payer are the same text whichever file brought them."""
    if not text:
        return None
    if " " not in text and text.isprintable():  # no whitespace at all (but the space, all of it is unprintable)
        return text  # as the split below leaves it (a reference, a one-word memo), without the split
    tidy = " ".join(text.split())
    # Unchanged by the split, the text holds no such control (each would have become a space).
    if tidy != text and _SPLIT_CONTROLS.search(text):  # rare: the slower way, which keeps them
        return _SPACES.sub(" ", text).strip(" ") or None
    return tidy or None


def same_account(written: str, ours: str) -> bool:
    """`written` names `ours` (both normalised): equal, ours behind a prefix, or ours without its leading zeros."""
    if written == ours or written.endswith(ours):
        return True
    return written.isdigit() and ours.isdigit() and written.lstrip("0") == ours.lstrip("0") != ""


# --- numbers --------------------------------------------------------------------------

# The currency, however written: `VND`, `₫`, `đ`, or the word (`1.000.000 đồng`, tone-stripped `dong`).
_AMOUNT_CLEAN = re.compile(r"[\s\u00a0\u202f']|VND|VNĐ|₫|đồng|dong|đ|Đ", re.IGNORECASE)
# U+2212, the minus sign some locales' number formats write (`−20.000`): read as the hyphen-minus.
MINUS_SIGN = "\u2212"
# Excel's accounting format shows zero as a dash: in a debit or credit column it means "none".
_ACCOUNTING_ZERO = ("-", "\u2013", "\u2014")
_GROUPED = re.compile(r"\d{1,3}(?:[.,]\d{3})+")
# One sign, around the whole amount: `-11.000`, `+11.000`, `(11.000)`, or SAP's trailing minus `11.000-`;
# never two (`+-11`, `-11-`), a half parenthesis, or a minus inside (`11.000-5`). A trailing minus follows
# a digit: `11.000,-` / `11.000.-` is a whole amount's "no cents" dash (German, Swiss prices), no sign.
_SIGNED = re.compile(r"(?P<lead>[+-])?(?P<body>[0-9.,]+)|(?P<body2>[0-9.,]*[0-9])(?P<trail>-)"
                     r"|(?P<open>\()(?P<body3>[0-9.,]+)\)")
# The side written with the amount, before or after it (spaces already cleaned away): `1,000,000 CR`,
# `DR 15.000`, abbreviated with a dot (`1,000,000 Cr.`, `Dr. 15.000`), a dot that is the mark's, not the
# amount's, or in parentheses (`1.000.000 (CR)`, `(DR) 15.000`): the mark's, not a negative amount's.
# Only the two-letter marks: a lone `D` may be "đ" typed without its accent.
_MARK = r"(?:CR|DR)\.?|\((?:CR|DR)\.?\)"
_MARKED = re.compile(rf"(?P<before>{_MARK})(?P<rest>.+)|(?P<rest2>.+?)(?P<after>{_MARK})", re.IGNORECASE)

# The amounts nearly every row holds (`150.000`, `1,250,000`, `30000`): unsigned ASCII digits, grouped
# by threes under one separator or not at all. The rules below read such text as its digits, so it is
# read so at once, without their cleaning and guesses (a quarter of a large import's parse). Anything
# else, however common, goes through the rules: they define an amount (test_parse_fast_paths compares).
_PLAIN_AMOUNT = re.compile(r"[0-9]+|[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]{1,3}(?:,[0-9]{3})+")
_plain_amounts: dict[str, int] = {}  # plain text -> its value, read within a maximum (a line's amounts, bounded)


def parse_amount(text: object, *, line_no: int | None = None, field_name: str = "amount",
                 maximum: int | None = None, side: str | None = None) -> int | None:
    """A VND amount as banks print it -> int; None for an empty cell.

    Dot- or comma-grouped (`1.000.000`, `1,000,000`), with or without a zero fraction
    (`30000,00`, `1,000,000.00`), negative with `-` before or after it (`11.000-`, as SAP-based exports
    write it) or in parentheses, or marked `DR` before or after it (`15,000 DR`, `Dr. 15.000`, `15.000 (DR)`;
    `CR` is positive); a lone dash is Excel's accounting zero (empty). VND has no minor unit, so a non-zero fraction is an
    error rather than something to round. Above `maximum` (the line cap, or the balance cap for a
    field named "balance") is `amount_out_of_range`. `side`: the column's (a debit or credit column);
    a mark naming the other side contradicts it (`unknown_direction`).
    """
    if maximum is None:
        maximum = MAX_BALANCE_VND if field_name == "balance" else MAX_MONEY_VND
    if text is None:
        return None
    if isinstance(text, bool):
        raise statement_error("invalid_amount", f"{field_name} is not an amount", line_no=line_no)
    if isinstance(text, int):
        return _in_range(text, line_no, field_name, maximum)
    if isinstance(text, float):
        if math.isinf(text):  # a spreadsheet's 1e400: no fraction, only too large
            raise _above_limit(f"{field_name} {text}", line_no, maximum)
        # Excel keeps 15 significant digits: a formula's binary noise past them (`=0.1*3*100000` is stored as
        # 30000.000000000004) is not in the amount the sheet shows; a fraction within them is refused.
        shown = float(f"{text:.15g}") if text == text and not text.is_integer() else text
        if shown != shown or not shown.is_integer():
            raise statement_error("invalid_amount", f"{field_name} {text!r} has a fraction of a đồng",
                                  line_no=line_no)
        return _in_range(int(shown), line_no, field_name, maximum)
    if type(text) is str:
        value = _plain_amounts.get(text)  # a statement's amounts repeat (the fees): each text read once
        if value is not None and value <= maximum:
            return value
        if _PLAIN_AMOUNT.fullmatch(text):
            value = _in_range(_whole(text.replace(".", "").replace(",", ""), line_no, field_name, maximum),
                              line_no, field_name, maximum)
            if len(_plain_amounts) < 10_000 and field_name != "balance":  # a balance is a new text each row
                _plain_amounts[text] = value
            return value
    raw = str(text)
    if not raw.isascii():
        raw = unicodedata.normalize("NFC", raw)  # "đồng" with its tones as combining marks (Windows-1258)
        raw = raw.replace(MINUS_SIGN, "-")  # the typographic minus of exports formatted for print
    raw = _AMOUNT_CLEAN.sub("", raw)
    if not raw or raw in _ACCOUNTING_ZERO:
        return None
    raw, mark = _peel_mark(raw)
    signed = _SIGNED.fullmatch(raw)
    if signed and mark and (signed["lead"] or signed["trail"] or signed["open"]):
        signed = None  # two signs (`-1.000 CR`): which one the bank meant is a guess
    digits = _digits_of_amount(signed["body"] or signed["body2"] or signed["body3"]) if signed else None
    if digits is None:
        body = (signed["body"] or signed["body2"] or signed["body3"]) if signed else ""
        why = "has a fraction of a đồng" if _cents_only(body) else "is not an amount"
        raise statement_error("invalid_amount", f"{field_name} {str(text)[:40]!r} {why}", line_no=line_no)
    if mark is not None and side is not None and mark != side:
        raise statement_error("unknown_direction", f"the {field_name} column's amount {str(text)[:40]!r} is marked "
                              f"as a {mark}", line_no=line_no, marker=str(text)[:40])
    value = _whole(digits, line_no, field_name, maximum)
    negative = signed["lead"] == "-" or bool(signed["trail"] or signed["open"]) or mark == DEBIT
    return _in_range(-value if negative else value, line_no, field_name, maximum)


def _peel_mark(raw: str) -> tuple[str, str | None]:
    """(the rest, credit | debit) of a cleaned amount written with its side (`1,000,000CR`, `DR15.000`);
    (raw, None) without one."""
    marked = _MARKED.fullmatch(raw)
    if marked is None:
        return raw, None
    mark = (marked["before"] or marked["after"]).strip("(.)").upper()
    return marked["rest"] or marked["rest2"], CREDIT if mark == "CR" else DEBIT


_DECIMALS = {mark: re.compile(rf"\s*(\+?)([0-9]*)(?:{re.escape(mark)}([0-9]*))?\s*") for mark in ".,"}


def parse_decimal(text: object, *, mark: str, max_fraction: int | None = None, line_no: int | None = None,
                  field_name: str = "amount", maximum: int | None = None) -> int | None:
    """An amount as a standard writes it: digits, `mark` before an optional fraction, no grouping
    and no sign -> int; None for an empty one. camt.053's xs:decimal has the dot (`1.000` is one
    đồng, `30000.000` is 30,000), SWIFT's MT940 the comma (`30000,`), so the guess `parse_amount`
    makes for bank CSVs (`1.000` as a thousand) never applies to them. A fraction must be zero
    (VND has no minor unit); `max_fraction` bounds its digits (MT940: `30,000` is no VND amount)."""
    if maximum is None:
        maximum = MAX_BALANCE_VND if field_name == "balance" else MAX_MONEY_VND
    if text is None or not str(text).strip():
        return None
    match = _DECIMALS[mark].fullmatch(str(text))
    if match is None or not (match[2] or match[3]):
        raise statement_error("invalid_amount", f"{field_name} {str(text)[:40]!r} is not an amount (digits, "
                              f"{mark!r} before a fraction, no grouping)", line_no=line_no)
    fraction = match[3] or ""
    if fraction.strip("0") or (max_fraction is not None and len(fraction) > max_fraction):
        raise statement_error("invalid_amount", f"{field_name} {str(text)[:40]!r} has a fraction of a đồng",
                              line_no=line_no)
    return _in_range(_whole(match[2] or "0", line_no, field_name, maximum), line_no, field_name, maximum)


def _digits_of_amount(raw: str) -> str | None:
    """The digits of the whole đồng an amount's body writes (`1.000,00` -> `1000`), None for no amount."""
    if not raw.isascii():
        return None  # Unicode digits ("¹", "٣") are not a bank's amount
    if raw.isdigit():
        return raw
    if not raw or any(ch not in ".," for ch in raw if not ch.isdigit()):
        return None
    position = max(raw.rfind("."), raw.rfind(","))
    separator, head, tail = raw[position], raw[:position], raw[position + 1:]
    other = "," if separator == "." else "."
    # The last separator is a decimal point when both kinds appear (`30.000,00`), or when it
    # appears once without three digits after it (`30000,00`, MT940's `30000,`).
    if other in head or (raw.count(separator) == 1 and len(tail) != 3):
        if tail and (not tail.isdigit() or tail.strip("0")):
            return None  # a fraction of a đồng, or junk
        raw = head
        if raw.isdigit():
            return raw
    if _GROUPED.fullmatch(raw) and len({ch for ch in raw if not ch.isdigit()}) == 1:
        return raw.replace(".", "").replace(",", "")
    return None


def _cents_only(body: str) -> bool:
    """Whether an amount body refused by `_digits_of_amount` is an amount but for a fraction that is not zero
    (`1.000.000,50`, `1,5`): with its fraction's digits zeroed it is read. The refusal then says so, as it does
    for a spreadsheet number (`1000000.5`), rather than that the text is no amount at all."""
    position = max(body.rfind("."), body.rfind(","))
    tail = body[position + 1:]
    return position > 0 and tail.isdigit() and bool(tail.strip("0")) and \
        _digits_of_amount(body[:position + 1] + "0" * len(tail)) is not None


# Digits no amount has: a number longer is refused by its length, before int() reads it. Far above
# any limit (MAX_BALANCE_VND has 16 digits), so a number just above one is still refused with its value.
_MAX_DIGITS = 30


def _whole(digits: str, line_no: int | None, field_name: str, maximum: int) -> int:
    """ASCII digits -> int. Longer than _MAX_DIGITS is `amount_out_of_range` at once: int() refuses text
    of more than 4,300 digits with a bare ValueError (an upload's 500), and thousands of digits are not
    worth reading nor echoing in the refusal. Leading zeros are no digits of the amount (`000030000` is
    30,000, however many zeros)."""
    significant = digits.lstrip("0")
    if len(significant) > _MAX_DIGITS:
        raise _above_limit(f"{field_name} of {len(significant):,} digits", line_no, maximum)
    return int(significant or "0")


def _in_range(value: int, line_no: int | None, field_name: str, maximum: int) -> int:
    if abs(value) > maximum:
        # A spreadsheet's number cell may hold an int of up to 4,300 digits: not worth echoing.
        shown = f"{value:,} VND" if abs(value) < 10 ** _MAX_DIGITS else f"of more than {_MAX_DIGITS} digits"
        raise _above_limit(f"{field_name} {shown}", line_no, maximum)
    return value


def _above_limit(what: str, line_no: int | None, maximum: int) -> StatementError:
    """The one refusal of an amount too large, whatever tells it (digits counted, value, infinity)."""
    return statement_error("amount_out_of_range", f"{what} is above the limit of {maximum:,} VND",
                           line_no=line_no, maximum=maximum)


# --- dates ----------------------------------------------------------------------------

_DATE = re.compile(
    r"\s*(?:(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{4}|\d{2})"
    r"|(?P<Y>\d{4})[/.\-](?P<M>\d{1,2})[/.\-](?P<D>\d{1,2})"
    r"|(?P<dd>\d{1,2})[/.\- ]?(?P<name>[A-Za-z]{3,9})[/.\- ]?(?P<yy>\d{4}|\d{2})"
    r"|(?P<Y8>\d{4})(?P<M8>\d{2})(?P<D8>\d{2}))"
    r"(?:(?:[ T]+|\s+(?:[-,]\s*)?|,\s*)(?P<H>\d{1,2}):(?P<I>\d{2})(?::(?P<S>\d{2}))?(?:\.\d+)?"
    r"(?:\s*(?P<P>[AaPp]\.?[Mm]\.?|SA|CH|sa|ch)|(?P<Z>Z|[+\-]\d{2}:?\d{2}))?)?\s*$")
_PM = ("p", "c")  # PM, CH (chiều)
# Core-banking exports write `20261124` (YYYYMMDD, the `Y8` branch above): read only in a column headed as a
# date, so a reference or an amount of eight digits stays what it is; the year check refuses `26112024`.
# A weekday may come first (`T3, 24/11/2026`, `Thứ Ba, 24/11/2026`, `CN 29/11/2026`, `Tue, 24/11/2026`): it
# must be the date's own weekday, else the day and month may have been read the wrong way round. Such a cell
# is a date, not a label (`Thứ Ba, ngày 24/11/2026` is no `Hà Nội, ngày …`: `tabular`).
_WEEKDAY = re.compile(r"\s*(?:(?:thứ|thu|t)\.?\s*(?P<n>[2-7])(?!\d)|(?P<vi>chủ nhật|cn|thứ (?:hai|ba|tư|năm|sáu|bảy))"
                      r"|(?P<en>mon|tue|wed|thu|fri|sat|sun)[a-z]*)\.?\s*(?:,\s*|\s+|-\s*)"
                      r"(?:(?:ngày|ngay)\s+)?(?=\d)", re.IGNORECASE)
_VI_WEEKDAYS = {"thứ hai": 0, "thứ ba": 1, "thứ tư": 2, "thứ năm": 3, "thứ sáu": 4, "thứ bảy": 5, "chủ nhật": 6, "cn": 6}
_EN_WEEKDAYS = {name: number for number, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))}
# The time may come before the date (`10:15:30 24/11/2026`), and a cell may put them on two lines or part
# them with a dash or a comma (`24/11/2026\n10:15:30`, `24/11/2026 - 10:15`), as exports print a wrapped
# "Ngày giờ" cell: read as the date then its time (such cells were invalid_date, the file refused whole).
_TIME_FIRST = re.compile(r"\s*(\d{1,2}:\d{2}(?::\d{2})?(?:\s*(?:[AaPp]\.?[Mm]\.?|SA|CH|sa|ch))?)"
                         r"(?:\s+(?:[-,]\s*)?|,\s*)(\d.*?)\s*$", re.DOTALL)
# A month written by its English name, as foreign banks' exports do (`24-Nov-2026`, `24 NOV 26`): its
# three-letter abbreviation or its whole name, any case; day first, as every date here.
MONTHS = {name: number for number, full in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"), start=1) for name in (full, full[:3])} | {"sept": 9}
_STAMP = re.compile(r"\s*(\d{8})(\d{2})(\d{2})(\d{2})\s*")  # YYYYMMDDHHMMSS, a core-banking timestamp
_SERIAL_TEXT = re.compile(r"\s*\d{5}(?:\.\d+)?\s*")  # 2000-2100 are serials 36526-73415
_date_cache: dict[str, tuple[date, time | None]] = {}


def parse_local_date(value: object, *, line_no: int | None = None, field_name: str = "date",
                     serial_text: bool = True) -> tuple[date, datetime | None]:
    """`24/11/2026`, `24-11-2026 07:01:30`, `2026-11-24`, `24-Nov-2026`, `24/11/2026 02:15 PM`, an ISO 8601 instant
    (`2026-11-24T03:15:00Z`, `…+07:00`: its Hà Nội day), a spreadsheet date or an Excel serial number
    -> (day, instant?).

    Day first, as Vietnamese banks print dates; times are Asia/Ho_Chi_Minh. A year outside
    2000-2100 is `invalid_date`. `serial_text`: whether five digits as text may be an Excel serial (a
    workbook's date cell formatted as text); in a CSV's text they are no date a bank prints (`invalid_date`).
    """
    if type(value) is str:  # the usual cell, a date text seen on an earlier row: read once a file (or process)
        cached = _date_cache.get(value)
        # A text read as a date is never an Excel serial's five digits (those are no date as text): the cached
        # reading is the one below whatever `serial_text` says.
        if cached is not None:
            return cached if cached[1] is None else \
                (cached[0], datetime.combine(cached[0], cached[1], tzinfo=VN_TZ).astimezone(UTC))
    if serial_text and isinstance(value, str) and _SERIAL_TEXT.fullmatch(value):
        value = float(value)  # a date cell formatted as text holds its Excel serial (`46350`, `46350.4375`)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # A number of eight or fourteen digits is a core-banking date (`20261124`) or timestamp
        # (`20261124101530`); Excel serials stop at seven digits.
        is_stamp = (10**7 <= value < 10**8 or 10**13 <= value < 10**14) and value == int(value)
        value = str(int(value)) if is_stamp else _excel_serial(value, line_no, field_name)
    if isinstance(value, datetime):
        # The year is checked as written, before moving zones: 9999-12-31T23:59-12:00 in Hà Nội time
        # is past the last date Python can hold (OverflowError, not a typed error).
        check_year(value.date(), line_no, field_name)
        local = value if value.tzinfo else value.replace(tzinfo=VN_TZ)
        has_time = value.time() != time.min
        day = local.astimezone(VN_TZ).date()
        return check_year(day, line_no, field_name), local.astimezone(UTC) if has_time else None
    if isinstance(value, date):
        return check_year(value, line_no, field_name), None
    text = str(value) if value is not None else ""
    cached = _date_cache.get(text)
    if cached is None:
        cached = _read_date(text, line_no, field_name)
        if len(_date_cache) < 100_000:
            _date_cache[text] = cached
    day, clock = cached
    if clock is None:
        return day, None
    return day, datetime.combine(day, clock, tzinfo=VN_TZ).astimezone(UTC)


def nearest_year(month: int, day: int, near: date) -> date | None:
    """The date of `day`/`month` (written without its year) nearest to `near`: `02/01` near 31/12/2026 is
    2 January 2027. None when no year around `near` has that day (`31/02`)."""
    candidates = []
    for year in (near.year - 1, near.year, near.year + 1):
        try:
            candidates.append(date(year, month, day))
        except ValueError:
            continue
    return min(candidates, key=lambda d: abs((d - near).days)) if candidates else None


def check_year(day: date, line_no: int | None = None, field_name: str = "date") -> date:
    """`day` if its year is one a statement can have, else `invalid_date`."""
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise statement_error("invalid_date", f"{field_name} {day.isoformat()} is outside {FIRST_YEAR}-{LAST_YEAR}",
                              line_no=line_no)
    return day


def excel_fraction_of_day(value: float, line_no: int | None = None, field_name: str = "time") -> time:
    """An Excel time cell stored as a number (0.5 = 12:00): the fraction of a day."""
    if not math.isfinite(value) or value < 0:
        raise statement_error("invalid_date", f"{field_name} {value!r} is not a time", line_no=line_no)
    seconds = round((value % 1) * 86400)
    seconds = min(seconds, 86399)
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60)


def _excel_serial(value: float, line_no: int | None, field_name: str) -> datetime:
    if not math.isfinite(value) or not 1 <= value < 2_958_466:  # beyond 9999-12-31
        raise statement_error("invalid_date", f"{field_name} {value!r} is not a date", line_no=line_no)
    day = _EXCEL_EPOCH + timedelta(days=int(value))
    return datetime.combine(day.date(), excel_fraction_of_day(value, line_no, field_name))


# A weekday after the date, as some exports print it (`24/11/2026 (T3)`, `24/11/2026 - Thứ Ba`,
# `24/11/2026 - Thứ 3`, `24/11/2026 Tue`). The words after the date start with a letter and may hold the
# weekday's number; `weekday_before` then decides whether they are a weekday at all.
_WEEKDAY_AFTER = re.compile(r"(?P<date>.*?\d)\s*(?:\(\s*(?P<p>[^()]{1,12}?)\s*\)"
                            r"|[,\-]?\s*(?P<w>[^\W\d_][^()]{0,11}?))\s*$", re.DOTALL)
# A text ending with a numbered weekday (`… Thứ 3`, `… T.3`) ends with a digit, as a date or a time does.
_NUMBERED_WEEKDAY_END = re.compile(r"(?:thứ|thu|t)\.?\s*[2-7]\s*$", re.IGNORECASE)
# `Ngày 24/11/2026`: the word before the date, as a printed statement writes it (`Ngày in: …` is no date).
_DAY_WORD = re.compile(r"\s*ng[àa]y\s+(?=\d)", re.IGNORECASE)


def _read_date(text: str, line_no: int | None, field_name: str) -> tuple[date, time | None]:
    weekday, text = weekday_before(_DAY_WORD.sub("", text, count=1) if text.lstrip()[:1] in ("N", "n") else text)
    if weekday is None:
        weekday, text = _weekday_after(text)
    day, clock = _read_date_only(text, line_no, field_name)
    if weekday is not None and day.weekday() != weekday:
        raise statement_error("invalid_date", f"{field_name} {text[:40]!r} is not on the weekday written with it",
                              line_no=line_no)
    return day, clock


def weekday_before(text: str) -> tuple[int | None, str]:
    """(Monday = 0 …, the rest of the text) when the text starts with a weekday, else (None, the text)."""
    written = unicodedata.normalize("NFC", text)  # Windows-1258 writes tones as combining marks
    match = _WEEKDAY.match(written)
    if match is None:
        return None, text
    if match["n"]:
        weekday = int(match["n"]) - 2  # Thứ 2 (T2) is Monday
    elif match["vi"]:
        weekday = _VI_WEEKDAYS[" ".join(match["vi"].lower().split())]
    else:
        weekday = _EN_WEEKDAYS[match["en"].lower()]
    return weekday, written[match.end():]


def _weekday_after(text: str) -> tuple[int | None, str]:
    """(Monday = 0 …, the date before it) when the text ends with a weekday (in parentheses or after a space,
    a comma or a dash), else (None, the text)."""
    ends_with_a_word = text[-1:].isalpha() or text[-1:] == ")" or _NUMBERED_WEEKDAY_END.search(text[-8:])
    match = _WEEKDAY_AFTER.fullmatch(text) if ends_with_a_word else None
    if match is None:
        return None, text
    weekday, rest = weekday_before(f"{match['p'] or match['w']} 0")
    return (weekday, match["date"]) if weekday is not None and rest == "0" else (None, text)


def _read_date_only(text: str, line_no: int | None, field_name: str) -> tuple[date, time | None]:
    if (stamp := _STAMP.fullmatch(text)) is not None:
        text = f"{stamp[1]} {stamp[2]}:{stamp[3]}:{stamp[4]}"
    match = _DATE.match(text)
    if match is None and (time_first := _TIME_FIRST.fullmatch(text)) is not None:
        match = _DATE.match(f"{time_first[2]} {time_first[1]}")
    if match is None:
        raise statement_error("invalid_date", f"{field_name} {text[:40]!r} is not a date (dd/mm/yyyy)",
                              line_no=line_no)
    g = match.groupdict()
    year_text = g["y"] or g["Y"] or g["yy"] or g["Y8"]
    year = int(year_text) + (2000 if len(year_text) == 2 else 0)  # "0001" is year 1, not 2001
    month = MONTHS.get(g["name"].lower()) if g["name"] else int(g["m"] or g["M"] or g["M8"])
    if month is None:
        raise statement_error("invalid_date", f"{field_name} {text[:40]!r} names no month", line_no=line_no)
    try:
        day = date(year, month, int(g["d"] or g["D"] or g["dd"] or g["D8"]))
        clock = time(_hour(g), int(g["I"]), int(g["S"] or 0)) if g["H"] else None
        if clock is not None and g["Z"]:  # an ISO 8601 instant (`…T03:15:00Z`, `…+07:00`): its Hà Nội day and time
            local = datetime.combine(check_year(day, line_no, field_name), clock, _offset(g["Z"])).astimezone(VN_TZ)
            day, clock = local.date(), local.time()
    except ValueError as exc:
        raise statement_error("invalid_date", f"{field_name} {text[:40]!r} is not a valid date",
                              line_no=line_no) from exc
    return check_year(day, line_no, field_name), clock


def _offset(text: str) -> timezone:
    if text == "Z":
        return UTC
    digits = text[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:])
    if minutes >= 24 * 60:
        raise ValueError("a UTC offset is less than a day")
    return timezone(timedelta(minutes=-minutes if text[0] == "-" else minutes))


def _hour(g: dict) -> int:
    hour, marker = int(g["H"]), g["P"]
    if marker is None:
        return hour
    if not 1 <= hour <= 12:
        raise ValueError("a 12-hour clock runs from 1 to 12")
    return hour % 12 + (12 if marker[0].lower() in _PM else 0)


# --- format detection -----------------------------------------------------------------

_MT940_HINT = re.compile(rb"(^|[\r\n{])(:20:|:25:|\{1:F01|\{4:)")
# A web page, as some banks' "Excel" exports are (an HTML table named .xls): never an XML statement.
_HTML = re.compile(rb"<(?:!doctype\s+html|html|head|body|table|meta)\b", re.IGNORECASE)


def detect_format(head: bytes) -> str:
    """Guess the format from the first bytes of a file."""
    _check_not_blank(head)
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise statement_error("unsupported_format", "old Excel (.xls) files are not read: save as .xlsx or CSV",
                              status=415)
    body = _ascii_view(head).lstrip(b" \t\r\n")
    if body.startswith(b"%PDF-"):
        raise statement_error("unsupported_format", "PDF statements are not read: export the statement as "
                              "CSV, .xlsx, MT940 or camt.053", status=415)
    if _HTML.match(body):
        raise statement_error("unsupported_format", "this is a web page (an export saved as .xls), not a "
                              "statement file we read: open it in Excel and save it as .xlsx or CSV", status=415)
    if body.startswith(b"<"):
        return "camt053"
    if _MT940_HINT.search(body) and b":61:" in body or body.startswith((b"{1:", b":20:")):
        return "mt940"
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")) and utf16_without_bom(head) is None:
        raise statement_error("unsupported_format", "this is not a statement file we can read (binary data)",
                              status=415)
    return "csv"


def _check_not_blank(head: bytes) -> None:
    """A file of blanks, or of a byte-order mark and blanks, is empty (not a CSV missing its columns)."""
    if not _ascii_view(head).strip():
        raise statement_error("empty_file", "the file is empty")


def _ascii_view(head: bytes) -> bytes:
    """The head without its byte-order mark; UTF-16 text (with a BOM or without) narrowed to its ASCII bytes."""
    if head.startswith(b"\xef\xbb\xbf"):
        return head[3:]
    for bom, codec in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"), (b"", utf16_without_bom(head))):
        if codec is not None and head.startswith(bom):
            sample = head[len(bom):len(head) - len(head) % 2]
            return sample.decode(codec, errors="replace").encode("ascii", errors="replace")
    return head


def utf16_without_bom(head: bytes) -> str | None:
    """`utf-16-le` or `utf-16-be` for UTF-16 text written without its byte-order mark (as some exporters
    write "Unicode" text), else None. Told by its zero bytes: every ASCII character (digits, separators,
    most of a header) has one, all on the same side of the pair, and Vietnamese letters have none
    (U+1Exx, U+00xx) on the other side. Read as UTF-8 such a file was "binary data"."""
    sample = head[:4096 - 4096 % 2] if len(head) >= 4096 else head[:len(head) - len(head) % 2]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    if odd * 2 > half and even == 0:
        return "utf-16-le"
    if even * 2 > half and odd == 0:
        return "utf-16-be"
    return None


def parse_statement(source: BinaryIO, fmt: str | None = None, *, profile: str | None = None,
                    account: str | None = None) -> tuple[StatementInfo, Iterator[StatementLine]]:
    """(info, lines) for a seekable binary file; `fmt` is detected when not given. Each format's parser is
    imported when a file of it comes (they import this module; MT940's brings a library a CSV does not need).
    `account`: the account the import is for, if named (a camt.053 of several accounts gives its statement)."""
    head = source.read(8192)
    source.seek(0)
    fmt = fmt or detect_format(head)
    if fmt not in FORMATS:
        raise statement_error("unsupported_format", f"format must be one of {', '.join(FORMATS)}", status=415)
    _check_not_blank(head)
    info = StatementInfo(format=fmt, wanted_account=normalise_account(account))
    if fmt == "camt053":
        from reconciliation import camt053
        return info, camt053.parse(source, info)
    if fmt == "mt940":
        from reconciliation import swift
        return info, swift.parse(source, info)
    if fmt == "xlsx":
        from reconciliation import workbook
        return info, workbook.parse_xlsx(source, info, profile=profile)
    from reconciliation import tabular
    return info, tabular.parse_csv(source, info, profile=profile)
