"""Finance's decisions on statement lines and exceptions: match, unmatch, mark refund,
write off, ignore, acknowledge — and undo.

Each needs a reason, is audited in the hash-chained log and can be undone until the day it
counts in is closed. Money moves only through `payments.credits` (assign from suspense,
release to suspense) and, for write-offs, one balanced ledger entry. The line row is locked
first (`SELECT … FOR UPDATE`; SQLite serialises writers anyway), so two people acting on
the same line at once are served one after the other and the second sees the first's result
(e.g. nothing left in suspense to allocate: 409).
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from config import Settings
from kernel import audit, books
from kernel.clock import business_date
from kernel.errors import Conflict, NotFound, PreconditionFailed, ValidationError
from kernel.money import MAX_MONEY_VND, parse_amount_vnd
from kernel.text import is_ascii_digits
from payments import corrections, refunds, suspense
from payments.ledger import Accounts, Entry, Line, post_many
from payments.models import Payment, PaymentAllocation, PaymentRequest
from reconciliation import counting, days, exceptions, links
from reconciliation.matching import PaymentFacts, Verdict, classify
from reconciliation.models import CLOSED, FROM_CALLBACK, Resolution, StatementLine
from reconciliation.statements import CREDIT

STATEMENT_SURPLUS = "statement_surplus"  # suspense reason: the bank received more than its callback said
LINE_ACTIONS = ("match", "unmatch", "refund", "write_off", "ignore", "correct_amount")
PARTLY_WRITTEN_OFF = "partly_written_off"


def _locked_line(session: Session, line_id: int) -> StatementLine:
    line = session.execute(select(StatementLine).where(StatementLine.id == line_id).with_for_update()
                           ).scalar_one_or_none()
    if line is None:
        raise NotFound(f"no statement line {line_id}", code="line_not_found")
    return line


def _landing_day(session: Session, day: date, settings: Settings, as_adjustment: bool) -> tuple[date, bool]:
    """The day a decision counts in: the line's own, or (closed, asked for) the next open one.
    Read under the day row's lock, after `kernel.books.hold_books`: a close in progress has committed
    by then, so a decision never lands in a day that closed meanwhile."""
    if days.day_row(session, day, lock=True).status != CLOSED:
        return day, False
    if not as_adjustment:
        days.ensure_open(session, day)
    return counting.next_open_day(day, counting.closed_days(session, day), settings.holidays), True


def _payment(session: Session, line: StatementLine) -> Payment:
    if line.direction != CREDIT or line.payment_id is None:
        raise Conflict("only a credit line with its payment can be matched, unmatched or written off",
                       code="not_a_credit_line")
    return session.execute(select(Payment).where(Payment.id == line.payment_id).with_for_update()).scalar_one()


def resolve_line(session: Session, *, line_id: int, action: str, reason: str, settings: Settings, actor: str,
                 now: datetime, allocations: list[tuple[str, int | None]] | None = None,
                 amount_vnd: int | None = None, expected_version: int | None = None,
                 as_adjustment: bool = False, allocation_ids: list[int] | None = None,
                 confirmed_outstanding_vnd: Mapping[str, int] | None = None) -> Resolution:
    """Apply one decision to a line (see module doc); returns the stored resolution. A match that would put
    money on a request already paid, or more than it owes, needs a confirmation naming what each request
    owed (`confirmed_outstanding_vnd`, see `corrections.refuse_unconfirmed_overpayment`)."""
    if action not in LINE_ACTIONS:
        raise ValidationError(f"action must be one of {', '.join(LINE_ACTIONS)}", code="invalid_action")
    books.hold_books(session)
    now = books.stamp_after_closes(session, now)
    line = _locked_line(session, line_id)
    if expected_version is not None and expected_version != line.version:
        raise Conflict("the line changed since you loaded it; reload and decide again", code="line_changed",
                       details={"version": line.version})
    day, adjustment = _landing_day(session, line.recon_date, settings, as_adjustment)
    data = _ACTIONS[action](session, line, settings=settings, actor=actor, now=now, reason=reason,
                            allocations=allocations, amount_vnd=amount_vnd, allocation_ids=allocation_ids,
                            confirmed_outstanding_vnd=confirmed_outstanding_vnd)
    resolution = Resolution(recon_date=day, line_id=line.id, action=action, reason=reason, data=data,
                            adjustment=adjustment, created_by=actor, created_at=now)
    session.add(resolution)
    session.flush()
    audit.record(session, actor=actor, action=f"reconciliation.{action}", subject_type="statement_line",
                 subject_id=line.id, at=now, reason=reason,
                 data={**data, "resolution_id": resolution.id, "recon_date": day.isoformat(), "adjustment": adjustment})
    refresh_line(session, line)
    return resolution


def match_from_suspense(session: Session, *, payment_id: int, payment_code: str, amount_vnd: int | None,
                        reason: str, settings: Settings, actor: str, now: datetime,
                        expected_unallocated_vnd: int | None = None,
                        confirmed_outstanding_vnd: Mapping[str, int] | None = None) -> int | None:
    """Money of a statement line assigned from the suspense desk (API or page) is the line's match (see
    `payments.suspense`), an overpayment confirmed as on the line; a decision on a closed day's line lands
    in the next open day. None: not a statement line's money, the suspense desk assigns it as before."""
    line_id = session.execute(select(StatementLine.id).where(
        StatementLine.payment_id == payment_id, StatementLine.direction == CREDIT)
        .order_by(StatementLine.id).limit(1)).scalar()
    if line_id is None:
        return None
    if expected_unallocated_vnd is not None:  # the books, the line, its payment: the order of every line decision
        books.hold_books(session)
        session.execute(select(StatementLine.id).where(StatementLine.id == line_id).with_for_update())
        corrections.check_unallocated(session.connection(), payment_id, expected_unallocated_vnd)
    resolution = resolve_line(session, line_id=line_id, action="match", reason=reason, settings=settings,
                              actor=actor, now=now, allocations=[(payment_code, amount_vnd)], as_adjustment=True,
                              confirmed_outstanding_vnd=confirmed_outstanding_vnd)
    return sum(allocation["amount_vnd"] for allocation in resolution.data["allocations"])


def unmatch_released(session: Session, *, allocation_id: int, reason: str, settings: Settings, actor: str,
                     now: datetime) -> int | None:
    """An allocation of a statement line's money released from the payments desk is the line's unmatch
    of that allocation: it shows on the line, counts in its day (or the next open one) and can be
    undone there. None: not a statement line's money."""
    line_id = session.execute(select(StatementLine.id).join(
        PaymentAllocation, PaymentAllocation.payment_id == StatementLine.payment_id).where(
        PaymentAllocation.id == allocation_id, StatementLine.direction == CREDIT)
        .order_by(StatementLine.id).limit(1)).scalar()
    if line_id is None:
        return None
    resolution = resolve_line(session, line_id=line_id, action="unmatch", reason=reason, settings=settings,
                              actor=actor, now=now, allocation_ids=[allocation_id], as_adjustment=True)
    return resolution.data["payment_id"]


suspense.decide_on_lines(suspense.LineDesk(assign=match_from_suspense, release=unmatch_released))


def refresh_lines_of(session: Session, payment_id: int) -> None:
    """A refund of a line's money asked for or decided outside the line's decisions (the refund desk, the
    approver, the payout) settles the line or, rejected or failed, opens it again."""
    for line in session.execute(select(StatementLine).where(StatementLine.payment_id == payment_id,
                                                            StatementLine.direction == CREDIT)
                                .order_by(StatementLine.id)).scalars().all():
        refresh_line(session, line)


refunds.on_refund_changed(refresh_lines_of)


def statement_gap(session: Session, payment_id: int) -> tuple[int, int, int] | None:
    """(line id, statement amount, payment amount) when the statement line carrying a callback's payment
    shows another amount than the callback claimed: less (the difference never reached our account) or
    more (the bank received money no book holds yet). None when they agree."""
    found = session.execute(select(StatementLine.id, StatementLine.amount_vnd, Payment.amount_vnd)
                            .join(Payment, Payment.id == StatementLine.payment_id)
                            .where(StatementLine.payment_id == payment_id, StatementLine.direction == CREDIT,
                                   StatementLine.source == FROM_CALLBACK, ~StatementLine.is_reversal,
                                   Payment.status == "active", StatementLine.amount_vnd != Payment.amount_vnd)
                            .order_by(StatementLine.id).limit(1)).first()
    return tuple(found) if found is not None else None


def _refuse_refund_while_statement_differs(session: Session, payment: Payment) -> None:
    """A refund of a payment whose statement line shows another amount than its callback claimed pays out
    the wrong money: with less, money that never came (the refund of the difference settled `amount_differs`
    so); with more, the citizen's paid fee, while the surplus stays on the account in no book. The payment is
    corrected to the statement's amount first (`correct_amount`; a surplus then waits in suspense, from where
    it is refunded), then what it really holds can be refunded."""
    found = statement_gap(session, payment.id)
    if found is None:
        return
    line_id, statement_vnd, callback_vnd = found
    details = {"line_id": line_id, "statement_vnd": statement_vnd, "callback_vnd": callback_vnd}
    if statement_vnd < callback_vnd:
        raise Conflict(f"the statement shows {statement_vnd:,} VND for this payment, not the {callback_vnd:,} VND "
                       "its callback claimed: the difference never arrived and cannot be refunded; correct the "
                       "payment to the statement's amount first", code="statement_shows_less", details=details)
    raise Conflict(f"the statement shows {statement_vnd:,} VND for this payment, more than the {callback_vnd:,} VND "
                   "its callback claimed: correct the payment to the statement's amount first (the surplus then "
                   "waits in suspense, from where it is refunded)", code="statement_shows_more", details=details)


refunds.on_refund_asked(_refuse_refund_while_statement_differs)


def _match(session: Session, line: StatementLine, *, settings: Settings, actor: str, now: datetime, allocations,
           confirmed_outstanding_vnd: Mapping[str, int] | None = None, **_) -> dict:
    payment = _payment(session, line)
    if not allocations:
        raise ValidationError("give allocations: [{payment_code, amount_vnd}]", code="missing_field",
                              details={"field": "allocations"})
    ignored = _active(session, line, "ignore")
    if ignored is not None:
        raise Conflict("this line is ignored; undo the ignore before matching it", code="line_ignored",
                       details={"resolution_id": ignored})
    previous_reason = payment.suspense_reason
    wanted = sum(amount or 0 for _, amount in allocations)
    if any(amount is None for _, amount in allocations) and len(allocations) > 1:
        raise ValidationError("with several requests, give each one's amount_vnd", code="missing_field")
    if wanted > payment.unallocated_vnd:
        raise Conflict(f"only {payment.unallocated_vnd} VND of this line is unallocated",
                       code="amount_exceeds_unallocated", details={"unallocated_vnd": payment.unallocated_vnd})
    confirmed = corrections.refuse_unconfirmed_overpayment(session, allocations, payment.unallocated_vnd, now,
                                                           confirmed_outstanding_vnd, payment_id=payment.id)
    done = []
    for code, amount in allocations:  # checked just above for all the rows together
        assigned = corrections.assign_from_suspense(session, payment_id=payment.id, payment_code=code,
                                                    amount_vnd=amount, settings=settings, actor=actor, now=now,
                                                    overpayment_checked=True)
        done.append({"allocation_id": _newest_manual_allocation(session, payment.id), "payment_code": code,
                     "amount_vnd": assigned.amount_vnd})
    return {"allocations": done, "payment_id": payment.id, "previous_reason": previous_reason,
            **corrections.overpayment_note(confirmed)}


def _unmatch(session: Session, line: StatementLine, *, settings: Settings, actor: str, now: datetime, reason: str,
             allocation_ids: list[int] | None = None, **_) -> dict:
    """Every active allocation of the line's money back to suspense, or only `allocation_ids`."""
    payment = _payment(session, line)
    active = session.execute(select(PaymentAllocation.id, PaymentRequest.payment_code, PaymentAllocation.amount_vnd,
                                    PaymentAllocation.how)
                             .join(PaymentRequest, PaymentRequest.id == PaymentAllocation.payment_request_id)
                             .where(PaymentAllocation.payment_id == payment.id,
                                    PaymentAllocation.released_at.is_(None))
                             .order_by(PaymentAllocation.id)).all()
    if allocation_ids is not None:
        active = [row for row in active if row[0] in allocation_ids]
        if not active:
            raise Conflict("this allocation was already released", code="allocation_released")
    if not active:
        raise Conflict("nothing of this line is allocated", code="nothing_allocated")
    previous_reason = payment.suspense_reason
    for allocation_id, *_ in active:
        corrections.release_to_suspense(session, allocation_id=allocation_id, reason=reason, settings=settings,
                                        actor=actor, now=now)
    return {"released": [{"allocation_id": a, "payment_code": c, "amount_vnd": v, "how": h} for a, c, v, h in active],
            "payment_id": payment.id, "previous_reason": previous_reason}


def _write_off(session: Session, line: StatementLine, *, actor: str, now: datetime, reason: str, amount_vnd,
               **_) -> dict:
    payment = _payment(session, line)
    amount = payment.unallocated_vnd if amount_vnd is None else parse_amount_vnd(amount_vnd, maximum=MAX_MONEY_VND)
    if not payment.unallocated_vnd:
        raise Conflict("nothing of this line is in suspense", code="nothing_in_suspense",
                       details={"unallocated_vnd": 0})
    if amount <= 0 or amount > payment.unallocated_vnd:  # as a match of more than waits
        raise Conflict(f"only {payment.unallocated_vnd} VND of this line is in suspense",
                       code="amount_exceeds_unallocated", details={"unallocated_vnd": payment.unallocated_vnd})
    corrections.refuse_if_claimed_by_refund(session.connection(), payment, amount)
    previous_reason = payment.suspense_reason  # read before _move_suspense changes it (undo restores it)
    # what stays in suspense after a partial write-off is still there for the reason it came
    after = "written_off" if amount == payment.unallocated_vnd else previous_reason
    _move_suspense(session, payment, -amount, after, actor=actor, now=now, memo=reason)
    return {"amount_vnd": amount, "payment_id": payment.id, "previous_reason": previous_reason}


def _move_suspense(session: Session, payment: Payment, change: int, suspense_reason: str | None, *, actor: str,
                   now: datetime, memo: str) -> None:
    """Write off (change < 0) or restore (change > 0) money in suspense: one balanced entry."""
    amount = abs(change)
    lines = [Line(Accounts.SUSPENSE, debit_vnd=amount), Line(Accounts.WRITE_OFFS, credit_vnd=amount)] if change < 0 \
        else [Line(Accounts.WRITE_OFFS, debit_vnd=amount), Line(Accounts.SUSPENSE, credit_vnd=amount)]
    moved = session.execute(update(Payment).where(Payment.id == payment.id,
                                                  Payment.unallocated_vnd + change >= 0)
                            .values(unallocated_vnd=Payment.unallocated_vnd + change,
                                    suspense_reason=suspense_reason)).rowcount
    if moved != 1:
        raise Conflict("the money in suspense changed meanwhile", code="suspense_changed")
    post_many(session.connection(), [Entry("write_off" if change < 0 else "write_off_undone", lines, now, actor,
                                           memo[:500], payment.id)])
    session.expire_all()


def _refund(session: Session, line: StatementLine, *, settings: Settings, actor: str, now: datetime, reason: str,
            amount_vnd, **_) -> dict:
    """Give the line's money back: a refund request through the refund service (which sends it to an
    approver above the threshold and becomes a transfer order). By default what is in suspense."""
    payment = _payment(session, line)
    if amount_vnd is None:
        amount = payment.unallocated_vnd
        if not amount:
            raise Conflict("nothing of this line is in suspense: give amount_vnd to refund from a request",
                           code="nothing_in_suspense")
    else:
        amount = parse_amount_vnd(amount_vnd, maximum=MAX_MONEY_VND)  # at most the refundable: request_refund's 400
    refund = refunds.request_refund(session, payment_id=payment.id, amount_vnd=amount, reason=reason,
                                    expected_refundable_vnd=refunds.refundable_vnd(session, payment),
                                    settings=settings, actor=actor, now=now)
    refunds.audit_refund(session, "refund.request", refund, actor=actor, now=now, reason=reason)
    return {"payment_id": payment.id, "refund_id": refund.id, "amount_vnd": amount, "refund_status": refund.status}


def _ignore(session: Session, line: StatementLine, **_) -> dict:
    """For a line that carries no money of ours to account (a bank fee, a transfer not ours): never one
    whose money is on a request (unmatch first), and once."""
    ignored = _active(session, line, "ignore")
    if ignored is not None:
        raise Conflict("this line is already ignored", code="already_ignored", details={"resolution_id": ignored})
    for action in ("write_off", "refund"):  # the line's money is accounted for by that decision
        decided = _active(session, line, action)
        if decided is not None:
            raise Conflict(f"this line's money was decided ({action}); ignoring it would hide that: undo it first",
                           code="line_has_decision", details={"resolution_id": decided, "action": action})
    if line.payment_id is not None and session.execute(select(PaymentAllocation.id).where(
            PaymentAllocation.payment_id == line.payment_id, PaymentAllocation.released_at.is_(None)).limit(1)
    ).scalar() is not None:
        raise Conflict("this line's money paid a request: unmatch it first, then ignore it",
                       code="line_has_allocations")
    waiting = session.execute(select(Payment.unallocated_vnd).where(Payment.id == line.payment_id)).scalar() \
        if line.payment_id is not None else 0
    if waiting:  # it is on our account: it must be matched, written off or given back, never just ignored
        raise Conflict(f"{waiting} VND of this line waits in suspense: match, write it off or refund it",
                       code="money_in_suspense", details={"unallocated_vnd": waiting})
    return {"payment_id": line.payment_id}


def _newest_manual_allocation(session: Session, payment_id: int) -> int:
    """The allocation `corrections.assign_from_suspense` has just made for the payment."""
    return session.execute(select(func.max(PaymentAllocation.id)).where(
        PaymentAllocation.payment_id == payment_id, PaymentAllocation.how == "manual")).scalar_one()


def _active(session: Session, line: StatementLine, action: str) -> int | None:
    """The id of an active (not undone) decision of that kind on the line, if any."""
    return session.execute(select(Resolution.id).where(
        Resolution.line_id == line.id, Resolution.action == action, Resolution.undone_at.is_(None))
        .order_by(Resolution.id).limit(1)).scalar()


def _correct_amount(session: Session, line: StatementLine, *, settings: Settings, actor: str, now: datetime,
                    reason: str, **_) -> dict:
    """The payment of a callback whose statement line shows another amount is corrected to the statement's.
    Less: the difference is taken out of its suspense, then off the requests it paid
    (`corrections.reduce_payment`), so they owe it again (an under-payment may come). More: the surplus is
    booked into suspense (`statement_surplus`), for finance to match, refund or write off; the requests keep
    what they were paid. Either way the `amount_differs` exception goes (the amounts agree)."""
    payment = _payment(session, line)
    found = statement_gap(session, payment.id)
    if found is None or found[0] != line.id:
        raise Conflict("this line's statement amount is its payment's: nothing to correct",
                       code="nothing_to_correct",
                       details={"statement_vnd": line.amount_vnd, "payment_vnd": payment.amount_vnd})
    if line.amount_vnd > payment.amount_vnd:
        moved = corrections.increase_payment(session, payment_id=payment.id,
                                             amount_vnd=line.amount_vnd - payment.amount_vnd, reason=reason,
                                             actor=actor, now=now, suspense_reason=STATEMENT_SURPLUS)
        return {"payment_id": payment.id, "amount_vnd": moved["to_vnd"] - moved["from_vnd"], **moved}
    moved = corrections.reduce_payment(session, payment_id=payment.id, amount_vnd=payment.amount_vnd - line.amount_vnd,
                                       reason=reason, settings=settings, actor=actor, now=now)
    return {"payment_id": payment.id, "amount_vnd": moved["from_vnd"] - moved["to_vnd"], **moved}


_ACTIONS = {"match": _match, "unmatch": _unmatch, "write_off": _write_off, "refund": _refund, "ignore": _ignore,
            "correct_amount": _correct_amount}


def acknowledge(session: Session, *, day: date, key: str, reason: str, settings: Settings, actor: str,
                now: datetime, expected_amount_vnd: int | None = None) -> Resolution:
    """Accept an exception of the day as it is (it stops blocking the close), with a reason. Its amount
    is recorded: the exception is acknowledged while it is no larger (a grown one is open again).
    `expected_amount_vnd`, the amount the person was shown: another one now (an import or a decision
    since) is refused, 412 `exception_changed`, rather than accepted unseen."""
    books.hold_books(session)  # a close in progress commits first: the status read below is final
    days.ensure_open(session, day, lock=True)  # the day row's lock serialises decisions on the day
    known = exceptions.day_exceptions(session, day, settings=settings, today=business_date(now))
    found = next((e for e in known if e.key == key), None)
    if found is None:
        raise NotFound(f"no exception {key} on {day.isoformat()}", code="exception_not_found")
    if found.acknowledged:  # one that grew since its acknowledgement is open again: accepted anew
        existing = session.execute(select(func.max(Resolution.id)).where(
            Resolution.exception_key == key, Resolution.recon_date == day, Resolution.undone_at.is_(None),
            Resolution.action == "acknowledge")).scalar()
        raise Conflict("this exception is already acknowledged", code="already_acknowledged",
                       details={"resolution_id": existing})
    if expected_amount_vnd is not None and expected_amount_vnd != found.amount_vnd:
        raise PreconditionFailed(f"this exception is now {found.amount_vnd:,} VND, not the {expected_amount_vnd:,} VND "
                                 "you saw: look again before accepting it", code="exception_changed",
                                 details={"amount_vnd": found.amount_vnd, "expected_amount_vnd": expected_amount_vnd})
    line_id = int(key.split(":")[1]) if key.startswith("line:") and is_ascii_digits(key.split(":")[1]) else None
    resolution = Resolution(recon_date=day, line_id=line_id, exception_key=key, action="acknowledge", reason=reason,
                            data={"amount_vnd": found.amount_vnd}, created_by=actor, created_at=now)
    session.add(resolution)
    session.flush()
    audit.record(session, actor=actor, action="reconciliation.acknowledge", subject_type="exception",
                 subject_id=key, at=now, reason=reason, data={"resolution_id": resolution.id,
                                                             "recon_date": day.isoformat()})
    return resolution


def undo(session: Session, *, resolution_id: int, reason: str, settings: Settings, actor: str,
         now: datetime, confirmed_outstanding_vnd: Mapping[str, int] | None = None) -> Resolution:
    """Take a decision back (the latest one on its line), while its day is open. An unmatch undone puts the
    money back on its requests: onto one paid meanwhile by other money, only confirmed as a match is
    (`confirmed_outstanding_vnd`, see `_reverse`)."""
    books.hold_books(session)
    now = books.stamp_after_closes(session, now)
    resolution = session.get(Resolution, resolution_id)
    if resolution is None:
        raise NotFound(f"no resolution {resolution_id}", code="resolution_not_found")
    line = _locked_line(session, resolution.line_id) if resolution.line_id else None
    session.refresh(resolution)
    if resolution.undone_at is not None:
        raise Conflict("this decision was already undone", code="already_undone")
    days.ensure_open(session, resolution.recon_date, lock=True)
    confirmed: list[dict] = []
    if line is not None and resolution.action != "acknowledge":
        latest = session.execute(select(func.max(Resolution.id)).where(
            Resolution.line_id == line.id, Resolution.undone_at.is_(None), Resolution.action != "acknowledge")
        ).scalar()
        if latest != resolution.id:
            raise Conflict("undo the later decisions on this line first", code="not_latest_resolution")
        restored, confirmed = _reverse(session, resolution, settings=settings, actor=actor, now=now, reason=reason,
                                       confirmed_outstanding_vnd=confirmed_outstanding_vnd)
        if restored:
            resolution.data = {**resolution.data, "restored": restored}
    resolution.undone_at, resolution.undone_by, resolution.undo_reason = now, actor, reason
    audit.record(session, actor=actor, action="reconciliation.undo", subject_type="resolution",
                 subject_id=resolution.id, at=now, reason=reason,
                 data={"action": resolution.action, "line_id": resolution.line_id,
                       **({"restored": resolution.data["restored"]} if "restored" in resolution.data else {}),
                       **corrections.overpayment_note(confirmed)})
    if line is not None:
        refresh_line(session, line)
    return resolution


def _reverse(session: Session, resolution: Resolution, *, settings: Settings, actor: str, now: datetime,
             reason: str, confirmed_outstanding_vnd: Mapping[str, int] | None = None
             ) -> tuple[list[dict] | None, list[dict]]:
    """Put the line's money back as it was just before the decision (the reason it sat in suspense included).
    An unmatch undone returns which new allocation stands for each one it had released, and the over-payment
    confirmed: its money goes back onto requests that may have been paid by other money since, so it is
    checked as a match is (`corrections.refuse_unconfirmed_overpayment`)."""
    data = resolution.data
    restored, confirmed = None, []
    if resolution.action == "match":
        for allocation_id in _in_force(session, resolution):
            corrections.release_to_suspense(session, allocation_id=allocation_id, reason=f"undo: {reason}",
                                            settings=settings, actor=actor, now=now)
    elif resolution.action == "unmatch":
        restored = []
        unallocated = session.execute(select(Payment.unallocated_vnd).where(Payment.id == data["payment_id"])
                                      .with_for_update()).scalar_one()
        confirmed = corrections.refuse_unconfirmed_overpayment(
            session, [(a["payment_code"], a["amount_vnd"]) for a in data["released"]], unallocated, now,
            confirmed_outstanding_vnd, payment_id=data["payment_id"])
        for allocation in data["released"]:
            corrections.assign_from_suspense(session, payment_id=data["payment_id"],
                                             payment_code=allocation["payment_code"],
                                             amount_vnd=allocation["amount_vnd"], settings=settings, actor=actor,
                                             now=now, overpayment_checked=True)
            new_id = _newest_manual_allocation(session, data["payment_id"])
            _found_as(session, new_id, allocation.get("how"))
            restored.append({"released_id": allocation["allocation_id"], "allocation_id": new_id})
    elif resolution.action == "correct_amount" and data["to_vnd"] > data["from_vnd"]:  # a surplus booked
        corrections.reduce_payment(session, payment_id=data["payment_id"], amount_vnd=data["amount_vnd"],
                                   reason=f"undo: {reason}", settings=settings, actor=actor, now=now,
                                   suspense_only=True, kind="payment_correction_undone")
        session.execute(update(Payment).where(Payment.id == data["payment_id"])
                        .values(suspense_reason=data.get("previous_reason")))
        session.expire_all()
    elif resolution.action == "correct_amount":
        corrections.restore_payment(session, payment_id=data["payment_id"], amount_vnd=data["amount_vnd"],
                                    reason=f"undo: {reason}", actor=actor, now=now)
    elif resolution.action == "refund":
        _withdraw_refund(session, data["refund_id"], settings=settings, actor=actor, now=now, reason=reason)
    elif resolution.action == "write_off":
        payment = session.execute(select(Payment).where(Payment.id == data["payment_id"]).with_for_update()
                                  ).scalar_one()
        _move_suspense(session, payment, data["amount_vnd"], data.get("previous_reason"), actor=actor, now=now,
                       memo=f"undo: {reason}")
    if resolution.action in ("match", "unmatch") and "previous_reason" in data:
        session.execute(update(Payment).where(Payment.id == data["payment_id"])
                        .values(suspense_reason=data["previous_reason"]))
        session.expire_all()
    return restored, confirmed


def _in_force(session: Session, match: Resolution) -> list[int]:
    """The match's allocations as they stand now. An unmatch on the line undone since then put the money
    back as new allocations (its `restored`: released id -> new id); undo is latest first, so every such
    unmatch is undone, and following them in order leads from each allocation the match made to the one
    that holds its money today."""
    ids = [allocation["allocation_id"] for allocation in match.data["allocations"]]
    later = session.execute(select(Resolution.action, Resolution.data).where(
        Resolution.line_id == match.line_id, Resolution.id > match.id,
        ((Resolution.action == "unmatch") & Resolution.undone_at.is_not(None))
        | (Resolution.action == "correct_amount")).order_by(Resolution.id)).all()
    for action, data in later:
        if action == "unmatch":
            renamed = {pair["released_id"]: pair["allocation_id"] for pair in data.get("restored", [])}
        else:  # a correction kept the rest of each allocation it took from as a new one (none: all taken)
            renamed = {row["allocation_id"]: row["kept_allocation_id"] for row in data.get("taken_back", [])}
        ids = [renamed.get(allocation_id, allocation_id) for allocation_id in ids]
    return [allocation_id for allocation_id in ids if allocation_id is not None]


def _found_as(session: Session, allocation_id: int, how: str | None) -> None:
    """An unmatch undone re-credits the request (as `manual`); the allocation keeps how its code was found."""
    if how is None or how == "manual":
        return
    session.execute(update(PaymentAllocation).where(PaymentAllocation.id == allocation_id).values(how=how))
    session.expire_all()


def _withdraw_refund(session: Session, refund_id: int, *, settings: Settings, actor: str, now: datetime,
                     reason: str) -> None:
    """Call a refund back while no money has left: awaiting approval -> rejected; a transfer order or cash not
    yet paid out -> failed through the refund module's own path, which puts the money back where it came from.
    (Finance marks a transfer executed when it makes it at the bank; one made but not marked must be marked
    executed, not undone.)"""
    refund = refunds.get_refund(session, refund_id, for_update=True)
    note = f"undo: {reason}"
    if refund.status in refunds.NOT_COUNTED:  # rejected or failed meanwhile: its money is already back
        return
    if refund.status == refunds.AWAITING_APPROVAL:
        refund.status, refund.failure, refund.decided_by, refund.decided_at = refunds.REJECTED, note, actor, now
        refunds.audit_refund(session, "refund.reject", refund, actor=actor, now=now, reason=note)
    elif refund.status in (refunds.TRANSFER_ORDERED, refunds.CASH_DUE):
        refunds.mark_failed(session, refund_id=refund.id, reason=note, settings=settings, actor=actor, now=now)
    elif refund.status == refunds.SENDING:
        raise Conflict("the card refund has been sent to the acquirer and cannot be called back: wait for its "
                       "answer (a refused one is marked failed and its money comes back), then decide again",
                       code="refund_in_progress", details={"refund_status": refund.status, "refund_id": refund.id})
    else:
        raise Conflict(f"refund {refund.id} was paid out (reference {refund.reference or 'none'}); an undo cannot "
                       "bring the money back. If it was a mistake, ask the payer to return it and resolve that "
                       "transfer as a new statement line", code="refund_executed",
                       details={"refund_status": refund.status, "refund_id": refund.id})


def standing_decisions(session: Session, line_ids: list[int]) -> dict[int, tuple[str, ...]]:
    """line id -> the decisions in force that say what became of its money (refund, write-off, ignore), each
    once, oldest first: a refund asked for part of it and a write-off of the rest are both said (the latest
    alone read as if the refund had never been asked). A refund the approver rejected or whose payout failed
    says nothing any more: its money is back in suspense, and the line must not read as refund requested."""
    standing: dict[int, tuple[str, ...]] = {}
    for chunk in links._chunks(line_ids):
        decisions = session.execute(select(Resolution.line_id, Resolution.action, Resolution.data).where(
            Resolution.line_id.in_(chunk), Resolution.undone_at.is_(None),
            Resolution.action.in_(("refund", "write_off", "ignore"))).order_by(Resolution.id)).all()
        refund_ids = [data["refund_id"] for _, action, data in decisions if action == "refund"]
        withdrawn = set(session.execute(select(refunds.Refund.id).where(
            refunds.Refund.id.in_(refund_ids), refunds.Refund.status.in_(refunds.NOT_COUNTED))).scalars()) \
            if refund_ids else set()
        for line_id, action, data in decisions:
            if (action != "refund" or data["refund_id"] not in withdrawn) and action not in standing.get(line_id, ()):
                standing[line_id] = (*standing.get(line_id, ()), action)
    return standing


def refresh_line(session: Session, line: StatementLine) -> None:
    """Re-derive a line's status, score and reasons from its payment and the decisions on it."""
    session.flush()
    facts = links.payment_facts(session, [line.payment_id]).get(line.payment_id) if line.payment_id else None
    verdict = line_verdict(line, facts, standing_decisions(session, [line.id]).get(line.id, ()))
    session.execute(update(StatementLine).where(StatementLine.id == line.id).values(
        status=verdict.status, score=verdict.score, reasons=verdict.reasons, version=StatementLine.version + 1))
    session.expire_all()


def line_verdict(line: StatementLine, facts: PaymentFacts | None, decisions: tuple[str, ...] = ()) -> Verdict:
    """`classify` with the decisions standing on the line. A write-off of part of the money in
    suspense says so (`partly_written_off`): the rest still waits, the line is still open for it."""
    verdict = classify(direction=line.direction, is_reversal=line.is_reversal, source=line.source, payment=facts,
                       proposal=line.proposal if facts and not facts.allocations else None, decisions=decisions)
    if "write_off" in decisions and facts is not None and facts.waiting_vnd > 0:
        verdict = Verdict(verdict.status, verdict.score,
                          [PARTLY_WRITTEN_OFF if r == "written_off" else r for r in verdict.reasons])
    return verdict
