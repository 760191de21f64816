"""Business days of reconciliation: their summary (Decision 31/2021 Art. 36 totals), the
four-eyes close (finance requests, a different approver confirms) and immutability after it.

A closed day never changes: its summary and its reports are frozen at close (the reports'
bytes are stored with their SHA-256). Statement lines that arrive later for a closed day, and
corrections made to its lines, land in the next open day as adjustments.
"""
from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import date, datetime, timedelta

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy import event as sqlalchemy_event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from kernel import audit, books, inbox
from kernel.auth import same_principal
from kernel.clock import business_date, business_day_bounds
from kernel.errors import Conflict, Forbidden
from kernel.inbox import InboundCallback
from payments import cash
from payments.ledger import Accounts, LedgerEntry, LedgerLine
from payments.models import Payment, PaymentAllocation
from payments.refunds import suspense_claims
from reconciliation import counting
from reconciliation import exceptions as queue
from reconciliation.models import (CLOSE_REQUESTED, CLOSED, OPEN, ReconDay, StatementImport, StatementLine,
                                   SweepFinding)
from reconciliation.statements import CREDIT


log = logging.getLogger("hccpay.reconciliation")


class DayClosed(Conflict):
    code = "day_closed"


def day_row(session: Session, day: date, *, lock: bool = False) -> ReconDay:
    """The day's row (created open on first use), locked when asked."""
    query = select(ReconDay).where(ReconDay.business_date == day)
    query = query.with_for_update() if lock else query
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        try:  # two decisions on a day nobody touched yet may both create its row: one does
            with session.begin_nested():
                session.add(ReconDay(business_date=day, status=OPEN))
        except IntegrityError:
            pass
        row = session.execute(query.execution_options(populate_existing=True)).scalar_one()
    return row


def status_of(session: Session, day: date) -> str:
    return session.execute(select(ReconDay.status).where(ReconDay.business_date == day)).scalar() or OPEN


def awaiting_approval(session: Session) -> list[date]:
    """The days whose close finance asked for and no approver has decided yet, oldest first."""
    return list(session.execute(select(ReconDay.business_date).where(ReconDay.status == CLOSE_REQUESTED)
                                .order_by(ReconDay.business_date)).scalars())


LEFT_OPEN_LOOKBACK_DAYS = 31


def left_open(session: Session, today: date, *, lookback: int = LEFT_OPEN_LOOKBACK_DAYS) -> list[date]:
    """The days before `today`, within `lookback`, that are not closed and hold money or statement
    lines, oldest first: a Saturday's transfers count in Saturday, which must be closed like any day."""
    closed = {d for d in counting.closed_days(session, today - timedelta(days=lookback)) if d < today}
    found = []
    for offset in range(lookback, 0, -1):
        day = today - timedelta(days=offset)
        if day in closed:
            continue
        start, end = business_day_bounds(day)
        if session.execute(select(Payment.id).where(Payment.booked_at >= start, Payment.booked_at < end).limit(1)).first() \
                or session.execute(select(StatementLine.id).where(StatementLine.recon_date == day).limit(1)).first():
            found.append(day)
    return found


def ensure_open(session: Session, day: date, *, lock: bool = False) -> None:
    """Refuse any change to a closed day (read under the day row's lock when asked: a close
    holds it, so a decision that waited for a close sees it closed)."""
    if (day_row(session, day, lock=True).status if lock else status_of(session, day)) == CLOSED:
        raise DayClosed(f"{day:%d/%m/%Y} is closed: corrections go to the next open day as adjustments",
                        details={"date": day.isoformat()})


# --- summary --------------------------------------------------------------------------

def summary(session: Session, day: date, *, settings: Settings, now: datetime) -> dict:
    """What a day looks like now (a closed day answers its frozen summary)."""
    row = session.get(ReconDay, day)
    if row is not None and row.status == CLOSED and row.summary:
        return {**row.summary, **_state(row)}
    found = queue.day_exceptions(session, day, settings=settings, today=business_date(now))
    return {**build_summary(session, day, found, settings=settings), **_state(row)}


def _state(row: ReconDay | None) -> dict:
    if row is None:
        return {"status": OPEN, "requested_by": None, "requested_at": None, "closed_by": None, "closed_at": None,
                "reports": None}
    iso = lambda at: at.isoformat() if at else None  # noqa: E731
    return {"status": row.status, "requested_by": row.requested_by, "requested_at": iso(row.requested_at),
            "closed_by": row.closed_by, "closed_at": iso(row.closed_at), "reports": _recorded(row.reports)}


def _recorded(reports: dict | None) -> dict | None:
    """The reports' hashes once every format is recorded (the XLSX and PDF follow the close's commit)."""
    return reports if reports and {"csv", "xlsx", "pdf"} <= set(reports) else None


def build_summary(session: Session, day: date, found: list[queue.DayException], *, settings: Settings) -> dict:
    return {
        "date": day.isoformat(),
        "tolerance_vnd": settings.recon_tolerance_vnd,
        "lines": _line_totals(session, day),
        "balances": queue.balance_checks(session, day),
        "late_balances": queue.late_balance_checks(session, day, settings.holidays),
        "totals": {**_payment_totals(session, day, settings.holidays),
                   "adjustments": _adjustments(session, day, settings.holidays)},
        "exceptions": _exception_totals(found, settings.recon_tolerance_vnd),
        "sweep": _sweep_totals(session, day, found),
        "imports": _imports(session, day),
        "cash_drawers": cash.day_counts(session, day),
    }


def _line_totals(session: Session, day: date) -> dict:
    rows = session.execute(
        select(StatementLine.direction, StatementLine.status, func.count(), func.sum(StatementLine.amount_vnd),
               func.sum(case((StatementLine.recon_date != StatementLine.booking_date, 1), else_=0)))
        .where(StatementLine.recon_date == day).group_by(StatementLine.direction, StatementLine.status)).all()
    totals = {"count": 0, "credit": {"count": 0, "amount_vnd": 0}, "debit": {"count": 0, "amount_vnd": 0},
              "by_status": {}, "adjustments": 0}
    for direction, status, count, amount, adjustments in rows:
        side = totals["credit" if direction == CREDIT else "debit"]
        side["count"] += count
        side["amount_vnd"] += int(amount or 0)
        bucket = totals["by_status"].setdefault(status, {"count": 0, "amount_vnd": 0})
        bucket["count"] += count
        bucket["amount_vnd"] += int(amount or 0)
        totals["count"] += count
        totals["adjustments"] += int(adjustments or 0)
    return totals


def _payment_totals(session: Session, day: date, holidays: Collection[date]) -> dict:
    """Art. 36 totals over the payments the day counts (every channel; `counting`): by agency,
    channel (provider), transaction type and status."""
    counted = counting.counted_in(session, day, holidays)
    # What each channel brought and kept; a sale voided or reversed (its money never stayed) apart,
    # so the channels add up to the day's money as the agencies do.
    by_channel: dict[tuple[str, str], dict] = {}
    active = Payment.status == "active"  # one expression (one bind) in the select and the group: PostgreSQL
    for provider, channel, standing, count, amount in session.execute(
            select(Payment.provider, Payment.channel, active, func.count(),
                   func.sum(Payment.amount_vnd)).where(counted)
            .group_by(Payment.provider, Payment.channel, active)
            .order_by(Payment.provider, Payment.channel)):
        row = by_channel.setdefault((provider, channel), {"provider": provider, "channel": channel, "count": 0,
                                                          "amount_vnd": 0, "reversed_count": 0, "reversed_vnd": 0})
        row.update({"count": count, "amount_vnd": int(amount)} if standing else
                   {"reversed_count": count, "reversed_vnd": int(amount)})
    # Where the money of those payments stands in the ledger (revenue per agency, overpaid: what a
    # request took beyond its fees, suspense, written off, refunded): the adjustments' rows, so the
    # days' totals plus adjustments equal the ledger.
    by_agency = _by_row(_ledger_money(session, counted, Payment.status == "active"))
    allocated = select(func.coalesce(func.sum(PaymentAllocation.amount_vnd), 0)).where(
        PaymentAllocation.payment_id == Payment.id, PaymentAllocation.released_at.is_(None)).scalar_subquery()
    # Money in suspense that a refund awaiting approval claims is decided, as the line reads it
    # (`matching.PaymentFacts.waiting_vnd`): one rule for the line and the day's totals.
    claims = suspense_claims()
    claimed = select(func.coalesce(func.sum(claims.c.vnd), 0)).where(
        claims.c.payment_id == Payment.id).scalar_subquery()
    waiting = Payment.unallocated_vnd - claimed
    state = case((Payment.status != "active", "reversed"),
                 (waiting >= Payment.amount_vnd, "in_suspense"),
                 (waiting > 0, "partly_in_suspense"),
                 (allocated == Payment.amount_vnd, "allocated"), else_="settled_by_finance")
    by_status = [{"status": s, "count": n, "amount_vnd": int(a)} for s, n, a in session.execute(
        select(state, func.count(), func.sum(Payment.amount_vnd)).where(counted).group_by(state).order_by(state))]
    kind = case((Payment.status != "active", "reversal"), else_="payment")
    by_type = [{"type": t, "count": n, "amount_vnd": int(a)} for t, n, a in session.execute(
        select(kind, func.count(), func.sum(Payment.amount_vnd)).where(counted).group_by(kind).order_by(kind))]
    # Money the bank took off the account: its reversals of earlier credits, and the rest (fees...).
    debit_type = case((StatementLine.is_reversal.is_(True), "bank_reversal"), else_="bank_debit")
    by_type += [{"type": t, "count": n, "amount_vnd": int(a)} for t, n, a in session.execute(
        select(debit_type, func.count(), func.sum(StatementLine.amount_vnd)).where(
            StatementLine.recon_date == day, StatementLine.direction != CREDIT)
        .group_by(debit_type).order_by(debit_type))]
    return {"by_agency": by_agency, "by_channel": list(by_channel.values()), "by_transaction_type": by_type,
            "by_status": by_status, "received_vnd": sum(row["amount_vnd"] for row in by_channel.values())}


# Where an adjustment moved money, by ledger account: the by-agency rows' names, so the two add up.
ADJUSTED_ACCOUNTS = {Accounts.SUSPENSE: "suspense", Accounts.WRITE_OFFS: "written_off",
                     Accounts.REFUNDS_PAYABLE: "refunded", Accounts.OVERPAYMENTS: "overpaid"}
# Paying out an approved refund moves no money between those rows (it is already `refunded`).
NOT_ADJUSTMENTS = ("refund_executed",)


def _adjustments(session: Session, day: date, holidays: Collection[date]) -> dict:
    """What later corrections of closed days' payments moved, landing in this day (`counting.adjusted_in`):
    per by-agency row (credit minus debit: revenue per agency, suspense, written off, refunded,
    overpaid) and per ledger entry kind and row. `net_vnd` is what left the closed days' totals (a
    reversal); a release, write-off or refund only moves money between rows and nets to zero."""
    rows = _ledger_money(session, counting.adjusted_in(session, day, holidays), with_kind=True)
    # A few rows (corrections are rare): summed here, where an account name is split portably.
    by_kind: dict[tuple[str, str], tuple[set, int]] = {}
    for kind, account, payment_id, amount in rows:
        payments, total = by_kind.get((kind, _row_name(account)), (set(), 0))
        by_kind[(kind, _row_name(account))] = (payments | {payment_id}, total + int(amount))
    by_agency = _by_row((account, payment_id, amount) for _, account, payment_id, amount in rows)
    return {"by_agency": by_agency,
            "by_kind": [{"kind": kind, "agency_code": name, "count": len(p), "amount_vnd": a}
                        for (kind, name), (p, a) in sorted(by_kind.items()) if a],
            "net_vnd": sum(row["amount_vnd"] for row in by_agency)}


def _ledger_money(session: Session, *where, with_kind: bool = False) -> list:
    """([entry kind,] ledger account, payment id, credit − debit) for the payments `where` selects, on
    the accounts of the by-agency rows; paying out a refund is left out (it is already `refunded`)."""
    columns = [LedgerEntry.kind] if with_kind else []
    columns += [LedgerLine.account, Payment.id]
    return session.execute(
        select(*columns, func.sum(LedgerLine.credit_vnd - LedgerLine.debit_vnd)).select_from(Payment)
        .join(LedgerEntry, LedgerEntry.payment_id == Payment.id).join(LedgerLine, LedgerLine.entry_id == LedgerEntry.id)
        .where(*where, LedgerEntry.kind.not_in(NOT_ADJUSTMENTS),
               or_(LedgerLine.account.in_(ADJUSTED_ACCOUNTS), LedgerLine.account.startswith("revenue:")))
        .group_by(*columns)).all()


# The by-agency rows after the agencies, in this order.
ROW_ORDER = ("overpaid", "suspense", "written_off", "refunded")


def _by_row(rows) -> list[dict]:
    """(ledger account, payment id, amount) → by-agency rows: each agency's revenue (its fee kinds
    together), then the other rows. A row counts the payments whose money it holds: one that passed
    through it and left (matched then unmatched, put in suspense then assigned) is not counted; rows
    that net to zero are left out."""
    found: dict[str, dict[int, int]] = {}
    for account, payment_id, amount in rows:
        held = found.setdefault(_row_name(account), {})
        held[payment_id] = held.get(payment_id, 0) + int(amount)
    ordered = sorted(found, key=lambda name: (name in ROW_ORDER, ROW_ORDER.index(name) if name in ROW_ORDER else 0,
                                              name))
    return [{"agency_code": name, "count": sum(1 for amount in found[name].values() if amount),
             "amount_vnd": sum(found[name].values())} for name in ordered if sum(found[name].values())]


def _row_name(account: str) -> str:
    """`revenue:<agency>:<kind>` → the agency's code; the other accounts by `ADJUSTED_ACCOUNTS`."""
    return account.split(":")[1] if account.startswith("revenue:") else ADJUSTED_ACCOUNTS[account]


def _exception_totals(found: list[queue.DayException], tolerance_vnd: int) -> dict:
    """By kind: the blocking exceptions (`count`, `open`, `amount_vnd`) and, apart, those for information
    (`info`: a missed callback, the credit of a reversal pair settled on its reversal line) — as a closed
    day's report lists them ("Thông tin"), so a pair's money is not counted twice nor read as open twice.
    `info.in_pair`: of those, the credits whose reversal line is of the same day (the same money as the
    reversal's blocking exception, which the draft report counts once)."""
    lines = {e.line_id for e in found if e.line_id is not None}
    by_kind: dict[str, dict] = {}
    for exc in found:
        bucket = by_kind.setdefault(exc.kind, {"count": 0, "open": 0, "amount_vnd": 0})
        if not exc.blocking:
            info = bucket.setdefault("info", {"count": 0, "amount_vnd": 0, "in_pair": {"count": 0, "amount_vnd": 0}})
            info["count"] += 1
            info["amount_vnd"] += exc.amount_vnd
            if exc.details.get("reversal_line_id") in lines:
                info["in_pair"]["count"] += 1
                info["in_pair"]["amount_vnd"] += exc.amount_vnd
            continue
        bucket["count"] += 1
        bucket["open"] += exc.open
        bucket["amount_vnd"] += exc.amount_vnd
    return {"total": len(found), "acknowledged": sum(e.acknowledged for e in found), "by_kind": by_kind,
            **_open_counts(found, tolerance_vnd)}


def _open_counts(found: list[queue.DayException], tolerance_vnd: int) -> dict:
    """The open exceptions, named for what they count: `open_blocking` need a person (`open_above_tolerance`
    hold the close, `open_within_tolerance` the close lets through), `open_info` are information only. The
    first names, kept for their readers: `open` counts all of them, `blocking_open` those above the tolerance."""
    above = len(queue.open_blocking(found, tolerance_vnd))
    blocking = sum(e.open and e.blocking for e in found)
    info = sum(e.open and not e.blocking for e in found)
    return {"open": blocking + info, "blocking_open": above, "open_blocking": blocking,
            "open_above_tolerance": above, "open_within_tolerance": blocking - above, "open_info": info}


def _sweep_totals(session: Session, day: date, found: list[queue.DayException]) -> dict:
    missed = [e for e in found if e.kind == "missed_callback"]
    unseen = [e for e in found if e.kind in ("payment_without_statement_line", "duplicate")]
    # A finding is open while the queue's exception for it is: one finance acknowledged is not (the sweep
    # clears it on its next run; until then the day does not count it either).
    settled = {e.key for e in found if not e.open}
    findings: dict[str, int] = {}
    for kind, subject in session.execute(select(SweepFinding.kind, SweepFinding.subject_id).where(
            SweepFinding.business_date == day, SweepFinding.cleared_at.is_(None))):
        keys = {f"line:{subject}:missed_callback"} if kind == "missed_callback" else \
            {f"payment:{subject}:payment_without_statement_line", f"payment:{subject}:duplicate"}
        if not keys & settled:
            findings[kind] = findings.get(kind, 0) + 1
    return {"missed_callbacks": {"count": len(missed), "amount_vnd": sum(e.amount_vnd for e in missed)},
            "callbacks_without_statement": {"count": len(unseen), "amount_vnd": sum(e.amount_vnd for e in unseen),
                                            "overdue": sum(bool(e.details.get("overdue")) for e in unseen)},
            "findings": findings}


def _imports(session: Session, day: date) -> list[dict]:
    return [{"import_id": i.id, "filename": i.filename, "format": i.format, "status": i.status,
             "lines_total": i.lines_total, "lines_new": i.lines_new, "lines_duplicate": i.lines_duplicate}
            for i in session.execute(select(StatementImport).where(or_(
                and_(StatementImport.period_from <= day, StatementImport.period_to >= day),
                # a file of a closed day whose new lines landed here as adjustments
                StatementImport.id.in_(select(StatementLine.import_id).where(StatementLine.recon_date == day))))
                .order_by(StatementImport.id)).scalars()]


# --- close ----------------------------------------------------------------------------

def _refuse_unapplied_callbacks(session: Session, day: date, before: datetime) -> None:
    """Refuse while verified callbacks that arrived by `before` are not applied yet (queued: the
    workers lag or are down; received: their processing failed, waiting to be queued again) and
    may concern the day: a credit booked by the day's end (late money of an earlier closed day
    lands here too), or any void or reversal (its sale may be the day's). Applied after the close,
    such money would carry its arrival time, before `closed_at`: counted in a day already frozen
    without it, so in none."""
    _, end = business_day_bounds(day)
    rows = session.execute(select(InboundCallback.id, InboundCallback.status, InboundCallback.event).where(
        InboundCallback.status.in_((inbox.QUEUED, inbox.RECEIVED)), InboundCallback.received_at <= before)
        .order_by(InboundCallback.id).execution_options(yield_per=1000))
    waiting = {inbox.QUEUED: 0, inbox.RECEIVED: 0}
    first: list[int] = []
    for inbox_id, status, event in rows:
        if not event:  # not a verified payment callback (nothing for the workers to apply)
            continue
        if event.get("type") == "credit" and datetime.fromisoformat(event["booked_at"]) >= end:
            continue
        waiting[status] += 1
        if len(first) < 20:
            first.append(inbox_id)
    count = sum(waiting.values())
    if count:
        raise Conflict(f"{count} payment callback(s) received before the close are not applied yet "
                       f"({waiting[inbox.QUEUED]} queued, {waiting[inbox.RECEIVED]} failed and waiting to be queued "
                       "again): the day's money is not complete; close once they are applied",
                       code="callbacks_pending", details={"count": count, "queued": waiting[inbox.QUEUED],
                                                          "failed": waiting[inbox.RECEIVED], "inbox_ids": first})


# An import whose process died (killed, out of memory, the machine lost) is never marked failed: it
# stays `processing`. It stops holding closes once it has run far longer than any import takes: an
# hour, plus an hour per million lines of its file (a million lines take about four minutes).
IMPORT_STALE_AFTER = timedelta(hours=1)
IMPORT_STALE_PER_LINE = timedelta(hours=1) / 1_000_000


def imports_in_progress(session: Session, day: date, *, settings: Settings, now: datetime) -> list[StatementImport]:
    """Imports still processing that may bring `day` lines or balances: those whose period is not known,
    or runs from before `day` to `day` or beyond, or ends on closed days whose late lines land in `day`
    (`counting.next_open_day`). Not those stuck past `IMPORT_STALE_AFTER`."""
    running = [i for i in session.execute(select(StatementImport).where(StatementImport.status == "processing")
                                          .order_by(StatementImport.id)).scalars()
               if now < i.created_at + IMPORT_STALE_AFTER + IMPORT_STALE_PER_LINE * i.lines_total]
    starts = [i.period_from for i in running if i.period_from is not None]
    closed = counting.closed_days(session, min(starts)) if starts else set()

    def lands_until(last: date) -> date:
        return counting.next_open_day(last, closed, settings.holidays) if last in closed else last

    return [i for i in running if i.period_from is None or i.period_to is None
            or i.period_from <= day <= lands_until(i.period_to)]


def _refuse_imports_in_progress(session: Session, day: date, settings: Settings, now: datetime) -> None:
    """Refuse while a statement import that may still bring the day lines is processing: the day would
    be frozen with part of its file, and the file's balances (written at its end) checked nowhere."""
    running = imports_in_progress(session, day, settings=settings, now=now)
    if running:
        raise Conflict(f"{len(running)} statement import(s) for {day:%d/%m/%Y} are still processing: close once "
                       "they are done", code="import_in_progress",
                       details={"import_ids": [i.id for i in running],
                                "lines_processed": sum(i.lines_processed for i in running),
                                "lines_total": sum(i.lines_total for i in running)})


def _refuse_open_exceptions(session: Session, day: date, settings: Settings, now: datetime) -> list:
    found = queue.day_exceptions(session, day, settings=settings, today=business_date(now))
    blocking = queue.open_blocking(found, settings.recon_tolerance_vnd)
    if blocking:
        raise Conflict(f"{len(blocking)} open exception(s) above the tolerance of {settings.recon_tolerance_vnd} VND: "
                       "resolve or acknowledge each first", code="open_exceptions",
                       details={"count": len(blocking), "exceptions": [e.view() for e in blocking[:100]]})
    return found


def _report_line_numbers(session: Session, day: date, line_ids: list[int]) -> dict[int, int]:
    """line id -> its STT in the day report's table of lines (the day's lines in id order)."""
    if not line_ids:
        return {}
    wanted = set(line_ids)
    ordered = session.execute(select(StatementLine.id).where(StatementLine.recon_date == day)
                              .order_by(StatementLine.id)).scalars()
    return {line_id: number for number, line_id in enumerate(ordered, start=1) if line_id in wanted}


def request_close(session: Session, day: date, *, settings: Settings, actor: str, now: datetime) -> ReconDay:
    """Finance asks to close the day: refused while blocking exceptions are open."""
    if day >= business_date(now):  # money for it may still arrive: its totals are not final yet
        raise Conflict(f"{day:%d/%m/%Y} has not ended: a day closes from the next day on", code="day_not_over",
                       details={"date": day.isoformat()})
    row = day_row(session, day, lock=True)
    if row.status == CLOSED:
        raise DayClosed(f"{day:%d/%m/%Y} is already closed", details={"date": day.isoformat()})
    if row.status == CLOSE_REQUESTED:  # a second request would replace who asked, and so who may approve
        raise Conflict(f"closing {day:%d/%m/%Y} was already asked by {row.requested_by}: an approver decides "
                       "(or rejects it first)", code="close_already_requested",
                       details={"requested_by": row.requested_by})
    _refuse_imports_in_progress(session, day, settings, now)
    _refuse_unapplied_callbacks(session, day, now)
    _refuse_open_exceptions(session, day, settings, now)
    row.status, row.requested_by, row.requested_at = CLOSE_REQUESTED, actor, now
    audit.record(session, actor=actor, action="reconciliation.close_requested", subject_type="recon_day",
                 subject_id=day.isoformat(), at=now)
    return row


def approve_close(session: Session, day: date, *, settings: Settings, actor: str, now: datetime) -> ReconDay:
    """An approver (not the requester) confirms: totals and reports are frozen with their hashes."""
    from reconciliation import reports

    books.close_books(session)  # decisions and import chunks in flight finish first; later ones wait
    row = day_row(session, day, lock=True)
    if row.status == CLOSED:
        raise DayClosed(f"{day:%d/%m/%Y} is already closed", details={"date": day.isoformat()})
    if row.status != CLOSE_REQUESTED:
        raise Conflict("finance has not asked to close this day", code="close_not_requested")
    if same_principal(row.requested_by, actor):  # the same person, whatever name they go by now
        raise Forbidden("the person who asked to close a day cannot also approve it", code="same_person")
    closed_at = counting.closing_stamp(session, now)
    _refuse_imports_in_progress(session, day, settings, now)  # under close_books: no chunk is half-written
    _refuse_unapplied_callbacks(session, day, closed_at)
    found = _refuse_open_exceptions(session, day, settings, now)
    frozen = build_summary(session, day, found, settings=settings)
    numbers = _report_line_numbers(session, day, [e.line_id for e in found if e.line_id])
    # each with the STT its line has in the report's table of lines (section VIII), when it is there
    frozen["closed_exceptions"] = [{**e.view(), "report_line_no": numbers.get(e.line_id)} for e in found]
    row.status, row.closed_by, row.closed_at = CLOSED, actor, closed_at
    row.summary = frozen
    # Each line keeps the status the close counted (`lines.by_status`, the report's table): a line may change
    # later (a refund rejected after the close puts its money back in suspense, the next open day's to settle),
    # and its closed day must still read as it closed (`status_at_close` in the line views).
    session.execute(update(StatementLine).where(StatementLine.recon_date == day)
                    .values(closed_status=StatementLine.status))
    # Under the lock only what may change later: the lines, as the CSV. The XLSX and PDF follow from it
    # and the frozen summary once this commits (`reports.freeze_after_close`), holding no lock.
    row.reports = reports.freeze_lines(session, frozen, state=reports.report_state(row), now=closed_at)
    audit.record(session, actor=actor, action="reconciliation.day_closed", subject_type="recon_day",
                 subject_id=day.isoformat(), at=closed_at, data={"reports": row.reports,
                                                          "requested_by": row.requested_by})
    _after_commit(session, lambda sessions: reports.freeze_after_close(sessions, day))
    return row


def _after_commit(session: Session, work) -> None:
    """Run `work(sessions)` in fresh transactions once the caller's transaction commits (whoever calls: the
    API, the finance pages); a failure is logged, and what it left undone is done on first use."""
    bind = session.get_bind()
    sessions = sessionmaker(bind=getattr(bind, "engine", bind), expire_on_commit=False)

    def run(_session: Session) -> None:
        try:
            work(sessions)
        except Exception:  # the close has committed; the report download completes what is missing
            log.exception("work after the commit failed")

    sqlalchemy_event.listen(session, "after_commit", run, once=True)


def reject_close(session: Session, day: date, *, reason: str, actor: str, now: datetime) -> ReconDay:
    row = day_row(session, day, lock=True)
    if row.status != CLOSE_REQUESTED:
        raise Conflict("there is no close request to reject", code="close_not_requested")
    row.status, row.requested_by, row.requested_at = OPEN, None, None
    audit.record(session, actor=actor, action="reconciliation.close_rejected", subject_type="recon_day",
                 subject_id=day.isoformat(), at=now, reason=reason)
    return row
