"""Bank exports as XLSX workbooks: opened safely, streamed row by row into `tabular.read_rows`.

openpyxl reads the sheets in read-only mode; its table of shared strings (one per distinct memo
or reference) is kept in a temporary file instead of a list, so memory stays flat with the size
of the statement. A workbook that unpacks to far more than its size is refused before opening.
"""
from __future__ import annotations

import bisect
import functools
import itertools
import tempfile
import zipfile
from array import array
from collections.abc import Iterator, Sequence
from typing import BinaryIO

from reconciliation import profiles, tabular
from reconciliation.statements import StatementError, StatementInfo, StatementLine, statement_error

MAX_XLSX_UNPACKED = 2 * 1024**3  # bytes once unzipped: a zip bomb stops here
MAX_XLSX_RATIO = 200


def parse_xlsx(source: BinaryIO, info: StatementInfo, *, profile: str | None = None) -> Iterator[StatementLine]:
    _refuse_zip_bomb(source)
    reader = None
    try:
        reader = _streaming_reader()(source, read_only=True, data_only=True)
        reader.read()
    except StatementError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types on damaged files: all are "unreadable"
        if reader is not None and isinstance(reader.shared_strings, SharedStrings):
            reader.shared_strings.close()
        raise statement_error("malformed_xlsx", "the spreadsheet cannot be opened as .xlsx") from exc
    try:
        yield from _read_sheets(reader.wb.worksheets, info, profile)
    finally:
        reader.wb.close()
        if isinstance(reader.shared_strings, SharedStrings):
            reader.shared_strings.close()


class SharedStrings(Sequence):
    """A workbook's shared-strings table kept in a temporary file, not in memory.

    openpyxl's read-only mode streams the rows but holds every shared string in a list: one per
    distinct memo or reference, so memory grows with the statement. Here each string is written to
    disk as it is parsed (its element then dropped) and looked up by its offset when a cell names
    it: what stays in memory is one end offset (8 bytes) per string."""

    def __init__(self, source: BinaryIO) -> None:
        from defusedxml.ElementTree import iterparse
        from openpyxl.cell.text import Text
        from openpyxl.xml.constants import SHEET_MAIN_NS

        self._file = tempfile.TemporaryFile()
        self._ends = array("Q")
        item, root, end = f"{{{SHEET_MAIN_NS}}}si", None, 0
        try:
            for event, node in iterparse(source, events=("start", "end"), forbid_dtd=True):
                if root is None:
                    root = node
                elif event == "end" and node.tag == item:
                    # The text exactly as openpyxl's own string table reads it (runs joined, escapes undone).
                    data = Text.from_tree(node).content.replace("x005F_", "").encode("utf-8", "surrogatepass")
                    end += self._file.write(data)
                    self._ends.append(end)
                    root.clear()  # a cleared node still hangs from its parent: drop the lot
        except BaseException:
            self.close()
            raise

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, index):  # an int: what openpyxl's sheet reader asks
        if not 0 <= index < len(self._ends):
            raise IndexError(index)  # a cell naming a string the table lacks: a damaged file
        end = self._ends[index]
        start = self._ends[index - 1] if index else 0
        self._file.seek(start)
        return self._file.read(end - start).decode("utf-8", "surrogatepass")

    def close(self) -> None:
        self._file.close()


def _streaming_reader():
    """openpyxl's workbook reader with the shared strings on disk (`SharedStrings`)."""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.xml.constants import SHARED_STRINGS

    class StreamingReader(ExcelReader):
        def read_strings(self) -> None:
            if self.rich_text:
                return super().read_strings()
            found = self.package.find(SHARED_STRINGS)
            if found is not None:
                with self.archive.open(found.PartName[1:]) as src:
                    self.shared_strings = SharedStrings(src)

    return StreamingReader


def _read_sheets(sheets: list, info: StatementInfo, profile: str | None) -> Iterator[StatementLine]:
    """Every sheet with a transaction header, in workbook order (a sheet per day, a summary
    sheet before the details); sheets without one are skipped. A sheet that repeats lines of an
    earlier one (an "all" sheet beside per-day sheets) is refused: those lines would count twice.
    The earlier sheets' lines are remembered as 8-byte hashes (sorted), not as tuples: memory stays
    flat (a false alarm needs two of a file's lines to share 64 bits of hash)."""
    line_no = 0
    found = False
    several = len(sheets) > 1
    earlier = array("q")  # sorted
    since_file = tabular.Sides()  # what every sheet's lines add up to: a grand total on the last sheet
    for sheet in sheets:
        if several and profiles.is_summary_sheet(sheet.title):
            continue  # totals per day beside the detail sheet: never transactions
        if several and profiles.is_cover_sheet(sheet.title):
            tabular.read_cover(_xlsx_rows(sheet), info)
            continue
        mine = array("q")
        try:
            for line in tabular.read_rows(_xlsx_rows(sheet), info, profile, first_line_no=line_no,
                                          since_file=since_file):
                if several:
                    key = _identity(line)
                    at = bisect.bisect_left(earlier, key)
                    if at < len(earlier) and earlier[at] == key:
                        raise statement_error("overlapping_sheets", f"sheet {sheet.title!r} repeats line "
                                              f"{line.bank_ref or line.memo[:40]!r} of an earlier sheet; import one "
                                              "sheet per file or remove the duplicate sheet", line_no=line.line_no)
                    mine.append(key)
                line_no = line.line_no
                found = True
                yield line
        except StatementError as exc:
            if exc.code != "missing_columns":
                raise
            continue  # no header on this sheet: not a statement sheet
        found = True
        if mine:
            earlier = array("q", sorted(itertools.chain(earlier, mine)))
    if not found:
        raise statement_error("missing_columns", "no sheet has a header row naming a date column and a credit "
                              f"(or amount) column in its first {tabular.HEADER_SEARCH_ROWS} rows",
                              expected=["date", "credit|amount", "memo"])


def _identity(line: StatementLine) -> int:
    """What makes a line the same line on another sheet: its bank reference, day, amount and side;
    without a reference, everything the row says (day and time, side, amount, memo, balance after it):
    two sheets listing one transfer agree on all of it, two transfers hardly ever do."""
    if line.bank_ref:
        return hash((line.booking_date, line.bank_ref, line.amount_vnd, line.direction))
    return hash((line.booking_date, line.booked_at, line.direction, line.amount_vnd, line.memo,
                 line.balance_after_vnd, line.payer_name, line.payer_account))


def _xlsx_rows(sheet) -> Iterator[list[object]]:
    """The sheet's rows as lists of values, row 1 first (a row the sheet skips is an empty list). The
    sheet's recorded size (<dimension>) is not read: writers leave it stale, Excel ignores it, and
    trusting it would drop every row past it, or the whole sheet. A formula cell saved without its
    value (by a script or a converter that never calculated it) is `tabular.Uncalculated`, not None:
    read as empty, its row was read past without a word (`tabular` refuses it where a transaction needs it)."""
    try:
        with sheet._get_source() as source:
            parser = _parser()(source, sheet._shared_strings, data_only=True, epoch=sheet.parent.epoch,
                               date_formats=sheet.parent._date_formats,
                               timedelta_formats=sheet.parent._timedelta_formats)
            expected = 1
            for number, cells in parser.parse():
                if number < expected:  # openpyxl's own reader read such a row past without a word
                    raise statement_error("malformed_xlsx", f"sheet {sheet.title!r} lists row {number} after row "
                                          f"{expected - 1}: the spreadsheet is damaged; open it in Excel and save "
                                          "it again", row=number)
                while expected < number:  # rows the sheet leaves out
                    expected += 1
                    yield []
                expected = number + 1
                row: list[object] = [None] * max((cell["column"] for cell in cells), default=0)
                for cell in cells:
                    if cell["column"] >= 1:
                        row[cell["column"] - 1] = cell["value"]
                yield row
    except StatementError:
        raise
    except Exception as exc:  # noqa: BLE001 - see parse_xlsx
        raise statement_error("malformed_xlsx", "a worksheet of the spreadsheet cannot be read") from exc


@functools.cache
def _parser():
    """openpyxl's sheet parser, but a formula cell saved without its value is `tabular.Uncalculated`."""
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

    class Parser(WorkSheetParser):
        def parse_cell(self, element):
            cell = super().parse_cell(element)
            # A text result may be empty (`=IF(…;"";…)`, written `t="str"` with an empty value): that is a
            # calculated blank. A number, date or truth value is never empty once calculated.
            if cell["value"] is None and cell["data_type"] != "str" and element.find(FORMULA_TAG) is not None:
                cell["value"] = tabular.Uncalculated(f"{get_column_letter(cell['column'])}{cell['row']}")
            return cell

    return Parser


def _refuse_zip_bomb(source: BinaryIO) -> None:
    size = source.seek(0, 2)
    source.seek(0)
    try:
        with zipfile.ZipFile(source) as archive:
            unpacked = sum(item.file_size for item in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:  # the last: a zip feature
        raise statement_error("malformed_xlsx", "the spreadsheet is not a valid .xlsx (zip) file") from exc
    finally:
        source.seek(0)
    if unpacked > MAX_XLSX_UNPACKED or unpacked > max(size, 1) * MAX_XLSX_RATIO:
        raise statement_error("suspicious_archive", "the spreadsheet unpacks to far more than its size; refused",
                              status=413)
