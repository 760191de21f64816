"""The side of an amount a table does not write, told by its running balance. Pure.

A CSV/XLSX export with one amount column and a balance column (no debit/credit split, no side mark) may
write every amount unsigned: a bank fee (`11.000`, the balance going down) reads as a credit, and was
credited to a payment request. The bank's balance says which side the money went: between two known
balances (the rows' own, or the opening or closing the file states), the rows whose side is not written
moved the balance by the sum of their amounts, up (all credits) or down (all debits); the rows whose side
is written (a sign, a fee column) move it as they say. Anything else is no side we can tell, and the file
is refused naming the line (`amount_side_unknown`): reading it as a credit would pay a dossier with money
that went out. A row no balance around tells is a credit only when the amount column writes the debits of
other rows (a minus, parentheses, `DR`: unsigned is then the bank's credit), as before; a column marking only
its credits (`+30.000`) does not say so.

Which way the file runs (oldest or newest first) decides which balance comes before a row: told by its
booking days or times; a file of one day without times is tried both ways at its end, and read only when
exactly one way fits (or both read every row alike).

Rows are held only while a side is untold (until the balance below tells it): a table whose sides are all
written, or all told row by row, streams as before.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from reconciliation.statements import CREDIT, DEBIT, StatementError, StatementLine, statement_error

OLDEST, NEWEST = "oldest", "newest"
# Rows held waiting for a side to be told (an order not known, a row no balance tells yet): past this, refused.
MAX_HELD = 50_000
TRIM_EVERY = 4096  # rows handed on before those behind the last settled balance are dropped


@dataclass(slots=True)
class Row:
    lines: list[StatementLine] | None  # None once handed on
    unsigned: int  # the transaction's amount whose side is to be told; 0 when the row writes its side
    balance: int | None
    known: int  # what the row's lines of known side move the balance by
    transaction: bool  # its first line is the row's transaction (else the row is fees only)
    blocked: bool = False  # no balance around it tells its side (yet)
    tag: object = None  # the caller's, for its untold transaction (`tabular`: the sums it is counted in)

    @property
    def line_no(self) -> int:
        return self.lines[0].line_no if self.lines else 0


class BalanceSides:
    """The table's rows in file order; `ready()` hands on the rows whose every side is known."""

    def __init__(self, active: bool, on_decided: Callable[[Row, bool], None]) -> None:
        self.active = active  # a table with one amount column, no side column, and a balance column
        self.on_decided = on_decided  # (the row, whether its side was untold) once its every side is known
        self.rows: list[Row] = []  # the whole table (lines dropped once handed on), when active
        self.handed = 0  # rows handed on
        self.order: str | None = None
        self.first_when: tuple | None = None
        self.balances: list[int] = []  # positions of the rows with a balance
        self.settled = 0  # balances[:settled] have closed their groups
        self.opening: int | None = None
        self.opening_below: int | None = None
        self.closing: int | None = None
        self.writes_debits = False
        self.trimmed = False  # rows before the last settled balance were dropped (`_trim`)
        self.first_balance: int | None = None  # the first row's, and the last row's, balance
        self.last_balance: int | None = None
        self.count = 0

    def push(self, lines: list[StatementLine], transaction: bool, unsigned: bool, writes_debits: bool,
             opening: int | None, tag: object = None) -> None:
        """A transaction row's lines (`transaction`: the first is its transaction, not a fee); `unsigned`: its
        transaction line's side is not written (read as a credit for now); `writes_debits`: whether the amount
        column has written the side of money going out (a minus) on any row so far; `opening`: the balance the
        file states before its first row, if any."""
        self.writes_debits, self.opening = writes_debits, opening
        first = lines[0]
        unsigned = unsigned and self.active
        known = sum(line.signed_vnd for line in (lines[1:] if unsigned else lines))
        row = Row(lines, first.amount_vnd if unsigned else 0, first.balance_after_vnd, known, transaction, tag=tag)
        if not self.active:
            self.rows.append(row)
            self.on_decided(row, False)
            return
        self.count += 1
        if self.count == 1:
            self.first_balance = row.balance
        self.last_balance = row.balance
        when = (first.booking_date, first.booked_at)
        if self.first_when is None:
            self.first_when = when
        elif self.order is None:
            self.order = _order(self.first_when, when)
        self.rows.append(row)
        if row.balance is not None:
            self.balances.append(len(self.rows) - 1)
        if not row.unsigned:
            self.on_decided(row, False)
        if writes_debits:
            self._unblock()
        if self.order is not None and self.settled < len(self.balances):  # a balance closed a group
            self._settle(final=False)
        self._trim()
        if len(self.rows) - self.handed > MAX_HELD:
            held = self.rows[self.handed]
            raise statement_error("amount_side_unknown", "the amount column writes no side and no balance tells it "
                                  f"for {MAX_HELD:,} rows", line_no=held.line_no)

    def ready(self, keep: int) -> list[list[StatementLine]]:
        """The lines of each row whose sides are known, in file order, but the last `keep` rows (a list: called
        once a row, and a generator's set-up cost more than the row's usual one or two lines)."""
        end = len(self.rows) - keep
        done: list[list[StatementLine]] = []
        while self.handed < end:
            row = self.rows[self.handed]
            if row.unsigned or row.blocked:
                return done
            done.append(row.lines)
            row.lines = None
            self.handed += 1
        if not self.active:  # nothing to look back at
            del self.rows[:self.handed]
            self.handed = 0
        return done

    def finish(self, opening: int | None, closing: int | None, opening_below: int | None = None) -> None:
        """The table's end: the stated opening and closing close the first and last groups (`opening_below`,
        stated under the last row, opens only a newest-first table)."""
        self.opening, self.closing, self.opening_below = opening, closing, opening_below
        if not self.active or not any(row.unsigned for row in self.rows[self.handed:]):
            return
        if not self.balances:  # a balance column left empty: a table without one, whose unsigned amounts are credits
            self.writes_debits = True
            self._unblock_all()
            return
        if self.order is None:
            self.order = self._only_order()
        if not self.trimmed:  # again from the start: the first group's balance before it may be known only now
            self.settled = 0
        self._settle(final=True)
        for row in self.rows:
            if row.blocked:
                raise statement_error(
                    "amount_side_unknown", "the amount column writes no side (no minus, plus or CR/DR, no debit or "
                    "credit column) and no balance before and after the row tells whether the money came in or "
                    "went out", line_no=row.line_no)

    def _trim(self) -> None:
        """Drop the rows handed on before the last settled balance (which the next groups start from): a large
        table is not kept whole. Not while a row waits for a balance the table's end may give (its opening)."""
        if self.handed < TRIM_EVERY or self.order is None or not self.settled:
            return
        cut = min(self.handed, self.balances[self.settled - 1])
        if cut < TRIM_EVERY or any(row.blocked for row in self.rows[self.handed:]):
            return
        del self.rows[:cut]
        kept = [mark - cut for mark in self.balances if mark >= cut]
        self.settled -= len(self.balances) - len(kept)
        self.balances = kept
        self.handed -= cut
        self.trimmed = True

    def latest_balance(self) -> int | None:
        """The balance after the table's latest row in time, when a row states it: the next sheet's opening."""
        if self.order == NEWEST:
            return self.first_balance
        if self.order == OLDEST or self.count == 1:
            return self.last_balance
        return None

    # --- groups -------------------------------------------------------------------------

    def _groups(self, order: str, start: int, final: bool) -> Iterator[tuple[list[Row], int | None, int | None]]:
        """(rows, the balance before them, the balance after them), in time, for each group closed by the
        balances from `balances[start]` on (and, when `final`, by the table's end)."""
        rows, marks = self.rows, self.balances
        for k in range(start, len(marks) + (1 if final else 0)):
            here = marks[k] if k < len(marks) else None
            prior = marks[k - 1] if k > 0 else None
            if order == OLDEST:  # the rows after the prior balance, through this one (or the table's end)
                group = rows[(prior + 1 if prior is not None else 0):(here + 1 if here is not None else len(rows))]
                before = rows[prior].balance if prior is not None else self.opening
                after = rows[here].balance if here is not None else self.closing
            else:  # the prior balance's row and those after it, up to this one (they came after this one's)
                group = rows[(prior if prior is not None else 0):(here if here is not None else len(rows))]
                after = rows[prior].balance if prior is not None else self.closing
                before = rows[here].balance if here is not None else \
                    (self.opening if self.opening is not None else self.opening_below)
            yield group, before, after

    def _settle(self, final: bool) -> None:
        for group, before, after in self._groups(self.order, self.settled, final):
            side = _side(group, before, after)
            for row in group:
                if not row.unsigned:
                    continue
                row.blocked = side is None
                if side is not None:
                    self._decide(row, side)
        self.settled = len(self.balances)
        self._unblock()

    def _unblock_all(self) -> None:
        for row in self.rows[self.handed:]:
            if row.unsigned:
                row.blocked = True
        self._unblock()

    def _unblock(self) -> None:
        if not self.writes_debits:
            return
        for row in self.rows[self.handed:]:
            if row.blocked:  # the column writes the debits' side: an unsigned amount is the bank's credit
                row.blocked = False
                self._decide(row, CREDIT)

    def _decide(self, row: Row, side: str) -> None:
        line = row.lines[0]
        line.direction = side
        row.known += line.signed_vnd
        row.unsigned = 0
        self.on_decided(row, True)

    def _only_order(self) -> str:
        """The one order in which the balances tell every side (or both tell them alike); else refused."""
        found: dict[str, list[str | None] | StatementError] = {}
        for order in (OLDEST, NEWEST):
            sides: list[str | None] = []
            try:
                for group, before, after in self._groups(order, 0, True):
                    side = _side(group, before, after)
                    sides += [side for row in group if row.unsigned]
            except StatementError as exc:
                found[order] = exc
                continue
            found[order] = sides
        fits = [order for order, sides in found.items() if not isinstance(sides, StatementError)]
        if not fits:
            raise found[OLDEST]
        if len(fits) == 1 or found[OLDEST] == found[NEWEST]:
            return fits[0]
        first = next(row for row in self.rows if row.unsigned)
        raise statement_error("amount_side_unknown", "the amount column writes no side, and the balances tell "
                              "different sides whether the file runs oldest or newest first (one day, no times)",
                              line_no=first.line_no)


def _order(first: tuple, later: tuple) -> str | None:
    (day1, at1), (day2, at2) = first, later
    if day1 != day2:
        return OLDEST if day2 > day1 else NEWEST
    if at1 is not None and at2 is not None and at1 != at2:
        return OLDEST if at2 > at1 else NEWEST
    return None


def _side(group: list[Row], before: int | None, after: int | None) -> str | None:
    """The side of the group's untold amounts: all credits when the balance moved up by their sum (beside
    what the rest moved it by), all debits when down by it; None when a balance is not known; else refused."""
    untold = [row for row in group if row.unsigned]
    if not untold:
        return None
    if before is None or after is None:
        return None
    total = sum(row.unsigned for row in untold)
    moved = after - before - sum(row.known for row in group)
    if moved == total:
        return CREDIT
    if moved == -total:
        return DEBIT
    first = untold[0]
    what = f"the amount {total:,}" if len(untold) == 1 else f"the {len(untold)} amounts adding up to {total:,}"
    raise statement_error("amount_side_unknown", f"the amount column writes no side, and the balance moved by "
                          f"{moved:+,} where {what} should move it up or down whole: which side the money is on "
                          "is a guess", line_no=first.line_no)
