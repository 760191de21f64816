"""The missed-callback sweep (periodic job `reconciliation.sweep` and `hccpay reconcile sweep`).

Compares what the banks' callbacks announced with what the statements show:
- `missed_callback`: a statement credit that no callback announced (the statement created
  its payment, and no callback was linked to it later) — the bank feed lost or never sent it;
- `callback_without_statement`: a bank-transfer callback that no statement line showed
  `HCCPAY_RECON_SWEEP_WORKING_DAYS` working days after it was booked had ended (`is_overdue`).
Findings are stored once each (unique per kind and subject) and cleared when the missing
side turns up (a late callback clears a `missed_callback`, and so does finance ignoring the line:
an ignored credit is not ours to account, as the exception queue reads it; or acknowledging its
`missed_callback` exception; undoing either opens it again); the day summary counts them and the
exception queue shows them.
Card voids and reversals still waiting for their sale after the same wait become conflicts for finance
(`payments.waiting_reversals`; counted under `reversals_without_sale`).
"""
from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta

from sqlalchemy import String, and_, cast, exists, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from config import Settings
from kernel.clock import business_date, business_day_bounds, working_days_between
from payments.announcements import STATEMENT_PROVIDER, announced
from payments import waiting_reversals
from payments.models import Payment
from reconciliation import counting
from reconciliation.models import FROM_STATEMENT, IGNORED, Resolution, StatementLine, SweepFinding

LOOKBACK_DAYS = 62


def elapsed_working_days(day: date, today: date, holidays: Collection[date]) -> int:
    """The working days that have ended since `day` (each after it, before `today`): a working day's
    statement can show a transfer only once that day is over, so today, not over yet, is not one of them."""
    return working_days_between(day, today - timedelta(days=1), holidays)


def is_overdue(day: date, today: date, *, n: int, holidays: Collection[date]) -> bool:
    """A callback booked on `day` with no statement line is overdue once `n` working days after it have
    ended ("never appeared on a statement after N working days"): a Monday callback with N=2 on Thursday,
    not on Wednesday while Wednesday's statement may still show it."""
    return elapsed_working_days(day, today, holidays) >= n


def last_overdue_day(today: date, *, n: int, holidays: Collection[date]) -> date:
    """The latest business day whose callbacks are overdue `today` (by `is_overdue`, nothing else)."""
    day = today
    while not is_overdue(day, today, n=n, holidays=holidays):  # at most n working days plus their days off
        day -= timedelta(days=1)
    return day


def _announced_late():
    """The line's payment is one a callback announced after the statement (`payments.announcements`)."""
    return exists().where(Payment.id == StatementLine.payment_id, announced())


def _acknowledged():
    """Finance acknowledged the line's `missed_callback` exception (an acknowledgement in force)."""
    return exists().where(Resolution.line_id == StatementLine.id, Resolution.action == "acknowledge",
                          Resolution.exception_key == literal("line:") + cast(StatementLine.id, String)
                          + literal(":missed_callback"), Resolution.undone_at.is_(None))


def _missed():
    """The line is a credit no callback announced that finance has neither ignored (`exceptions` reads it
    so) nor acknowledged as such (the queue's exception is settled: no open finding either)."""
    return and_(StatementLine.source == FROM_STATEMENT, StatementLine.status != IGNORED, ~_announced_late(),
                ~_acknowledged())


def _record(session: Session, rows: list[dict]) -> int:
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert_ = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(SweepFinding)
    added = 0
    for start in range(0, len(rows), 1000):
        added += len(session.execute(insert_.on_conflict_do_nothing(index_elements=["kind", "subject_id"])
                                     .returning(SweepFinding.id), rows[start:start + 1000]).all())
    return added


def sweep(session: Session, *, settings: Settings, now: datetime) -> dict:
    """Record what each side missed; returns counts of open findings and of new ones."""
    today = business_date(now)
    since = business_day_bounds(today - timedelta(days=LOOKBACK_DAYS))[0]
    cutoff = business_day_bounds(last_overdue_day(today, n=settings.recon_sweep_working_days,
                                                  holidays=settings.holidays))[1]
    unseen = session.execute(select(Payment.id, Payment.booked_at, Payment.recorded_at, Payment.amount_vnd).where(
        Payment.booked_at >= since, Payment.booked_at < cutoff, Payment.status == "active",
        Payment.provider != STATEMENT_PROVIDER, Payment.clearing_account.startswith("bank:"),
        ~exists().where(StatementLine.payment_id == Payment.id))).all()
    closed_at = counting.closing_times(session, business_date(since)) if unseen else {}
    # Filed under the day that counts the payment (a late callback for a closed day: the next open one).
    added = _record(session, [{"kind": "callback_without_statement", "subject_id": pid,
                               "business_date": counting.day_counting(business_date(at), recorded, closed_at,
                                                                      settings.holidays),
                               "amount_vnd": amount, "found_at": now}
                              for pid, at, recorded, amount in unseen])
    missed = session.execute(select(StatementLine.id, StatementLine.recon_date, StatementLine.amount_vnd).where(
        _missed(), StatementLine.booked_at >= since,
        ~exists().where(SweepFinding.kind == "missed_callback", SweepFinding.subject_id == StatementLine.id))).all()
    added += _record(session, [{"kind": "missed_callback", "subject_id": lid, "business_date": day,
                                "amount_vnd": amount, "found_at": now} for lid, day, amount in missed])
    cleared = session.execute(update(SweepFinding).where(
        SweepFinding.kind == "callback_without_statement", SweepFinding.cleared_at.is_(None),
        exists().where(StatementLine.payment_id == SweepFinding.subject_id)).values(cleared_at=now)).rowcount
    cleared += session.execute(update(SweepFinding).where(  # the callback came after all, or finance ignored it
        SweepFinding.kind == "missed_callback", SweepFinding.cleared_at.is_(None),
        ~exists().where(StatementLine.id == SweepFinding.subject_id, _missed())).values(cleared_at=now)).rowcount
    session.execute(update(SweepFinding).where(  # an ignore undone: missed again
        SweepFinding.kind == "missed_callback", SweepFinding.cleared_at.is_not(None),
        exists().where(StatementLine.id == SweepFinding.subject_id, _missed())).values(cleared_at=None))
    # Card voids whose sale never came wait the same working days, then are finance's conflicts (round 18).
    voids = waiting_reversals.flag_overdue(session, settings=settings, now=now)
    counts = dict(session.execute(select(SweepFinding.kind, func.count()).where(SweepFinding.cleared_at.is_(None))
                                  .group_by(SweepFinding.kind)).all())
    return {"new_findings": added, "cleared": cleared or 0, "open": {"missed_callback": counts.get("missed_callback", 0),
                     "callback_without_statement": counts.get("callback_without_statement", 0)},
            "reversals_without_sale": {"new": voids, "open": waiting_reversals.open_count(session)},
            "checked_through": (cutoff - timedelta(seconds=1)).isoformat(), "findings": open_findings(session)}


def open_findings(session: Session, *, limit: int = 500) -> list[dict]:
    """The open findings, oldest day first, each with what identifies it to a person: the statement
    line (its bank reference and memo) or the callback's payment (provider and transaction id)."""
    def of_line(column):
        return select(column).where(StatementLine.id == SweepFinding.subject_id).scalar_subquery()

    def of_payment(column):
        return select(column).where(Payment.id == SweepFinding.subject_id).scalar_subquery()

    rows = session.execute(select(
        SweepFinding.kind, SweepFinding.business_date, SweepFinding.amount_vnd, SweepFinding.subject_id,
        of_line(StatementLine.bank_ref), of_line(StatementLine.memo),
        of_payment(Payment.provider), of_payment(Payment.provider_ref),
    ).where(SweepFinding.cleared_at.is_(None)).order_by(SweepFinding.business_date, SweepFinding.id).limit(limit))
    found = []
    for kind, day, amount, subject, bank_ref, memo, provider, provider_ref in rows:
        if kind == "missed_callback":
            found.append({"kind": kind, "date": day.isoformat(), "amount_vnd": amount, "statement_line_id": subject,
                          "bank_ref": bank_ref, "memo": (memo or "")[:200]})
        else:
            found.append({"kind": kind, "date": day.isoformat(), "amount_vnd": amount, "payment_id": subject,
                          "provider": provider, "provider_ref": provider_ref})
    return found
