"""Which payments a business day counts: those booked in it, and those that arrived for days
already closed (a late callback, a statement line imported after its day's close).

A closed day never changes, so money recorded for it after its close lands in the first
working day that was still open when the money was recorded — the rule `next_open_day`
gives statement lines, applied to payments by their `recorded_at`. Every payment counts in
exactly one day, and a day's set is fixed once it closes.

Later corrections of a closed day's payments (a release to suspense, a reversal, a write-off, a
refund) follow the same rule by their ledger entry's time: `adjusted_in` gives each to the first
working day still open when it was posted, as that day's adjustments.

The rule compares time stamps with `closed_at`, so the stamps must agree with what the close saw:
whatever the close counted is stamped at or before `closed_at`, whatever it did not see after
it. Every writer of money (line decisions, import chunks, and payments' own: callbacks, cash,
COD, suspense, voids, refunds) holds the books lock shared and stamps with
`kernel.books.stamp_after_closes`; the close holds it exclusively (`kernel.books.close_books`) and
stamps with `closing_stamp`.
"""
from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session

from kernel.clock import business_day_bounds, is_working_day
from payments.ledger import LedgerEntry
from payments.models import Payment
from reconciliation.models import CLOSED, ReconDay

LOOKBACK_DAYS = 400  # a statement found a year late still lands in a day (one cheap query of closed days)


def closing_stamp(session: Session, now: datetime) -> datetime:
    """The close's `closed_at` under `close_books`: `now`, or the newest ledger entry if one is
    stamped later (written while the close waited for its lock, and counted by it): what the close
    saw must not count a second time as late money or an adjustment of the next day."""
    newest = session.execute(select(func.max(LedgerEntry.at)).where(LedgerEntry.at > now)).scalar()
    return newest if newest is not None else now


def closed_days(session: Session, since: date | None) -> set[date]:
    query = select(ReconDay.business_date).where(ReconDay.status == CLOSED)
    if since is not None:
        query = query.where(ReconDay.business_date >= since)
    return set(session.execute(query).scalars())


def next_open_day(day: date, closed: Collection[date], holidays: Collection[date]) -> date:
    """The first working day after `day` that is not closed: where late corrections land."""
    current = day + timedelta(days=1)
    while current in closed or not is_working_day(current, holidays):
        current += timedelta(days=1)
    return current


def closing_times(session: Session, since: date) -> dict[date, datetime]:
    """When each closed day since `since` closed."""
    return dict(session.execute(select(ReconDay.business_date, ReconDay.closed_at).where(
        ReconDay.status == CLOSED, ReconDay.business_date >= since)).all())


def day_counting(booked_day: date, recorded_at: datetime, closed_at: dict[date, datetime],
                 holidays: Collection[date]) -> date:
    """The day that counts a payment booked on `booked_day` and recorded at `recorded_at` (the
    rule `counted_in` applies in SQL): its own day, unless that had closed by then; then the first
    working day after it that had not."""
    if booked_day not in closed_at or recorded_at <= closed_at[booked_day]:
        return booked_day
    current = booked_day + timedelta(days=1)
    while not is_working_day(current, holidays) or (current in closed_at and recorded_at > closed_at[current]):
        current += timedelta(days=1)
    return current


def late_windows(session: Session, day: date, holidays: Collection[date]) -> list[tuple[datetime, datetime, datetime]]:
    """(start, end, recorded after) per closed day whose late payments land in `day`."""
    if not is_working_day(day, holidays):
        return []
    closed_at = dict(session.execute(select(ReconDay.business_date, ReconDay.closed_at).where(
        ReconDay.status == CLOSED, ReconDay.business_date < day,
        ReconDay.business_date >= day - timedelta(days=LOOKBACK_DAYS))).all())
    windows = []
    between = None  # the latest close among the working days between the one looked at and `day`
    current = day - timedelta(days=1)
    while current >= day - timedelta(days=LOOKBACK_DAYS):
        if current in closed_at:
            after = closed_at[current] if between is None else max(closed_at[current], between)
            windows.append((*business_day_bounds(current), after))
            if is_working_day(current, holidays):
                between = after
        elif is_working_day(current, holidays):
            break  # an open working day takes what arrives for the days before it
        current -= timedelta(days=1)
    return windows


def counted_in(session: Session, day: date, holidays: Collection[date]) -> ColumnElement[bool]:
    """A WHERE clause on `Payment`: the payments `day` counts."""
    start, end = business_day_bounds(day)
    return or_(and_(Payment.booked_at >= start, Payment.booked_at < end),
               *(and_(Payment.booked_at >= s, Payment.booked_at < e, Payment.recorded_at > after)
                 for s, e, after in late_windows(session, day, holidays)))


def adjusted_in(session: Session, day: date, holidays: Collection[date]) -> ColumnElement[bool]:
    """A WHERE clause on `LedgerEntry` joined to its `Payment`: the entries `day` takes as
    adjustments — posted, after their payment's day had closed, while `day` was the first
    working day still open. (A payment recorded that late counts in `day` itself: not an adjustment.)"""
    windows = late_windows(session, day, holidays)
    if not windows:
        return false()
    return or_(*(and_(Payment.booked_at >= s, Payment.booked_at < e, Payment.recorded_at <= after,
                      LedgerEntry.at > after) for s, e, after in windows))
