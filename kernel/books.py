"""The books: a day's close and every writer of money, serialised, and the time money is stamped with.

Reconciliation counts a payment, and a later correction of it, in a business day by its time
stamp against the days' `closed_at` (`reconciliation.counting`). That rule puts every đồng in
exactly one day only if the stamps agree with what the close saw: what the close counted is
stamped at or before `closed_at`, what it did not see after it.

So every writer of money (callbacks, cash, COD, suspense, releases, voids, refunds, and
reconciliation's own decisions and import chunks) holds the books lock shared for its
transaction, taken before any other lock it takes (rows, the statement and reference locks of
`payments.announcements`, sale locks): shared holders never wait for each other, and a close
waiting for its exclusive lock never sits between two locks of one writer. The close holds it
exclusively. A writer stamps its payments and ledger entries with `stamp_after_closes`, just
after any close it waited for, so the money lands in the next open day as late money or an
adjustment; its decisions (a request's expiry, what was open) still use its own time (for a
callback, its arrival).

The lock and the rule live here because payments must not import reconciliation; the closes
themselves are reconciliation's rows (`reconciliation.models.ReconDay`), read by table name
(a test holds the two together).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, column, func, select, table
from sqlalchemy.orm import Session

from kernel.db import UTCDateTime, advisory_lock

BOOKS_LOCK = "reconciliation.books"
TICK = timedelta(microseconds=1)  # the finest step both databases store
CLOSED = "closed"  # reconciliation.models.CLOSED

_DAYS = table("recon_days", column("status", String), column("closed_at", UTCDateTime()))
_LATEST_CLOSE = select(func.max(_DAYS.c.closed_at)).where(_DAYS.c.status == CLOSED)


def hold_books(session: Session) -> None:
    """Writers of money share the books until their transaction ends: a close in progress commits
    first, and a close waits for them, so each sees the other's work committed or not at all
    (PostgreSQL; SQLite serialises every writer anyway). Take it before any other lock;
    taking it again in the same transaction is harmless."""
    advisory_lock(session, BOOKS_LOCK, shared=True)


def close_books(session: Session) -> None:
    """The close's side of `hold_books`: exclusive, until its transaction ends."""
    advisory_lock(session, BOOKS_LOCK)


def stamp_after_closes(session: Session, now: datetime) -> datetime:
    """The time to stamp money written now under `hold_books`: `now`, unless a close already
    committed at or after it (this writer waited for it, or its `now` is an arrival time from
    before the close); then just after the latest close, so the rule puts it in the next open
    day, as the close did not see it."""
    latest = session.execute(_LATEST_CLOSE).scalar()
    return max(now, latest + TICK) if latest is not None else now


def books_stamp(session: Session, now: datetime) -> datetime:
    """`hold_books`, then the stamp for money written now (`stamp_after_closes`)."""
    hold_books(session)
    return stamp_after_closes(session, now)
