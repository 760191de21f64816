"""Bank CSV and XLSX exports, read through the header synonyms of `profiles`. Pure, streaming.

Rows are read one at a time (csv.reader over a decoding stream here; an XLSX workbook's rows
come from `workbook`), and `read_rows` turns them into lines. Before the header: a preamble
where the account number, opening balance and the period (`Từ ngày … đến ngày …`, what a table without
transactions states its balances for) may be written. The header is the first of the
first `HEADER_SEARCH_ROWS` rows that names a date and a credit (or signed amount) column. After
it: transactions; a row with no date, no amount and no balance but some text continues the previous
memo (wrapped memos) when it comes right under it, unless that text is a total's or a balance's label or
the statement's sign-off (`Người lập biểu`, `Ngày in`); a row with an amount and no date is of the day
of the transaction row above (a date merged down); summary rows (totals, closing balance) are read for the balance and
otherwise skipped. The balance column may be filled on some rows only: a day's closing is
derived from its latest row that has one; its opening only when the day's earliest row has one
and a later row another (or the preamble states it): an opening and a closing worked out from
the same balance always agree.
"""
from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import BinaryIO

from payments.references import normalise_ref
from reconciliation import profiles
from reconciliation.balance_sides import BalanceSides, Row
from reconciliation.profiles import normalise_header
from reconciliation.statements import (CREDIT, DEBIT, MINUS_SIGN, MONTHS, StatementError, StatementInfo, StatementLine,
                                       excel_fraction_of_day, nearest_year, parse_amount, parse_local_date,
                                       single_spaced, statement_error, weekday_before)
from reconciliation.textfile import SNIFF_BYTES, release, text_stream

HEADER_SEARCH_ROWS = 50
# What a transaction row says about itself besides money (a total says nothing, or that it is one).
TEXT_FIELDS = ("ref", "memo", "payer_name", "payer_account")
_EXACT_FLOAT = 2.0**53  # integers up to here survive a float
_ACCOUNT_DIGITS = re.compile(r"[0-9][0-9 .\-]{5,30}[0-9]")
_CURRENCY = re.compile(r"\b[A-Z]{3}\b")
_DONG_WORDS = {"dong", "vnd"}  # `Đồng`, `VNĐ`, `VND` without accents (`normalise_header`)
csv.field_size_limit(1024 * 1024)


def parse_csv(source: BinaryIO, info: StatementInfo, *, profile: str | None = None) -> Iterator[StatementLine]:
    stream = text_stream(source)
    try:
        sample = stream.read(SNIFF_BYTES // 2)
        stream.seek(0)
        delimiter = _delimiter(sample)
        last = _LastRecord(delimiter)
        rows = csv.reader(last.through(stream), delimiter=delimiter)
        yield from read_rows(_guard_csv(rows, last), info, profile)
        last.check()
    except UnicodeDecodeError as exc:
        raise statement_error("invalid_encoding", "the file is not valid text in a known encoding") from exc
    finally:
        release(stream)


def _delimiter(sample: str) -> str:
    """The separator under which a row of the first lines is a transaction header; among several (or
    none), the one that splits most of them into the same number (> 1) of fields. Counting fields
    alone, the commas of a preamble (an address, "Từ ngày: …, đến ngày: …", grouped amounts) outvote
    the few rows of a short semicolon table."""
    lines = [line for line in sample.splitlines()[:60] if line.strip()]
    best, best_score = ",", (False, 0, 0)
    for candidate in (",", ";", "\t", "|"):
        try:
            rows = list(csv.reader(lines, delimiter=candidate))
        except csv.Error:
            continue
        wide = [len(row) for row in rows if len(row) > 1]
        if not wide:
            continue
        modal = max(set(wide), key=wide.count)
        headed = any(len(row) > 1 and profiles.is_header(profiles.map_header(row)) for row in rows[:HEADER_SEARCH_ROWS])
        score = (headed, wide.count(modal), modal)
        if score > best_score:
            best, best_score = candidate, score
    return best


class _LastRecord:
    """The raw text of the record the reader read last, to tell a file cut inside a quoted cell: the
    reader (lenient, as it must be for exports that leave an inner quote unescaped) would take the
    rest of the file as that cell (`1.025` of `1.025.000`). Only the last record can be cut so, and
    only it is looked at again."""

    def __init__(self, delimiter: str) -> None:
        self.delimiter = delimiter
        self.lines: list[str] = []
        self.last: list[str] = []

    def through(self, lines: Iterable[str]) -> Iterator[str]:
        for line in lines:
            self.lines.append(line)
            yield line

    def record_read(self) -> None:
        self.last, self.lines = self.lines, []

    def check(self) -> None:
        if _ends_in_quotes("".join(self.last + self.lines), self.delimiter):
            raise statement_error("truncated_statement", "the file ends inside a quoted cell: it looks cut short; "
                                  "export it again")


def _ends_in_quotes(record: str, delimiter: str) -> bool:
    """Whether a record's text ends inside a quoted cell, read as the csv module reads it: a quote opens
    a cell only at its start (elsewhere it is text), and closes it unless doubled."""
    quoted, at_start = False, True
    i = 0
    while i < len(record):
        ch = record[i]
        if quoted:
            if ch == '"':
                if record[i + 1:i + 2] == '"':
                    i += 1  # an escaped quote
                else:
                    quoted = False
        elif ch == '"' and at_start:
            quoted = True
        at_start = not quoted and ch in (delimiter, "\n", "\r")
        i += 1
    return quoted


def _guard_csv(rows: Iterable[list[str]], last: _LastRecord) -> Iterator[list[str]]:
    record_read = last.record_read
    try:
        for row in rows:  # a csv.Error is the reader's: what the rows are used for raises in the caller's frame
            record_read()
            joined = "".join(row)  # one test in C for the usual row, which holds neither mark
            yield _excel_text(row) if "'" in joined or '="' in joined else row
    except csv.Error as exc:
        raise statement_error("malformed_csv", f"the CSV cannot be read: {exc}") from exc


# A CSV cell written as Excel text, so that Excel keeps a document number or an account as written (no
# leading zeros lost, no `5000.96828` turned into 5000.96828): `="5000.96828"` (a formula giving that text)
# or `'0071001234567` (Excel's text prefix, never shown). Read as the text: as written, a date or amount
# cell so was refused.
_EXCEL_FORMULA_TEXT = re.compile(r'\s*="(.*)"\s*', re.DOTALL)
_DIGITS_OR_SIGN = frozenset("0123456789+-(")


def _excel_text(row: list[str]) -> list[str]:
    cells = []
    for cell in row:
        formula = _EXCEL_FORMULA_TEXT.fullmatch(cell) if '="' in cell else None
        if formula is not None:
            cell = formula[1]
        elif cell[:1] == "'" and cell[1:2] in _DIGITS_OR_SIGN:  # a memo's quoted words ('ho so') stay
            cell = cell[1:]
        cells.append(cell)
    return cells


# --- rows -> lines ---------------------------------------------------------------------

class Uncalculated:
    """A spreadsheet formula cell saved without its value (`workbook`): no text and no number, so the
    rows above the header, the labelled rows and a row of nothing but such sums (a total's `=SUM(…)`)
    read it as empty; in a column read on any other row it is `uncalculated_formula` (`_Columns.read`):
    read as empty, the row was dropped without a word (no amount, or no date), or its memo run into
    the line above."""

    __slots__ = ("cell",)

    def __init__(self, cell: str) -> None:
        self.cell = cell

    def __str__(self) -> str:
        return ""

    def __repr__(self) -> str:
        return f"Uncalculated({self.cell})"


@dataclass
class _Columns:
    mapping: dict[str, int]
    label_columns: frozenset[int] = frozenset()  # the row-number columns (the date column is added)
    names: tuple[str | None, ...] = ()  # column index -> field
    split: bool = False  # debit and credit columns (else one amount, signed or with a direction mark)
    profile: profiles.Profile = profiles.PROFILES[-1]
    dated_references: bool = False  # the table's transfers name their reference in the date cell (CashUp)
    kind_is_side: bool | None = None  # whether the `Loại` column holds side marks (known from its first value)
    unsigned_beside_type: int | None = None  # the first line of an unsigned amount beside a transaction type
    amount_writes_side: bool = False  # whether a row's amount wrote its side (a minus, a plus, `CR`/`DR`)
    amount_writes_debits: bool = False  # whether a row's amount wrote money out (a minus, parentheses, `DR`)
    fees: tuple[str, ...] = ()  # the table's fee columns (`profiles.FEE_FIELDS`)
    serial_text: bool = True  # a date as five digits of text may be an Excel serial (a workbook's, not a CSV's)
    text_cells: bool = False  # every cell is text (a CSV's rows): `read_text`
    dates_unfolded: dict[str, tuple[str, str] | None] = field(default_factory=dict)  # `unfold_date`'s readings
    mapped: tuple[tuple[int, str], ...] = ()  # (column index, field) of the columns read

    def __post_init__(self) -> None:
        names: list[str | None] = [None] * (max(self.mapping.values(), default=-1) + 1)
        for name, index in self.mapping.items():
            names[index] = name
        self.names = tuple(names)
        self.split = "credit" in self.mapping and ("debit" in self.mapping or "amount" not in self.mapping)
        self.label_columns = self.label_columns | {self.mapping["date"]}
        self.fees = tuple(name for name in profiles.FEE_FIELDS if name in self.mapping)
        self.mapped = tuple((index, name) for index, name in enumerate(self.names) if name is not None)

    def total_without_reference(self, values: dict[str, object], sums: _Sums) -> bool:
        """A dated row that totals: a row without a reference, naming no payer, whose memo names a total.
        Where the table has a reference column (every transfer names its reference there; in a layout
        that writes it in the date cell, there), a memo that begins as a total does
        (`profiles.TOTAL_PHRASES`; "Tổng phí…" is a fee). In a table without one the label is no proof
        (a transfer's memo may be "Tổng cộng", and one dropped as a total would go unseen): the memo must
        be a total's label whole (`profiles.is_total_memo`: "Tổng cộng 2 hồ sơ…" is a transfer's) and
        the row's money what the rows above add up to (`_Sums`), unless it names a balance or a running
        total (`profiles.is_unsummed_total_memo`), money no rows of the file add up to."""
        memo = values.get("memo")
        if not isinstance(memo, str) or not memo[:1].isalpha() or "payer_name" in values \
                or "payer_account" in values or _names_reference(values):  # the cheap tests first
            return False
        if "ref" in self.mapping or self.dated_references:
            return profiles.is_total_label(memo) or profiles.is_total_memo(memo)  # "Cộng" alone too
        return profiles.is_total_memo(memo) and (profiles.is_unsummed_total_memo(memo)
                                                 or sums.totalled_by(values, self.split))

    def unfold_date(self, values: dict[str, object]) -> dict[str, object]:
        """A date cell that goes on with the bank's document number (`profiles.date_and_reference`): the
        date, and the number as the row's reference unless the row has one of its own."""
        cell = values.get("date")
        if type(cell) is str:  # a table's rows mostly share their few date texts: each looked at once
            found = self.dates_unfolded.get(cell, _UNSEEN)
            if found is _UNSEEN:
                found = profiles.date_and_reference(self.profile, cell)
                if len(self.dates_unfolded) < 4096:
                    self.dates_unfolded[cell] = found
        else:
            found = profiles.date_and_reference(self.profile, cell)
        if found is None:
            return values
        day, reference = found
        self.dated_references = True
        return {**values, "date": day, "ref": values.get("ref", reference)}

    def side_of_kind(self, values: dict[str, object], line_no: int) -> dict[str, object]:
        """A row's `Loại` cell as its side mark when the column holds side marks (`Ghi có`/`Ghi nợ`, `C`/`D`,
        `Có`/`Nợ`), else nothing: the word heads transaction type columns too (`Chuyển khoản`), and only
        the values tell. The first value decides the column; a later one of the other kind is
        `unknown_direction` (a side missing on some rows would read them by the amount's sign)."""
        if "kind" not in self.mapping or "direction" in self.mapping:
            return values
        kind = values.get("kind")
        is_side = kind is not None and profiles.direction_of(kind) is not None
        if self.split:
            # The columns give the side: a side mark can only contradict them (`_refuse_debit_mark`).
            return {**values, "direction": kind} if is_side else values
        self.amount_writes_side = self.amount_writes_side or _writes_side(values.get("amount"))
        if kind is None:
            return values
        if self.kind_is_side is None:
            self.kind_is_side = is_side
        if is_side != self.kind_is_side:
            raise statement_error("unknown_direction", f"the Loại column holds {str(kind)[:20]!r} among "
                                  f"{'side marks' if self.kind_is_side else 'transaction types'}: which side the "
                                  "row is on is a guess", line_no=line_no, marker=str(kind)[:20])
        if not is_side and self.unsigned_beside_type is None and not _writes_side(values.get("amount")) \
                and "balance" not in self.mapping:  # else the balance tells the side (`balance_sides`)
            self.unsigned_beside_type = line_no
        return {**values, "direction": kind} if is_side else values

    def check_sides(self) -> None:
        """An unsigned amount beside a transaction type (`Chuyển khoản` is money in or out alike) is a
        credit only when the amount column writes the sides of the others (`-15.000`): a column that never
        does has no side to read, and reading its amounts as credits would pay dossiers with money going out."""
        if self.unsigned_beside_type is not None and not self.amount_writes_side:
            raise statement_error("unknown_direction", "the amount column writes no side (no minus, plus or "
                                  "CR/DR) and the column beside it holds transaction types, not Ghi có/Ghi nợ: "
                                  "which side the row is on is a guess", line_no=self.unsigned_beside_type)

    def read(self, row: list[object]) -> tuple[dict[str, object], bool, bool]:
        """(field -> value of the non-blank mapped cells, any cell filled, labelled) in one pass.

        Labelled: the date or row-number column holds a label (a total, a page mark, the print
        date, a signature); such a row is never a transaction, whatever else it holds. A label-like
        word elsewhere proves nothing ("Tổng đài" in a channel column, a payer "Tổng công ty")."""
        values: dict[str, object] = {}
        filled = labelled = False
        uncalculated: Uncalculated | None = None
        uncalculated_money = False
        names, width, label_columns = self.names, len(self.names), self.label_columns
        for index, cell in enumerate(row):
            if cell is None:
                continue
            if type(cell) is Uncalculated:
                if index < width and names[index] is not None:
                    # The first, but one of a money column gives way to one of a date or text column: a
                    # row of uncalculated sums only is a total (`_dated`: money with nothing to say whose).
                    if uncalculated is None or (uncalculated_money and names[index] not in profiles.MONEY_FIELDS):
                        uncalculated, uncalculated_money = cell, names[index] in profiles.MONEY_FIELDS
                continue
            if type(cell) is str:
                cell = cell.strip()
                if not cell:
                    continue
                if index in label_columns and cell[0].isalpha() and profiles.is_label(cell) \
                        and weekday_before(cell)[0] is None:
                    labelled = True
            filled = True
            if index < width:
                name = names[index]
                if name is not None:
                    values[name] = cell
        if uncalculated is not None and not labelled and (values or not uncalculated_money):
            raise statement_error("uncalculated_formula", f"cell {uncalculated.cell} holds a formula saved without "
                                  "its value (the program that wrote the file never calculated it), so the row's "
                                  f"{names[_column_index(uncalculated.cell)] or 'cell'} cannot be read: open the file "
                                  "in Excel and save it again, or export the statement again", cell=uncalculated.cell)
        return values, filled, labelled

    def read_text(self, row: list[str]) -> tuple[dict[str, object], bool, bool]:
        """`read` of a row of text cells only (a CSV's): the mapped columns, then the label columns, read by
        index (no formula cells, no types to tell apart: the per-cell tests `read` makes are not needed)."""
        values: dict[str, object] = {}
        width = len(row)
        for index, name in self.mapped:  # in column order, as `read` fills them
            if index < width:
                cell = row[index].strip()
                if cell:
                    values[name] = cell
        # Filled: a cell holds more than blanks, as the row's text does then.
        filled = bool(values) or bool("".join(row).strip())
        labelled = False
        for index in self.label_columns:
            if index < width:
                cell = row[index].strip()
                if cell and cell[0].isalpha() and profiles.is_label(cell) and weekday_before(cell)[0] is None:
                    labelled = True
                    break
        return values, filled, labelled


_UNSEEN = object()


def _column_index(cell: str) -> int:
    """`E3` -> 4: the 0-based column of a cell's name."""
    index = 0
    for letter in itertools.takewhile(str.isalpha, cell):
        index = index * 26 + ord(letter.upper()) - 64
    return index - 1


def read_rows(rows: Iterable[list[object]], info: StatementInfo, wanted: str | None,
               first_line_no: int = 0, since_file: Sides | None = None) -> Iterator[StatementLine]:
    """Transactions of one table. A row with money and no date is a transaction of the day of the
    transaction row above it (a date cell merged down over the day's rows, or printed on its first
    row only); with no transaction row above, or when it reads like a total, the file is refused:
    a row with money is never dropped."""
    balances = _BalanceTracker()
    sums = _Sums(since_file=since_file if since_file is not None else Sides())  # a workbook's: its sheets'
    columns, iterator = _find_header(iter(rows), info, wanted, balances)
    # With one amount column and a balance, an amount that writes no side takes the balance's (`balance_sides`).
    sides = BalanceSides(not columns.split and "balance" in columns.mapping, sums.decided)
    iterator = _without_column_numbers(iterator)
    pending: list[StatementLine] = []  # the lines of the row above (its transaction, the fees it was charged)
    wrapping = False  # whether a row of memo text below is the pending lines' (nothing else came between)
    line_no = first_line_no
    day_above: date | None = None  # the day of the transaction row above, within the table
    see = info.see
    held: list[StatementLine] = []  # the row above's lines, when `sides` is not active
    read = columns.read_text if columns.text_cells else columns.read
    reads_kind = "kind" in columns.mapping and "direction" not in columns.mapping  # else `side_of_kind` reads none
    split, serial_text, fees = columns.split, columns.serial_text, columns.fees  # the table's, set by its header
    for row in iterator:
        values, filled, labelled = read(row)
        if not filled or _is_rule(row):
            continue
        if labelled:
            _footer(row, info, balances, values.get("balance"))
            wrapping = False
            day_above = None  # a total or a page mark: the rows below start afresh
            if _holds_money(values, ("credit", "debit") if columns.split else ("amount",)):
                sums.since_total = Sides()  # a labelled total ("Cộng trang"): a subtotal below sums from here
            continue
        values = columns.unfold_date(values)  # before the total's test: the number is the row's reference
        day_cell = values.get("date")
        if day_cell is not None and columns.total_without_reference(values, sums):
            _footer(row, info, balances, values.get("balance"))  # a dated subtotal ("Cộng phát sinh trong ngày")
            wrapping = False
            day_above = None
            sums.since_total = Sides()
            continue
        if day_cell is None or _is_label(day_cell):
            if _is_header_again(row) or not (_money(values, line_no + 1, columns.split, lenient=True)[0]
                                             or _charges_fee(values)):
                if wrapping and pending and _continues_text(values):
                    _check_wrapped_length(pending[0], values)
                    if "memo" in values:
                        for wrapped in pending:
                            wrapped.memo = f"{wrapped.memo} {values['memo']}".strip()
                    if "payer_name" in values:  # the transaction's; a fee line below it names no payer
                        pending[0].payer_name = " ".join(filter(None, [pending[0].payer_name,
                                                                       str(values["payer_name"])]))
                    continue
                # a total without money, a repeated header row, a note, a sign-off
                _footer(row, info, balances, values.get("balance"))
                wrapping = False
                continue
            dated = _dated(values, day_above, line_no + 1)
            if dated is None:
                # a total: labelled, or money with nothing to say whose
                _footer(row, info, balances, values.get("balance"))
                wrapping = False
                day_above = None
                sums.since_total = Sides()
                continue
            values = dated
        if "status" in values and profiles.not_booked(values["status"]):
            wrapping = False  # a failed or pending transfer: no line; the memo rows below are its own
            continue
        line_no += 1
        if "currency" in values:  # `VND`, `usd`, `USD (Đô la Mỹ)`, `Đồng Việt Nam`; `đ` names none
            info.set_currency(_currency_in([str(values["currency"]).upper()]), line_no)
        if reads_kind:
            values = columns.side_of_kind(values, line_no)
        if fees:
            line, lines = _with_fees(values, line_no, columns)
        else:
            line = _line(values, line_no, split, serial_text)
            lines = [line] if line is not None else []
        if not lines:
            line_no -= 1
            continue
        line_no = lines[-1].line_no
        day_above = lines[0].booking_date
        written = not split and _writes_side(values.get("amount"))
        if written:
            columns.amount_writes_side = True
            columns.amount_writes_debits = columns.amount_writes_debits or _writes_debit(values["amount"])
        unsigned = line is not None and sides.active and not written and "direction" not in values
        balances.started = True
        balances.opening_below = None  # an opening above a transaction is no opening of the period's first row
        # A total below may sum an amount whose side is untold yet: it is in the sums as untold till then.
        if sides.active:
            sums_of_untold = sums.add(line, untold=True) if unsigned else None
            opening = balances.stated_opening
            sides.push(lines, line is not None, unsigned, columns.amount_writes_debits,
                       opening if opening is not None else sums.since_file.closing, sums_of_untold)
            ready = sides.ready(keep=1)
        else:
            # Every side written (the usual table): what `sides` would do, without its bookkeeping once a row. The
            # transaction counts on its side now (`_Sums.decided`); the row above goes on (memo rows below this
            # one may still add to it, so it is held one row).
            if line is not None:
                sums.add(line)
            ready, held = ([held] if held else []), lines
        for done in ready:  # `_hand_on`, written out: once a row, its generator cost more than its work
            balances.add(done[0], done[0].signed_vnd if len(done) == 1 else sum(each.signed_vnd for each in done))
            for each in done:
                see(each)
                yield each
        pending, wrapping = lines, True
    columns.check_sides()
    sides.finish(_first_of(balances.stated_opening, sums.since_file.closing), balances.stated_closing,
                 balances.opening_below)
    yield from _hand_on(sides.ready(keep=0) if sides.active else [held] if held else [], info, balances)
    if sides.active:  # a workbook's next sheet (a sheet a day) opens where this one closed, unless it says
        sums.since_file.closing = sides.latest_balance()
    balances.finish(info)


def _first_of(*values: int | None) -> int | None:
    return next((value for value in values if value is not None), None)


def _hand_on(rows: Iterator[list[StatementLine]], info: StatementInfo,
             balances: _BalanceTracker) -> Iterator[StatementLine]:
    """Each row's lines, their sides known (`balance_sides`), into the day balances and out."""
    for lines in rows:
        # The row's balance is after its fees: the tracker reads the row as one.
        balances.add(lines[0], lines[0].signed_vnd if len(lines) == 1 else sum(each.signed_vnd for each in lines))
        for done in lines:
            info.see(done)
            yield done


@dataclass
class Sides:
    credit: int = 0
    debit: int = 0
    untold: int = 0  # amounts whose side the balance has not told yet (`balance_sides`)
    closing: int | None = None  # (of a workbook's sheets read so far) the balance after their latest row

    def add(self, line: StatementLine, untold: bool = False) -> None:
        if untold:
            self.untold += line.amount_vnd
        elif line.direction == CREDIT:
            self.credit += line.amount_vnd
        else:
            self.debit += line.amount_vnd

    def totalled(self, credit: int | None, debit: int | None) -> bool:
        """Each side the row gives is this side's sum, and one of them is money."""
        return bool(credit or debit) and credit in (None, self.credit) and debit in (None, self.debit)


@dataclass
class _Sums:
    """What a table's lines add up to, credits and debits apart: since the table began (a grand total),
    since the total above (a subtotal), on each day (a day's total) and, in a workbook, since its first
    sheet began (a grand total on the last sheet of a sheet per day)."""

    since_file: Sides = field(default_factory=Sides)
    since_start: Sides = field(default_factory=Sides)
    since_total: Sides = field(default_factory=Sides)
    by_day: dict[date, Sides] = field(default_factory=dict)

    def add(self, line: StatementLine, untold: bool = False) -> tuple[Sides, ...]:
        day = self.by_day.get(line.booking_date)
        if day is None:
            day = self.by_day[line.booking_date] = Sides()
        windows = (self.since_file, self.since_start, self.since_total, day)
        amount = line.amount_vnd  # `Sides.add` on each window, written out (once a line)
        if untold:
            for sides in windows:
                sides.untold += amount
        elif line.direction == CREDIT:
            for sides in windows:
                sides.credit += amount
        else:
            for sides in windows:
                sides.debit += amount
        return windows

    def decided(self, row: Row, told: bool) -> None:
        """A row whose sides are known (`balance_sides`): its transaction counts on its side, in the sums it
        was counted in as untold when it was (a subtotal since passed keeps its own)."""
        if not row.transaction:
            return  # a fee column has its own total
        line = row.lines[0]
        if not told:
            self.add(line)
            return
        for sides in row.tag:
            sides.untold -= line.amount_vnd
            sides.add(line)

    def totalled_by(self, values: dict[str, object], split: bool) -> bool:
        """The row's money is one of the sums: with debit and credit columns, each side it fills; with one
        signed amount, the credits, the debits or what is left of the credits after them. Money that
        does not read is no total's (the row is then read, and refused, as any other)."""
        try:
            if split:
                credit = parse_amount(values.get("credit"), field_name="credit")
                debit = parse_amount(values.get("debit"), field_name="debit")
                debit = abs(debit) if debit is not None else None
            else:
                amount = parse_amount(values.get("amount"))
        except StatementError:
            return False
        windows = [self.since_start, self.since_total, self.since_file]
        try:  # a total's date cell may give its period ("01/11/2026 - 30/11/2026"): no day's sum then
            windows.append(self.by_day.get(parse_local_date(values.get("date"))[0], Sides()))
        except StatementError:
            pass
        if split:
            return any(w.totalled(credit, debit) for w in windows)
        # An untold amount may be on either side; a total of all the money (`Tổng cộng` of a signed column) too.
        return bool(amount) and any(abs(amount) in (w.credit + w.untold, w.debit + w.untold, w.credit + w.debit
                                                    + w.untold, *([abs(w.credit - w.debit)] if not w.untold else []))
                                    for w in windows)


def _is_header_again(row: list[object]) -> bool:
    """A page's repeated header row (its words stand in the money columns)."""
    return profiles.is_header(profiles.map_header(row))


def _dated(values: dict[str, object], day_above: date | None, line_no: int) -> dict[str, object] | None:
    """A money row without a readable date: the day of the transaction row above, or refused; None
    for a total. A total either says so in one of its read columns (`Tổng phát sinh` in the memo or
    document number; a word in a column we do not read proves nothing) or carries money and no
    text at all (`=SUM(...)`): every transaction names its reference, memo or payer."""
    day_cell = values.get("date")
    if day_cell is not None:
        raise statement_error("invalid_date", f"the row has an amount but its date {str(day_cell)[:40]!r} is not a "
                              "date (dd/mm/yyyy)", line_no=line_no)
    text = [values[f] for f in TEXT_FIELDS if isinstance(values.get(f), str) and _says_something(values[f])
            and (f != "ref" or _names_reference(values))]
    if not text or any(cell[:1].isalpha() and profiles.is_label(cell) for cell in text):
        return None
    if day_above is None:
        raise statement_error("missing_date", "the row has an amount but no date, and no transaction row above it "
                              "gives one", line_no=line_no)
    return {**values, "date": day_above}


def _says_something(cell: str) -> bool:
    """A text cell with a letter or digit: `-`, `...`, `*` fill an empty cell and name no transfer."""
    return any(ch.isalnum() for ch in cell)


def _names_reference(values: dict[str, object]) -> bool:
    """Whether the row's reference cell names one: `-`, `N/A`, `0` say there is none (`normalise_ref`), as
    on a total's row, which they would otherwise pass off as a transfer naming its reference; nor does a
    count of the transfers a total sums (`2 giao dịch`, `Số GD: 2`)."""
    ref = values.get("ref")
    if ref is None:
        return False
    text = ref if type(ref) is str else str(ref)
    if normalise_ref(text) is None:
        return False
    # Only a cell with a number beside a space is looked at as a count: the usual reference (FT26328…,
    # 5000.96828) skips the accent folding, which cost more than the rest of the row (this runs on every row).
    if " " not in text and text.isprintable():  # no space of any kind (every other one is unprintable)
        return True
    return not (_NUMBER_BY_SPACE.search(text) and _TRANSFER_COUNT.fullmatch(normalise_header(text)))


# A total's count of its transfers, as its reference cell may hold it (`normalise_header`d: no accents, case
# or punctuation).
_NUMBER_BY_SPACE = re.compile(r"\d\s|\s\d")
_COUNT_WORDS = r"(?:giao dich|gd|but toan|mon|transactions?|txns?|items?|entries)"
_TRANSFER_COUNT = re.compile(rf"\d+ ?{_COUNT_WORDS}|(?:so|tong so|so luong) {_COUNT_WORDS} \d+")


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


_LETTER = re.compile(r"[A-Za-zÀ-ỹĐđ]")
# A date as the date column writes it, digits or a month's English name (`24-Nov-2026`), not a label.
_DATE_LIKE = re.compile(rf"\d{{1,4}}[/.\-]\d|\d{{1,2}}[/.\- ]?(?:{'|'.join(MONTHS)})[/.\- ]?\d{{2}}", re.IGNORECASE)


def _is_label(value: object) -> bool:
    return isinstance(value, str) and bool(_LETTER.search(value)) and not _DATE_LIKE.search(value)


# A form's column numbers under its header: `1 2 3 …`, `(1) (2) …`, `A B C 1 2 …` (accounting forms letter their
# text columns, number their money columns).
_COLUMN_NUMBER = re.compile(r"\(?(?:[1-9][0-9]?|[A-Z])\)?")
_RULE = re.compile(r"[-=_]{3,}")


def _without_column_numbers(rows: Iterator[list[object]]) -> Iterator[list[object]]:
    """The rows under the header, but a first row that numbers the columns: read as a transaction, its date
    `2` refused the file. Only there, and only numbers running 1, 2, 3… (letters A, B, C… before them)."""
    first = next(rows, None)
    if first is not None and not _numbers_columns(first):
        yield first
    yield from rows


def _numbers_columns(row: list[object]) -> bool:
    cells = [str(c).strip() for c in row if not _blank(c)]
    if len(cells) < 3 or not all(_COLUMN_NUMBER.fullmatch(c) for c in cells):
        return False
    marks = [c.strip("()") for c in cells]
    letters = [m for m in marks if m.isalpha()]
    numbers = [int(m) for m in marks if m.isdigit()]
    return marks == letters + [str(n) for n in numbers] \
        and letters == [chr(ord("A") + i) for i in range(len(letters))] \
        and numbers == list(range(1, len(numbers) + 1))


def _is_rule(row: list[object]) -> bool:
    """A row drawn as a rule (`-----`, `=====` in every filled cell), as text exports underline a header or
    set off a total: no transaction."""
    head = row[0] if row else None
    if head is not None and not (isinstance(head, str) and head.strip()[:1] in ("", "-", "=", "_")):
        return False  # the usual row, told by its first cell
    cells = [c for c in row if not _blank(c)]
    return bool(cells) and all(isinstance(c, str) and _RULE.fullmatch(c.strip()) for c in cells)


def _find_header(rows: Iterator[list[object]], info: StatementInfo, wanted: str | None,
                 balances: _BalanceTracker) -> tuple[_Columns, Iterator[list[object]]]:
    """The first row naming a date and a credit (or amount) column, with the row below it when
    that row completes it (a merged `Số tiền` over `Nợ | Có`); and the rows after the header."""
    preamble: list[str] = []  # the text above the header, normalised: it may name the bank
    for _ in range(HEADER_SEARCH_ROWS):
        row = next(rows, None)
        if row is None:
            break
        mapping = profiles.map_header(row)
        if mapping:
            below = next(rows, None)
            if below is not None and profiles.completes_header(row, below):
                combined = profiles.combine_header(row, below)
                merged = profiles.map_header(combined)
                if profiles.is_header(merged):
                    return _header(combined, merged, info, wanted, preamble), rows
                if profiles.is_header(mapping):
                    raise statement_error("ambiguous_header", "the header runs over two rows and together they do "
                                          "not name a date and a credit (or amount) column",
                                          header=[str(c) for c in combined])
            if below is not None:
                rows = itertools.chain([below], rows)
        if profiles.is_header(mapping):
            return _header(row, mapping, info, wanted, preamble), rows
        _preamble(row, info, balances)
        preamble += [normalise_header(c) for c in row if isinstance(c, str) and c.strip()]
    raise statement_error("missing_columns", "no header row naming a date column and a credit (or amount) column "
                          f"in the first {HEADER_SEARCH_ROWS} rows", expected=["date", "credit|amount", "memo"])


def _header(cells: list[object], mapping: dict[str, int], info: StatementInfo, wanted: str | None,
            preamble: list[str]) -> _Columns:
    if info.profile is None:
        info.profile = profiles.pick_profile(cells, wanted, preamble).name
    return _Columns(mapping, profiles.row_number_columns(cells), profile=profiles.profile_named(info.profile),
                    serial_text=info.format != "csv", text_cells=info.format == "csv")


def read_cover(rows: Iterable[list[object]], info: StatementInfo) -> None:
    """A workbook's cover sheet: the account and currency it names. A table on it (the days' totals) holds
    no transactions: read as lines, the detail sheet's money would count twice."""
    balances = _BalanceTracker()  # its balances belong to no line of this sheet
    for row in rows:
        _preamble(row, info, balances)


def _preamble(row: list[object], info: StatementInfo, balances: _BalanceTracker) -> None:
    cells = [c for c in row if not _blank(c)]
    _period(cells, balances)
    for index, cell in enumerate(cells):
        following = cells[index + 1:index + 3]
        if profiles.label_in(cell, profiles.ACCOUNT_LABELS) and not profiles.label_in(cell, profiles.NOT_ACCOUNT_LABELS):
            found = _account_in([str(cell).partition(":")[2], *following])
            if found and not info.account:
                info.set_account(found)
        elif profiles.label_in(cell, profiles.CURRENCY_LABELS) and not profiles.label_in(cell, ("tien gui",)):
            currency = _currency_in([str(cell).partition(":")[2], *following])
            if currency:
                info.set_currency(currency)
        elif profiles.label_in(cell, profiles.OPENING_LABELS):
            amount = _first_amount([str(cell).partition(":")[2], *following])
            if amount is not None:
                balances.stated_opening = amount
        elif profiles.label_in(cell, profiles.CLOSING_LABELS):  # a summary above the table states both
            amount = _first_amount([str(cell).partition(":")[2], *following])
            if amount is not None:
                balances.stated_closing = amount


def _period(cells: list[object], balances: _BalanceTracker) -> None:
    """The statement's period as its title writes it (`profiles.period_in`), over the row's cells (a date cell of a
    workbook as its day): what a file without transactions states its balances for (`_BalanceTracker.finish`)."""
    texts = [f"{c:%d/%m/%Y}" if isinstance(c, (date, datetime)) else str(c) for c in cells]
    if not any(t[:1].isalpha() for t in texts):
        return
    first, last = profiles.period_in(" ".join(texts))
    try:
        if first is not None:
            balances.period_first = parse_local_date(first, field_name="period", serial_text=False)[0]
        if last is not None:
            balances.period_last = parse_local_date(last, field_name="period", serial_text=False)[0]
    except StatementError:
        pass  # a title's date that is none (31/02/2026): no period is read, as none written


def _account_in(values: list[object]) -> str | None:
    """The account number after its label; a number cell keeps no leading zeros (resolved later)."""
    for value in values:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        found = _ACCOUNT_DIGITS.search(str(value)) if value is not None else None
        if found:
            return found.group(0)
    return None


def _currency_in(values: list[object]) -> str | None:
    """The currency the first of `values` that names one names: its code (`VND`, `USD - Đô la Mỹ`), or VND for
    đồng in words (`VIỆT NAM ĐỒNG`, `VNĐ`; in capitals, `NAM` is no currency code)."""
    for value in values:
        if value is None:
            continue
        if _DONG_WORDS & set(normalise_header(value).split()):
            return "VND"
        found = _CURRENCY.search(str(value))
        if found:
            return found.group(0)
    return None


def _first_amount(values: list[object]) -> int | None:
    for value in values:
        try:
            amount = parse_amount(value, field_name="balance")
        except StatementError:
            continue
        if amount is not None:
            return amount
    return None


def _holds_money(values: dict[str, object], names) -> bool:
    """Whether any of the row's cells `names` holds an amount other than zero (a total's money, not a page
    mark's; a fee: a row of it and a memo is no wrapped memo). A cell that does not read holds none."""
    for name in names:
        try:
            if parse_amount(values.get(name), field_name=name):
                return True
        except StatementError:
            pass
    return False


def _charges_fee(values: dict[str, object]) -> bool:
    return _holds_money(values, profiles.FEE_FIELDS)


# The longest a memo or payer's name wrapped over rows may grow: far beyond any bank's (what is stored of a memo is
# 4,000 characters). Each row's text is added to the text above, copying it: without a bound, a file of rows of
# text under one transaction (20 MB of them) took time quadratic in its size, the import hanging for hours.
WRAPPED_MAX = 16_000


def _check_wrapped_length(line: StatementLine, values: dict[str, object]) -> None:
    """Refuse a row of text that would wrap the memo (or the payer's name) above past `WRAPPED_MAX`: no
    statement's; a file of them is damaged or no bank's export (`memo_too_long`)."""
    for name, text in (("memo", line.memo), ("payer_name", line.payer_name)):
        if name in values and len(text or "") + len(str(values[name])) > WRAPPED_MAX:
            raise statement_error("memo_too_long", f"the {name.replace('_', ' ')}, wrapped over "
                                  f"the rows below it, runs over {WRAPPED_MAX:,} characters: the file looks damaged; "
                                  "export it again", line_no=line.line_no, field_name=name, max_len=WRAPPED_MAX)


def _continues_text(values: dict[str, object]) -> bool:
    """A row that is only more of the memo or the payer's name above (either wrapped over rows). A balance
    (`Số dư cuối kỳ` with its amount), a total's label or a sign-off is the statement's own row, not a
    payer's words: read as memo it became the last transfer's text and its closing balance went unread."""
    has_money = "debit" in values or "credit" in values or "amount" in values or "balance" in values \
        or _charges_fee(values)
    texts = [values[name] for name in ("memo", "payer_name") if name in values]
    return not has_money and bool(texts) and "date" not in values and not any(
        isinstance(text, str) and (profiles.is_total_label(text) or profiles.is_sign_off(text)) for text in texts)


def _footer(row: list[object], info: StatementInfo, balances: _BalanceTracker, balance: object = None) -> None:
    """A balance the table states on a row of its own: after its label, or in the balance column when the
    label comes after it (a layout with the memo last writes "Số dư cuối kỳ" there, the balance before it).
    A closing anywhere; an opening only before the first transaction (ACB, Agribank open the table with
    "Số dư đầu kỳ"), as above the header: further down, "Số dư đầu ngày" is a later day's. The period's
    opening after the last transaction is kept apart (`opening_below`): a newest-first table ends with it."""
    cells = [c for c in row if not _blank(c)]
    for index, cell in enumerate(cells):
        closing = profiles.label_in(cell, profiles.CLOSING_LABELS)
        below = not closing and balances.started and profiles.label_in(cell, profiles.PERIOD_OPENING_LABELS)
        if not closing and not below and (balances.started or not profiles.label_in(cell, profiles.OPENING_LABELS)):
            continue
        amount = _first_amount([str(cell).partition(":")[2], *cells[index + 1:], balance])
        if amount is None:
            continue
        if closing:
            balances.stated_closing = amount
        elif below:
            balances.opening_below = amount
        elif balances.stated_opening is None:
            balances.stated_opening = amount


def _with_fees(values: dict[str, object], line_no: int, columns: _Columns) -> tuple[StatementLine | None,
                                                                                 list[StatementLine]]:
    """(the row's transaction, it and a debit line for each fee the bank took beside it). A fee column's
    money (`Phí`, `Số tiền phí`, `VAT`) is not part of the row's amount, nor dropped: it left the account,
    as the row's balance shows, so it is a line of its own, numbered after the row's transaction, with
    its day and reference. The row's balance is on its first line."""
    line = _line(values, line_no, columns.split, columns.serial_text)
    lines = [line] if line is not None else []
    for name in columns.fees:
        label, cell = profiles.FEE_FIELDS[name], values.get(name)
        if isinstance(cell, str) and not any(ch.isdigit() for ch in cell):
            continue  # `Miễn phí`, `Không`: no fee, in words
        fee = parse_amount(cell, line_no=line_no, field_name=label, side=DEBIT)
        if not fee:
            continue
        day, at = (line.booking_date, line.booked_at) if line is not None \
            else _when(values, line_no, columns.serial_text)
        memo = _text(values.get("memo"))
        lines.append(StatementLine(
            line_no=line_no + len(lines), booking_date=day, booked_at=at, amount_vnd=abs(fee), direction=DEBIT,
            memo=f"{label}: {memo}" if memo else label, bank_ref=_reference(values.get("ref")),
            value_date=_value_date(values.get("value_date"), day, line_no, columns.serial_text)))
    balance = values.get("balance")
    if line is None and lines and balance is not None:
        lines[0].balance_after_vnd = parse_amount(balance, line_no=line_no, field_name="balance")
    return line, lines


def _when(values: dict[str, object], line_no: int, serial_text: bool = True) -> tuple[date, datetime | None]:
    """The row's day, and its instant when it gives a time (in its date cell or a time column)."""
    day, at = parse_local_date(values.get("date"), line_no=line_no, serial_text=serial_text)
    clock = values.get("time")
    if at is None and clock is not None:
        day, at = parse_local_date(f"{day:%d/%m/%Y} {_clock_text(clock, line_no)}", line_no=line_no)
    return day, at


def _line(values: dict[str, object], line_no: int, split: bool, serial_text: bool = True) -> StatementLine | None:
    day, at = _when(values, line_no, serial_text) if "time" in values else \
        parse_local_date(values.get("date"), line_no=line_no, serial_text=serial_text)  # `_when` without a time
    amount, direction = _money(values, line_no, split)
    if amount == 0:
        return None  # an informational row (zero amount): not a transaction
    if amount < 0:
        # Money going out is written in the debit column: a negative credit is not a debit, and reading
        # it as a reversal (a storno) would be a guess that takes a citizen's payment back. Refused.
        raise statement_error("invalid_amount", f"the credit {str(values['credit'])[:40]} is negative: a bank "
                              "writes money going out in the debit column", line_no=line_no)
    if split and direction == CREDIT:
        _refuse_debit_mark(values, line_no)  # here, not in `_money`: its lenient reading would drop the row
    get = values.get
    balance, value_date = get("balance"), get("value_date")
    memo, ref, payer_name, payer_account = get("memo"), get("ref"), get("payer_name"), get("payer_account")
    # Positional, each cell's reading skipped when the row has none (the line's every field, once a row).
    return StatementLine(
        line_no, day, amount, direction,
        (single_spaced(memo) if type(memo) is str else _text(memo)) or "",  # memo
        single_spaced(ref) if type(ref) is str else _reference(ref),  # bank_ref
        at,  # booked_at
        _value_date(value_date, day, line_no, serial_text) if value_date is not None else None,
        None if payer_name is None else _text(payer_name),
        None if payer_account is None else _text(payer_account),
        parse_amount(balance, line_no=line_no, field_name="balance") if balance is not None else None,
    )


# How a bank writes "no date" in a date column: a dash (or an en/em dash), as for a zero amount.
_NO_DATE = ("-", "\u2013", "\u2014")


# A day and month without the year (`24/11`), as some exports print the value date beside a full booking date.
_DAY_MONTH = re.compile(r"\s*(\d{1,2})[/.\-](\d{1,2})\s*")


def _value_date(cell: object, booked: date, line_no: int, serial_text: bool = True) -> date | None:
    """The line's value date, if the row gives one: information only (the line counts in its booking
    day), so a dash for "none" is none, not a refused file, and one without its year is of the year
    nearest the booking day (`02/01` beside 31/12/2026 is in 2027); anything else must read as a date."""
    if _blank(cell) or (isinstance(cell, str) and cell.strip() in _NO_DATE):
        return None
    day_month = _DAY_MONTH.fullmatch(cell) if isinstance(cell, str) else None
    if day_month is not None:
        found = nearest_year(int(day_month[2]), int(day_month[1]), booked)
        if found is None:
            raise statement_error("invalid_date", f"value date {cell.strip()!r} is not a valid date", line_no=line_no)
        return found
    return parse_local_date(cell, line_no=line_no, field_name="value date", serial_text=serial_text)[0]


def _clock_text(clock: object, line_no: int) -> str:
    """A time cell as text: `10:15:22`, a time, a date-time (its time), or Excel's fraction of a day."""
    if isinstance(clock, str):
        digits = _CLOCK_DIGITS.fullmatch(clock)
        return _clock_of_digits(digits[1], line_no) if digits else clock
    if isinstance(clock, (datetime, time)):
        return f"{clock:%H:%M:%S}"
    if isinstance(clock, (int, float)) and not isinstance(clock, bool):
        if clock >= 1 and clock == int(clock):  # `143005`: HHMMSS as a number (a fraction of a day is below 1)
            return _clock_of_digits(str(int(clock)), line_no)
        return f"{excel_fraction_of_day(clock, line_no):%H:%M:%S}"
    raise statement_error("invalid_date", f"time {str(clock)[:40]!r} is not a time", line_no=line_no)


# A time as core banking writes it, HHMMSS without separators (`143005`; `93005` once a spreadsheet dropped the zero).
_CLOCK_DIGITS = re.compile(r"\s*(\d{5,6})\s*")


def _clock_of_digits(digits: str, line_no: int) -> str:
    digits = digits.zfill(6)
    if len(digits) != 6 or int(digits[:2]) > 23 or int(digits[2:4]) > 59 or int(digits[4:]) > 59:
        raise statement_error("invalid_date", f"time {digits!r} is not a time (HHMMSS)", line_no=line_no)
    return f"{digits[:2]}:{digits[2:4]}:{digits[4:]}"


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return single_spaced(str(value))


def _reference(value: object) -> str | None:
    """The bank's reference; a number cell only when it still spells the bank's text. A spreadsheet
    saved through Excel turns `5007.50790` into 5007.5079 (the trailing zero, hence the text, is
    gone; `5007.5079` would key the line apart from its CSV/MT940 twin and credit it twice), and a
    float beyond 2**53 has lost digits: neither is a reference (the line is keyed by its fingerprint)."""
    if isinstance(value, float):
        if not value.is_integer() or abs(value) >= _EXACT_FLOAT:
            return None
        value = int(value)
    return _text(value)


def _money(values: dict[str, object], line_no: int, split: bool, lenient: bool = False) -> tuple[int, str]:
    """(amount, direction) of a row; `lenient`: a row whose money cells are not amounts has none
    (a note or a total's label running into them), for rows that are no transaction without money.
    A negative credit is kept negative: it is money (a row that has it is no memo or note), and
    `_line` refuses it."""
    if lenient:
        try:
            return _money(values, line_no, split)
        except StatementError:
            return 0, CREDIT
    if split:
        credit, debit = values.get("credit"), values.get("debit")  # the other side's cell is mostly empty: no call
        credit = parse_amount(credit, line_no=line_no, field_name="credit", side=CREDIT) or 0 if credit is not None else 0
        debit = parse_amount(debit, line_no=line_no, field_name="debit", side=DEBIT) or 0 if debit is not None else 0
        if credit and debit:
            raise statement_error("invalid_amount", "a row has both a debit and a credit", line_no=line_no)
        if credit:
            return credit, CREDIT  # negative: money, which `_line` refuses (never a debit)
        return abs(debit), DEBIT  # a debit written with a minus is still a debit
    amount = parse_amount(values.get("amount"), line_no=line_no) or 0
    sign = CREDIT if amount > 0 else DEBIT
    marker = values.get("direction")
    if marker is None:
        return abs(amount), sign
    direction = profiles.direction_of(marker)
    if direction is None:
        raise statement_error("unknown_direction", f"the debit/credit mark {str(marker)[:20]!r} is not one we know "
                              "(C/D, Cr/Dr, Có/Nợ, Ghi có/Ghi nợ, Thu/Chi, In/Out)", line_no=line_no,
                              marker=str(marker)[:20])
    if amount < 0 and direction == CREDIT:
        raise statement_error("unknown_direction", f"the row is marked {str(marker)[:20]!r} (credit) but its amount "
                              "is negative", line_no=line_no, marker=str(marker)[:20])
    return abs(amount), direction


def _writes_side(cell: object) -> bool:
    """Whether an amount cell says its side: a minus or a plus, or a `CR`/`DR` mark."""
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return cell < 0
    text = str(cell or "").strip().replace(MINUS_SIGN, "-")
    return text.startswith(("+", "-", "(")) or text.endswith(("-", ")")) or bool(_SIDE_MARK.search(text))


_SIDE_MARK = re.compile(r"\b(?:CR|DR)\b", re.IGNORECASE)


def _writes_debit(cell: object) -> bool:
    """Whether an amount cell that writes its side writes money going out (`-11.000`, `(11.000)`, `11.000-`,
    `DR 11.000`): where a column writes so, its unsigned amounts are the bank's credits. A column that marks
    only its credits (`+30.000`) leaves the unsigned ones to the balance."""
    try:
        return (parse_amount(cell) or 0) < 0
    except StatementError:
        return False


def _refuse_debit_mark(values: dict[str, object], line_no: int) -> None:
    """A credit column's row that a mark column calls a debit (`Dr`, `Chi`) contradicts itself: read as
    its column says, money going out would be credited to someone. A mark that is no side (a
    transaction type, "Chuyển tiền nhanh 247") says nothing."""
    marker = values.get("direction")
    if marker is not None and profiles.direction_of(marker) == DEBIT:
        raise statement_error("unknown_direction", f"the row is marked {str(marker)[:20]!r} (debit) but its amount "
                              "is in the credit column", line_no=line_no, marker=str(marker)[:20])


@dataclass
class _DayBalances:
    total: int = 0
    rows: int = 0
    # (balance, signed sum before the row, signed sum through it, the row's place in the day in file order)
    first: tuple[int, int, int, int] | None = None
    last: tuple[int, int, int, int] | None = None


@dataclass
class _BalanceTracker:
    """Day balances from the rows that carry one, whether the file runs oldest or newest first."""

    days: dict[date, _DayBalances] = field(default_factory=dict)
    order: list[date] = field(default_factory=list)
    probes: list[tuple[int, int, int]] = field(default_factory=list)  # first two balance rows (whole file)
    running: int = 0
    first_at: datetime | None = None  # the first and last booking times, in file order
    last_at: datetime | None = None
    stated_opening: int | None = None
    stated_closing: int | None = None
    started: bool = False  # a transaction row was read (its lines may be held until their sides are known)
    opening_below: int | None = None  # the period's opening stated after the last transaction (`_footer`)
    period_first: date | None = None  # the period the title gives (`_period`)
    period_last: date | None = None

    def add(self, line: StatementLine, signed: int) -> None:
        """A row: its first line, and what all its lines move (`signed`: its transaction and its fees)."""
        day = self.days.get(line.booking_date)
        if day is None:
            day = self.days[line.booking_date] = _DayBalances()
            self.order.append(line.booking_date)
        before = day.total
        day.total += signed
        day.rows += 1
        self.running += signed
        if line.booked_at is not None:
            self.first_at = self.first_at or line.booked_at
            self.last_at = line.booked_at
        if line.balance_after_vnd is not None:
            mark = (line.balance_after_vnd, before, day.total, day.rows - 1)
            day.first = day.first or mark
            day.last = mark
            if len(self.probes) < 2:
                self.probes.append((line.balance_after_vnd, self.running - signed, self.running))

    def newest_first(self) -> bool:
        """Two balance rows tell the order: oldest first, b2 - b1 is what the rows through the
        second added; newest first, b1 - b2 is what the rows from the first up to the second added.
        Else the booking times (a day's file with one balance), else the order of the days."""
        if len(self.probes) == 2:
            (b1, before1, through1), (b2, before2, through2) = self.probes
            if b2 - b1 == through2 - through1:
                return False
            if b1 - b2 == before2 - before1:
                return True
        if self.first_at is not None and self.last_at is not None and self.first_at != self.last_at:
            return self.first_at > self.last_at
        return len(self.order) > 1 and self.order[0] > self.order[-1]

    def finish(self, info: StatementInfo) -> None:
        """Closing from the day's latest balance. Opening only from a balance on the day's earliest
        row (the balance before that row is what it states less the row), and only when another
        row gives the closing: worked out from one balance, opening + the day's lines = closing
        whatever the bank counted, and the check would prove nothing. Left unstated, the check
        takes the previous day's closing (`exceptions.balance_checks`)."""
        newest_first = self.newest_first()
        for day, seen in self.days.items():
            if seen.first is None:
                continue
            newest, oldest = (seen.first, seen.last) if newest_first else (seen.last, seen.first)
            balance, before, through, _ = newest
            info.closing(day, balance + before if newest_first else balance + (seen.total - through))
            balance, before, through, place = oldest
            earliest_row = place == (seen.rows - 1 if newest_first else 0)
            if earliest_row and oldest[3] != newest[3]:
                info.opening(day, balance - (seen.total - before) if newest_first else balance - through)
        if self.order:
            first, last = (self.order[-1], self.order[0]) if newest_first else (self.order[0], self.order[-1])
        elif self.period_first is not None and self.period_last is not None and self.period_first <= self.period_last:
            # No transaction: a quiet period, its balances stated for the days the title names (an MT940's
            # :60F:/:62F: or a camt.053's OPBD/CLBD way). Without a period the balances name no day (`empty_statement`).
            first, last = self.period_first, self.period_last
        else:
            return
        if self.stated_opening is not None:
            info.opening(first, self.stated_opening)
        if self.stated_closing is not None:
            info.closing(last, self.stated_closing)
