"""SWIFT MT940 customer statements. Pure, streaming.

The `mt-940` package parses a whole file held in memory; we read the file line by line instead, group lines into
tags ourselves, and use `mt-940`'s maintained `:61:` pattern for the statement line (value date, entry date,
R?[DC] mark, amount, type, references). One file may hold several messages (one per day) of the same account,
with or without the SWIFT envelope (`{1:...}{4:` ... `-}`), parted by RJE's `$` or not, and with a bank's
download header lines before the first tag. `:86:` is the memo; structured `?20`-`?29` sub-fields are joined as
one text (a full sub-field goes on in the next without a separator, a shorter one ends a word), with or without
the transaction code before them (`166?20…`, `?20…`); `?32`/`?33` give the payer's name and `?31` the account.
`:NS:` (bank-specific) is read past. Only final balances (`:60F:`, `:62F:`) are the day's opening and closing; intermediate ones (`:60M:`,
`:62M:`, a statement split over several messages or files) are not, but for a `:60M:` dated before its message's
lines. An opening is the opening of its message's first booking day, whatever its own date (`_Message.finish`).
A file with neither a `:61:` nor a day's balance is refused by the import (`importer._refuse_empty`, every format).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import BinaryIO

from mt940.tags import Statement as _Tag61

from payments.references import normalise_ref
from reconciliation.statements import (CREDIT, DEBIT, StatementInfo, StatementLine, nearest_year, normalise_account,
                                       parse_decimal, single_spaced, statement_error)
from reconciliation.textfile import text_lines

_TAG = re.compile(r"^:(\d{2}[A-Z]?|NS):[ \t]*(.*)$")  # some banks put a space after the tag (`:61: 2611…`)
_ACCOUNT_CURRENCY = re.compile(r"^(?P<account>.*\d)\s*(?P<currency>[A-Z]{3})$")  # :25:0071001234567VND
_ENVELOPE = re.compile(r"^(\{[1-3]:[^}]*\})*\{4:\s*")
# SWIFT's RJE files part their messages with a `$`: on a line of its own, before the next message's
# envelope (`${1:…`) or after the last one's end (`-}$`, `-$`). Never a `$` inside a tag's text.
_RJE_SEPARATOR = re.compile(r"^\$(?=\{|\s*$)|(?<=[-}])\$\s*$")
# A message's end: its text block's `-}` and trailer (`{5:{CHK:…}}`), then RJE's `$`; the next message's
# envelope may follow on the same line (`-}{1:…}{2:…}{4:`), even its first tag.
_MESSAGE_END = re.compile(r"(?:-\}(?:\{5:(?:\{[^{}]*\})*\})?|\{5:(?:\{[^{}]*\})*\})\$?")
_BALANCE = re.compile(r"^(?P<mark>[DC])(?P<date>\d{6})(?P<currency>[A-Z]{3})(?P<amount>[0-9,.]{1,17})\s*$")
_STATEMENT_LINE = _Tag61().re
_SUBFIELD = re.compile(r"\?(\d{2})")
_SUBFIELD_BREAK = re.compile(r"\n(?=\?\d{2})")
# A structured :86: opens with its transaction code (`166?00…`), or, as some banks write it, straight with
# its first sub-field (`?20…`): either way `?NN` codes, never memo text.
_STRUCTURED = re.compile(r"\d{3}\?|\?\d{2}")
WRAP_WIDTH = 65  # :86: lines are cut at 65 characters: a full line continues mid-word
SUBFIELD_WIDTH = 27  # each ?20-?29, ?60-?63, ?32/?33 sub-field holds 27 characters: a full one goes on mid-word


@dataclass
class _Tag:
    name: str
    value: str
    file_line: int


def _tags(source: BinaryIO) -> Iterator[_Tag]:
    current: _Tag | None = None
    # The current tag's text as its lines (joined once it ends): added to a string a line at a time, a tag of
    # many lines (a :86: of a 20 MB upload's 500,000) took time quadratic in its size, the import hanging for hours.
    parts: list[str] = []
    tail = 0
    started = False
    for number, raw in enumerate(text_lines(source), start=1):
        line = _RJE_SEPARATOR.sub("", raw) if "$" in raw else raw
        ended, line = _after_message_end(line)
        if ended and current:
            yield _joined(current, parts)
            current = None
        line = _ENVELOPE.sub("", line) if line.startswith("{") else line
        match = _TAG.match(line)
        if match:
            if current:
                yield _joined(current, parts)
            current = _Tag(match.group(1), match.group(2), number)
            parts, tail = [current.value], len(current.value)
            started = True
        elif current is not None and line.strip():
            # `tail`: the text since the tag's last line break, as the joined text had it (memos, and the keys of
            # lines without a bank reference, read as before).
            if current.name == "86" and tail >= WRAP_WIDTH:
                parts.append(line)
                tail += len(line)
            else:
                parts.append(f"\n{line}")
                tail = len(line)
        elif line.strip() and not line.startswith("{") and started:
            raise statement_error("malformed_mt940", f"text outside any tag: {line[:40]!r}", file_line=number)
    if current:
        yield _joined(current, parts)


def _joined(tag: _Tag, parts: list[str]) -> _Tag:
    """`tag` with its text: its lines, each after a line break but a :86: line that goes on a full one."""
    tag.value = "".join(parts)
    return tag


def _after_message_end(line: str) -> tuple[bool, str]:
    """(whether the line ends a message, what follows the end on it): a line of `-`, or a `-}` or `{5:`
    block end with what comes after it (the next message's envelope, or nothing)."""
    if line.strip() == "-":
        return True, ""
    if not line.startswith(("-}", "{5:")):
        return False, line
    end = _MESSAGE_END.match(line)
    return True, line[end.end():] if end else ""  # an unclosed trailer (`{5:` cut over lines): nothing after it


@dataclass
class _Message:
    """What one message (from its `:20:`) says about its days, to place its opening once it has been read."""

    opening: tuple[str, date, int] | None = None  # (tag, its date, amount)
    first_line: date | None = None  # the earliest booking day of its :61: lines
    closing_day: date | None = None
    closed: bool = False  # a :62F: / :62M: came after its last :61:
    skipped: bool = False  # another account's message (its :25:), read past

    def see(self, day: date) -> None:
        if self.first_line is None or day < self.first_line:
            self.first_line = day
        self.closed = False

    def check_complete(self) -> None:
        """A message ends with its closing balance (:62a: is mandatory): lines after the last one mean
        the file was cut short, and a cut :86: would be stored as that transfer's memo for good."""
        if self.first_line is not None and not self.closed:
            raise statement_error("truncated_statement", "a message has statement lines (:61:) but no closing "
                                  "balance (:62F: or :62M:) after them: the file looks cut short; export it again")

    def finish(self, info: StatementInfo) -> None:
        """`:60F:` opens the message's first booking day (else the day of its `:62F:`), whatever its
        own date: many banks date it with the previous statement's closing day (the day before, or a
        Friday before a Monday), which is no opening of that day and may be closed already; camt.053's
        PRCD is placed the same way. One dated after the message began is left out rather than guessed,
        one with no day to open stays on its date. An intermediate `:60M:` opens the first day only
        when dated before it (the message starts a new day); on that day it is a balance within it."""
        if self.opening is None:
            return
        tag, dated, amount = self.opening
        first = self.first_line or self.closing_day
        if tag == "60M":
            if first is not None and dated < first:
                info.opening(first, amount)
        elif first is None:
            info.opening(dated, amount)
        elif dated <= first:
            info.opening(first, amount)


def parse(source: BinaryIO, info: StatementInfo) -> Iterator[StatementLine]:
    """Yield each `:61:` statement line with the `:86:` that follows it."""
    pending: StatementLine | None = None
    line_no = 0
    saw_tag = False
    message = _Message()
    accounts: dict[bool, list[str]] = {False: [], True: []}  # the messages' accounts: read, read past
    for tag in _tags(source):
        saw_tag = True
        if message.skipped and tag.name != "20":
            continue  # another account's message (a file of several accounts, one named): read past
        if tag.name == "86":
            if pending is not None:
                _describe(pending, tag.value)
            continue
        if tag.name == "NS":
            continue  # bank-specific free text: neither a new line nor part of the memo
        if pending is not None:
            info.see(pending)
            yield pending
            pending = None
        if tag.name == "20":
            if not message.skipped:
                message.check_complete()
                message.finish(info)
            message = _Message()
        elif tag.name == "61":
            pending = _statement_line(tag, line_no + 1)
            if pending is not None:
                line_no += 1
                message.see(pending.booking_date)
        elif tag.name == "25":
            account = _account(tag, info, line_no or None)
            message.skipped = account is not None and not info.wants(account)
            accounts[message.skipped].append(account)
            if message.skipped:
                continue
        elif tag.name in ("60F", "60", "60M"):
            day, amount = _balance(tag, info)
            message.opening = message.opening or (tag.name, day, amount)
        elif tag.name in ("62F", "62"):
            message.closing_day, amount = _balance(tag, info)
            info.closing(message.closing_day, amount)
            message.closed = True
        elif tag.name == "62M":
            _balance(tag, info)  # checked (currency, form), but a balance within the day is no day's balance
            message.closed = True
    if pending is not None:
        info.see(pending)
        yield pending
    if not message.skipped:
        message.check_complete()
        message.finish(info)
    if accounts[True] and not accounts[False]:
        found = ", ".join(dict.fromkeys(accounts[True]))
        raise statement_error("account_mismatch", f"the file is a statement of account {found}, not "
                              f"{info.wanted_account}", file=found, given=info.wanted_account)
    if not saw_tag:
        raise statement_error("malformed_mt940", "no MT940 tags (:20:, :25:, :61:) found")


def _account(tag: _Tag, info: StatementInfo, line_no: int | None) -> str | None:
    """`:25:` is `[BIC/]account`, some banks add the currency (`0071001234567VND`): the account (normalised),
    taken as the file's unless it is another account than the one the import is for (a file may hold the
    messages of each of a customer's accounts; two taken are `mixed_accounts`)."""
    account = tag.value.strip().rpartition("/")[2] or tag.value.strip()
    suffixed = _ACCOUNT_CURRENCY.match(account)
    if suffixed and re.fullmatch(r"[\d .\-]+", suffixed["account"]):
        if not info.wants(suffixed["account"]):
            return normalise_account(suffixed["account"])
        info.set_currency(suffixed["currency"], line_no)
        account = suffixed["account"]
    if not info.wants(account):
        return normalise_account(account)
    info.set_account(account, line_no)
    return normalise_account(account)


def _balance(tag: _Tag, info: StatementInfo) -> tuple[date, int]:
    match = _BALANCE.match(tag.value.strip())
    if match is None:
        raise statement_error("malformed_mt940", f":{tag.name}: is not a balance: {tag.value[:40]!r}",
                              file_line=tag.file_line)
    info.set_currency(match["currency"])
    amount = _amount(match["amount"], field_name="balance")
    return _yymmdd(match["date"], tag), -amount if match["mark"] == "D" else amount


def _amount(text: str | None, **where) -> int | None:
    """SWIFT's amount: digits and a decimal comma (`30000,`); for VND a zero fraction of at most two
    digits (banks write `30000,00`), so `30,000` or a dot-grouped `1.000.000,` is refused, not guessed."""
    return parse_decimal(text, mark=",", max_fraction=2, **where)


def _yymmdd(text: str, tag: _Tag) -> date:
    try:
        return date(2000 + int(text[:2]), int(text[2:4]), int(text[4:6]))
    except ValueError as exc:
        raise statement_error("invalid_date", f":{tag.name}: has an invalid date {text!r}",
                              file_line=tag.file_line) from exc


def _statement_line(tag: _Tag, line_no: int) -> StatementLine | None:
    """The transaction of a `:61:`; None for a zero amount (an informational line, as camt.053 and
    the spreadsheets' zero rows are: no transaction, no line number)."""
    match = _STATEMENT_LINE.match(tag.value)
    as_cut = match.groupdict() if match is not None else None  # the references as the pattern read them before
    if match is None and "\n" in tag.value:
        # A customer reference beyond its 16 characters, then supplementary details on the next line: the
        # pattern's cut reference leaves the rest of the first line over, and the whole fails. Its head is read
        # on the first line, its references and details from the raw text (`_raw_references`).
        match = _STATEMENT_LINE.match(tag.value.split("\n", 1)[0])
    if match is None:
        raise statement_error("malformed_mt940", f":61: is not a statement line: {tag.value[:60]!r}",
                              line_no=line_no, file_line=tag.file_line)
    g = match.groupdict()
    if not g.get("id"):
        # The transaction type (NTRF, NMSC…) is mandatory; a line without one was read wrongly, most
        # often an amount grouped with dots ("1.500.000,") where SWIFT writes digits and a decimal comma.
        raise statement_error("malformed_mt940", f":61: needs an amount such as 1500000, followed by a transaction "
                              f"type such as NTRF: {tag.value[:60]!r}", line_no=line_no, file_line=tag.file_line)
    value_day = _yymmdd(g["year"] + g["month"] + g["day"], tag)
    booking_day = value_day
    if (g.get("entry_month") or "").strip() and (g.get("entry_day") or "").strip():
        booking_day = _entry_date(value_day, int(g["entry_month"]), int(g["entry_day"]), tag)
    amount = _amount(g["amount"], line_no=line_no)
    if amount == 0:
        return None
    if amount is None or amount < 0:
        raise statement_error("invalid_amount", "a statement line amount must be positive", line_no=line_no)
    mark = g["status"].upper()
    direction = CREDIT if mark in ("C", "RD") else DEBIT
    written = _raw_references(tag.value, match)
    reference, customer = _references(_bank_reference_first_word(written))
    customer = single_spaced(customer)
    return StatementLine(line_no=line_no, booking_date=booking_day, value_date=value_day, amount_vnd=amount,
                         direction=direction, bank_ref=reference, is_reversal=mark.startswith("R"),
                         memo=single_spaced(" ".join(filter(None, [customer, _after_bank_reference(written),
                                                                    written["extra_details"]]))) or "",
                         earlier_refs=_earlier_references(as_cut, written, reference, customer),
                         customer_ref=customer if reference is None else None)


def _raw_references(value: str, match: re.Match) -> dict[str, str | None]:
    """The `:61:`'s customer reference, bank reference and supplementary details as the bank wrote them. SWIFT
    gives the customer's reference 16 characters (16x), but banks write more (an IBAN, a payment order's number
    with the payer's code): `mt-940`'s pattern cut it at 16, put the rest (and the `//` bank reference) in the
    details, and the line was keyed by the cut reference, its CSV twin's bank reference lost. Read whole: the
    customer's reference up to `//` on its line, the bank's after it to the line's end, the next lines as the
    details."""
    head, _, details = value[match.start("customer_reference"):].partition("\n")
    customer, marked, bank = head.partition("//")
    return {"customer_reference": customer, "bank_reference": bank if marked else None,
            "extra_details": " ".join(details.split("\n")).strip() or None}


# A bank reference's first word names the transfer on its own when it is one a bank gives (`FT24329ABCDE`,
# `5000.96828`): letters and digits (a dot, a dash, a slash), at least six, a digit among them. `FT` of `FT 24329`
# is no reference.
_REFERENCE_WORD = re.compile(r"(?=[^\s]*\d)[A-Za-z0-9][A-Za-z0-9./\-]{5,}")


def _split_bank_reference(bank: str | None) -> tuple[str | None, str | None]:
    """(the bank's reference, the text after it on its line) of what follows a `:61:`'s `//`. SWIFT gives the
    reference 16 characters and the supplementary details the next line, but banks write text after it on the
    same line (`//FT24329ABCDE CT DEN`): read whole, the text keyed the line, and the same transfer from the
    bank's CSV (`FT24329ABCDE`) or callback was another line, credited twice. The reference is the first word
    when it is one on its own (`_REFERENCE_WORD`) or a filler, the rest the bank's words, read into the memo. The
    whole text, as earlier imports keyed the line by it, is an earlier reading's alias (`_earlier_references`)."""
    if bank is None:
        return None, None
    word, _, rest = bank.strip().partition(" ")
    if not rest.strip() or not (_REFERENCE_WORD.fullmatch(word) or normalise_ref(word) is None):
        return bank, None  # a filler's (`NONREF CT DEN`) is no reference either way
    return word, single_spaced(rest)


def _bank_reference_first_word(written: dict) -> dict:
    """`written` with the bank's reference cut to its first word (`_split_bank_reference`)."""
    return {**written, "bank_reference": _split_bank_reference(written["bank_reference"])[0]}


def _after_bank_reference(written: dict) -> str | None:
    """The bank's words after its reference on the `:61:`'s line, when the reference is a transfer's; after a
    filler (`//NONREF CT DEN`) too: the words are the bank's either way."""
    return _split_bank_reference(written["bank_reference"])[1]


def _references(g: dict) -> tuple[str | None, str | None]:
    """(the line's reference, the customer's reference to keep in its memo) of a `:61:`'s
    `customer//bank` references. Only the bank's is a reference: it names one booked transfer. The
    customer's is the payer's text (often the payment code, which matching reads in the memo): it opens
    the memo, and a line without a bank's reference (no `//`, or a filler: `NONREF`, `0`) is keyed by its
    fingerprint, so two equal payments naming one code on a day stay two lines (`importer.ImportContext.row`
    numbers them). It keyed the line until round 17: such lines stored then are found under it
    (`_earlier_references`). SWIFT's `NONREF` and other fillers are no reference anywhere."""
    bank, customer = _written(g)
    if not bank:
        return None, customer or None
    return bank, customer if customer and normalise_ref(customer) != normalise_ref(bank) else None


def _written(g: dict) -> tuple[str, str]:
    """(bank's, customer's) references of a `:61:`, a filler written as none."""
    bank = (g.get("bank_reference") or "").strip()
    customer = (g.get("customer_reference") or "").strip()
    return bank if normalise_ref(bank) else "", customer if normalise_ref(customer) else ""


def _earlier_references(as_cut: dict | None, written: dict, reference: str | None,
                        customer: str | None) -> tuple[str | None, ...]:
    """The references earlier readings keyed the line by, where they key it otherwise than this reading (None:
    by its fingerprint, the customer's reference left out of its memo), each once: until round 12 a written bank
    reference, even a filler (`C//NONREF`, no reference), else the customer's; then the bank's, else the
    customer's; both as the `mt-940` pattern cut the customer's at 16 characters (until round 14) and whole
    (until round 17). The lines earlier imports stored under them are this line (`importer.Row.other_keys`):
    never stored and credited again. The usual line, keyed by its `//` bank reference alike in every reading,
    has none."""
    readings = []
    for g in filter(None, (as_cut, written)):
        bank, customer_then = _written(g)
        if g is as_cut and (g.get("bank_reference") or "").strip():
            readings.append(bank or None)  # until round 12
        readings.append(bank or customer_then or None)
    own = normalise_ref(reference)
    # A fingerprint reading differs from this one only by the customer's reference now in the memo.
    return tuple(ref for ref in dict.fromkeys(readings)
                 if (normalise_ref(ref) != own if ref is not None else reference is None and customer))


def _entry_date(value_day: date, month: int, day: int, tag: _Tag) -> date:
    # The entry date has no year: take the one that puts it closest to the value date.
    found = nearest_year(month, day, value_day)
    if found is None:
        raise statement_error("invalid_date", f":61: has an invalid entry date {month:02d}{day:02d}",
                              file_line=tag.file_line)
    return found


def _describe(line: StatementLine, text: str) -> None:
    """Fill memo, payer name and account from a `:86:` (free text or `?`-structured)."""
    # A line break before `?NN` only starts the next sub-field; elsewhere it is a space.
    flat = _SUBFIELD_BREAK.sub("", text).replace("\n", " ").strip()
    if _STRUCTURED.match(flat):
        fields: dict[str, list[str]] = {}
        parts = _SUBFIELD.split(flat)
        for code, value in zip(parts[1::2], parts[2::2]):
            fields.setdefault(code, []).append(value)
        memo = _cut_text([v for c in sorted(fields) if "20" <= c <= "29" or "60" <= c <= "63" for v in fields[c]])
        line.memo = single_spaced(" ".join(filter(None, [line.memo, memo]))) or ""
        line.payer_name = single_spaced(_cut_text(fields.get("32", []) + fields.get("33", [])))
        line.payer_account = "".join(fields.get("31", [])).strip() or None
    else:
        # A continuation line's indentation, or spaces before a line break, are no part of the text.
        line.memo = single_spaced(" ".join(filter(None, [line.memo, flat]))) or ""


def _cut_text(parts: list[str]) -> str:
    """One text from the sub-fields it was cut into (the purpose's ?20-?29 and ?60-?63, the payer's name's
    ?32/?33): each holds SUBFIELD_WIDTH (27) characters, so a full one was cut there, mid-word or mid-code
    perhaps, and goes on in the next without a separator; a shorter one ended where the bank ended it (a
    word, a line of the payer's text), and the next is a new word: joined by a space. Joined without one,
    `?20EREF+NOTPROVIDED?21SVWZ+…` ran two words together. A payment code cut in a short sub-field is still
    read (codes are read across spaces) and a line's fingerprint has no spaces: neither changes."""
    text, cut = "", False
    for part in parts:
        text = text + part if cut else f"{text.rstrip()} {part.lstrip()}"
        cut = len(part) >= SUBFIELD_WIDTH
    return text.strip()
