"""Bank CSV and XLSX exports, read through the header synonyms of `profiles`. Pure, streaming.

Rows are read one at a time (csv.reader over a decoding stream; openpyxl in read-only
mode). Before the header: a preamble where the account number and opening balance may be
written. The header is the first of the first `HEADER_SEARCH_ROWS` rows that names a date
and a credit (or signed amount) column. After it: transactions; a row with no date and no
amount but some text continues the previous memo (wrapped memos); summary rows (totals,
closing balance) are read for the balance and otherwise skipped. The balance column may be
filled on some rows only: day balances are derived from whichever rows have one.
"""
from __future__ import annotations

import csv
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import BinaryIO

from reconciliation import profiles
from reconciliation.statements import (CREDIT, DEBIT, StatementError, StatementInfo, StatementLine,
                                       parse_amount, parse_local_date, statement_error)
from reconciliation.textfile import SNIFF_BYTES, text_stream

HEADER_SEARCH_ROWS = 50
MAX_XLSX_UNPACKED = 2 * 1024**3  # bytes once unzipped: a zip bomb stops here
MAX_XLSX_RATIO = 200
_ACCOUNT_DIGITS = re.compile(r"[0-9][0-9 .\-]{5,30}[0-9]")
_DIRECTION_WORDS = {"c": CREDIT, "cr": CREDIT, "co": CREDIT, "credit": CREDIT, "ghi co": CREDIT, "+": CREDIT,
                    "d": DEBIT, "dr": DEBIT, "no": DEBIT, "debit": DEBIT, "ghi no": DEBIT, "-": DEBIT}
csv.field_size_limit(1024 * 1024)


def parse_csv(source: BinaryIO, info: StatementInfo, *, profile: str | None = None) -> Iterator[StatementLine]:
    stream = text_stream(source)
    try:
        sample = stream.read(SNIFF_BYTES // 2)
        stream.seek(0)
        rows = csv.reader(stream, delimiter=_delimiter(sample))
        yield from _read_rows(_guard_csv(rows), info, profile)
    except UnicodeDecodeError as exc:
        raise statement_error("invalid_encoding", "the file is not valid text in a known encoding") from exc
    finally:
        stream.detach()


def _delimiter(sample: str) -> str:
    """The separator that splits most of the first lines into the same number (> 1) of fields."""
    lines = [line for line in sample.splitlines()[:60] if line.strip()]
    best, best_score = ",", (0, 0)
    for candidate in (",", ";", "\t", "|"):
        try:
            widths = [len(row) for row in csv.reader(lines, delimiter=candidate)]
        except csv.Error:
            continue
        wide = [w for w in widths if w > 1]
        if not wide:
            continue
        modal = max(set(wide), key=wide.count)
        score = (wide.count(modal), modal)
        if score > best_score:
            best, best_score = candidate, score
    return best


def _guard_csv(rows: Iterable[list[str]]) -> Iterator[list[str]]:
    iterator = iter(rows)
    while True:
        try:
            row = next(iterator)
        except StopIteration:
            return
        except csv.Error as exc:
            raise statement_error("malformed_csv", f"the CSV cannot be read: {exc}") from exc
        yield row


def parse_xlsx(source: BinaryIO, info: StatementInfo, *, profile: str | None = None) -> Iterator[StatementLine]:
    _refuse_zip_bomb(source)
    try:
        from openpyxl import load_workbook

        workbook = load_workbook(source, read_only=True, data_only=True)
    except StatementError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types on damaged files: all are "unreadable"
        raise statement_error("malformed_xlsx", "the spreadsheet cannot be opened as .xlsx") from exc
    try:
        sheets = [workbook.active] + [s for s in workbook.worksheets if s is not workbook.active]
        last_error: StatementError | None = None
        for sheet in sheets:
            try:
                yield from _read_rows(_xlsx_rows(sheet), info, profile)
                return
            except StatementError as exc:
                if exc.code != "missing_columns" or info.lines:
                    raise
                last_error = exc  # no header on this sheet: try the next one
        raise last_error or statement_error("missing_columns", "the workbook has no sheet")
    finally:
        workbook.close()


def _xlsx_rows(sheet) -> Iterator[list[object]]:
    try:
        for row in sheet.iter_rows(values_only=True):
            yield list(row)
    except StatementError:
        raise
    except Exception as exc:  # noqa: BLE001 - see parse_xlsx
        raise statement_error("malformed_xlsx", "a worksheet of the spreadsheet cannot be read") from exc


def _refuse_zip_bomb(source: BinaryIO) -> None:
    size = source.seek(0, 2)
    source.seek(0)
    try:
        with zipfile.ZipFile(source) as archive:
            unpacked = sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise statement_error("malformed_xlsx", "the spreadsheet is not a valid .xlsx (zip) file") from exc
    finally:
        source.seek(0)
    if unpacked > MAX_XLSX_UNPACKED or unpacked > max(size, 1) * MAX_XLSX_RATIO:
        raise statement_error("suspicious_archive", "the spreadsheet unpacks to far more than its size; refused",
                              status=413)


# --- rows -> lines ---------------------------------------------------------------------

@dataclass
class _Columns:
    mapping: dict[str, int]

    def get(self, row: list[object], name: str) -> object:
        index = self.mapping.get(name)
        if index is None or index >= len(row):
            return None
        value = row[index]
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value


def _read_rows(rows: Iterable[list[object]], info: StatementInfo, wanted: str | None) -> Iterator[StatementLine]:
    iterator = iter(rows)
    balances = _BalanceTracker()
    columns = _find_header(iterator, info, wanted, balances)
    pending: StatementLine | None = None
    line_no = 0
    for row in iterator:
        if not any(_blank(c) is False for c in row):
            continue
        day_cell = columns.get(row, "date")
        if day_cell is None or _is_label(day_cell):
            if pending is not None and _continues_memo(row, columns):
                pending.memo = f"{pending.memo} {columns.get(row, 'memo')}".strip()
                continue
            _footer(row, info, balances)
            continue
        line_no += 1
        line = _line(row, columns, line_no)
        if line is None:
            line_no -= 1
            continue
        if pending is not None:
            info.see(pending)
            yield pending
        balances.add(line)
        pending = line
    if pending is not None:
        info.see(pending)
        yield pending
    balances.finish(info)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_label(value: object) -> bool:
    return isinstance(value, str) and bool(re.search(r"[A-Za-zÀ-ỹĐđ]", value)) and not re.search(r"\d{1,4}[/.\-]\d", value)


def _find_header(iterator: Iterator[list[object]], info: StatementInfo, wanted: str | None,
                 balances: _BalanceTracker) -> _Columns:
    for _ in range(HEADER_SEARCH_ROWS):
        row = next(iterator, None)
        if row is None:
            break
        mapping = profiles.map_header(row)
        if profiles.is_header(mapping):
            info.profile = profiles.pick_profile(row, wanted).name
            return _Columns(mapping)
        _preamble(row, info, balances)
    raise statement_error("missing_columns", "no header row naming a date column and a credit (or amount) column "
                          f"in the first {HEADER_SEARCH_ROWS} rows", expected=["date", "credit|amount", "memo"])


def _preamble(row: list[object], info: StatementInfo, balances: _BalanceTracker) -> None:
    cells = [c for c in row if not _blank(c)]
    for index, cell in enumerate(cells):
        following = cells[index + 1:index + 3]
        if profiles.label_in(cell, profiles.ACCOUNT_LABELS) and not profiles.label_in(cell, ("doi ung",)):
            text = " ".join(str(c) for c in [str(cell).partition(":")[2], *following])
            found = _ACCOUNT_DIGITS.search(text)
            if found and not info.account:
                info.set_account(found.group(0))
        elif profiles.label_in(cell, profiles.OPENING_LABELS):
            amount = _first_amount([str(cell).partition(":")[2], *following])
            if amount is not None:
                balances.stated_opening = amount


def _first_amount(values: list[object]) -> int | None:
    for value in values:
        try:
            amount = parse_amount(value, field_name="balance")
        except StatementError:
            continue
        if amount is not None:
            return amount
    return None


def _continues_memo(row: list[object], columns: _Columns) -> bool:
    has_money = any(columns.get(row, name) is not None for name in ("debit", "credit", "amount"))
    return not has_money and columns.get(row, "memo") is not None and columns.get(row, "date") is None


def _footer(row: list[object], info: StatementInfo, balances: _BalanceTracker) -> None:
    cells = [c for c in row if not _blank(c)]
    for index, cell in enumerate(cells):
        if profiles.label_in(cell, profiles.CLOSING_LABELS):
            amount = _first_amount([str(cell).partition(":")[2], *cells[index + 1:]])
            if amount is not None:
                balances.stated_closing = amount


def _line(row: list[object], columns: _Columns, line_no: int) -> StatementLine | None:
    day, at = parse_local_date(columns.get(row, "date"), line_no=line_no)
    clock = columns.get(row, "time")
    if at is None and clock is not None:
        day, at = parse_local_date(f"{day:%d/%m/%Y} {clock}" if isinstance(clock, str) else
                                   f"{day:%d/%m/%Y} {clock:%H:%M:%S}", line_no=line_no)
    amount, direction = _money(row, columns, line_no)
    if amount == 0:
        return None  # an informational row (zero amount): not a transaction
    value_cell = columns.get(row, "value_date")
    balance = columns.get(row, "balance")
    ref = columns.get(row, "ref")
    return StatementLine(
        line_no=line_no, booking_date=day, booked_at=at, amount_vnd=amount, direction=direction,
        memo=_text(columns.get(row, "memo")) or "", bank_ref=_text(ref),
        value_date=parse_local_date(value_cell, line_no=line_no, field_name="value date")[0] if value_cell else None,
        payer_name=_text(columns.get(row, "payer_name")), payer_account=_text(columns.get(row, "payer_account")),
        balance_after_vnd=parse_amount(balance, line_no=line_no, field_name="balance") if balance is not None else None,
    )


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split()) or None


def _money(row: list[object], columns: _Columns, line_no: int) -> tuple[int, str]:
    if "credit" in columns.mapping and ("debit" in columns.mapping or "amount" not in columns.mapping):
        credit = parse_amount(columns.get(row, "credit"), line_no=line_no, field_name="credit") or 0
        debit = parse_amount(columns.get(row, "debit"), line_no=line_no, field_name="debit") or 0
        if credit and debit:
            raise statement_error("invalid_amount", "a row has both a debit and a credit", line_no=line_no)
        if credit:
            return abs(credit), CREDIT if credit > 0 else DEBIT
        return abs(debit), DEBIT
    amount = parse_amount(columns.get(row, "amount"), line_no=line_no) or 0
    marker = profiles.normalise_header(columns.get(row, "direction")) or str(columns.get(row, "direction") or "")
    direction = _DIRECTION_WORDS.get(marker.strip())
    if direction is None:
        direction = CREDIT if amount > 0 else DEBIT
    return abs(amount), direction


@dataclass
class _DayBalances:
    total: int = 0
    first: tuple[int, int, int] | None = None  # (balance, signed sum before the row, signed sum through it)
    last: tuple[int, int, int] | None = None


@dataclass
class _BalanceTracker:
    """Day balances from the rows that carry one, whether the file runs oldest or newest first."""

    days: dict[date, _DayBalances] = field(default_factory=dict)
    order: list[date] = field(default_factory=list)
    probes: list[tuple[int, int, int]] = field(default_factory=list)  # first two balance rows (whole file)
    running: int = 0
    stated_opening: int | None = None
    stated_closing: int | None = None

    def add(self, line: StatementLine) -> None:
        day = self.days.get(line.booking_date)
        if day is None:
            day = self.days[line.booking_date] = _DayBalances()
            self.order.append(line.booking_date)
        before = day.total
        day.total += line.signed_vnd
        self.running += line.signed_vnd
        if line.balance_after_vnd is not None:
            mark = (line.balance_after_vnd, before, day.total)
            day.first = day.first or mark
            day.last = mark
            if len(self.probes) < 2:
                self.probes.append((line.balance_after_vnd, self.running - line.signed_vnd, self.running))

    def newest_first(self) -> bool:
        """Two balance rows tell the order: oldest first, b2 - b1 is what the rows through the
        second added; newest first, b1 - b2 is what the rows from the first up to the second added."""
        if len(self.probes) == 2:
            (b1, before1, through1), (b2, before2, through2) = self.probes
            if b2 - b1 == through2 - through1:
                return False
            if b1 - b2 == before2 - before1:
                return True
        return len(self.order) > 1 and self.order[0] > self.order[-1]

    def finish(self, info: StatementInfo) -> None:
        newest_first = self.newest_first()
        for day, seen in self.days.items():
            if seen.first is None:
                continue
            if newest_first:
                balance, before, _ = seen.first
                info.closing(day, balance + before)
                balance, before, _ = seen.last
                info.opening(day, balance - (seen.total - before))
            else:
                balance, _, through = seen.first
                info.opening(day, balance - through)
                balance, _, through = seen.last
                info.closing(day, balance + (seen.total - through))
        if self.order:
            first, last = (self.order[-1], self.order[0]) if newest_first else (self.order[0], self.order[-1])
            if self.stated_opening is not None:
                info.opening(first, self.stated_opening)
            if self.stated_closing is not None:
                info.closing(last, self.stated_closing)
