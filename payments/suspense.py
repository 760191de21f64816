"""Money in suspense: what waits (`waiting`, with the requests it might have paid) and finance's
decisions on it (`assign`: credit it to a request; `release`: take an allocation back), each with a
reason, audited.

Money that came on a bank statement line is that line's to decide: reconciliation registers how
(`decide_on_lines`), and an assignment becomes the line's match, a release its unmatch. It then shows on the line, counts
in the line's day (or the next open one) and can be undone there, as when finance matches the line
itself; before, the line stayed "unmatched" with its money on a request. Payments does not import
reconciliation, hence the registration.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config import Settings
from kernel import audit
from kernel.clock import business_date
from payments import suggestions
from payments.corrections import ACTIVE, assign_from_suspense, overpayment_note, release_to_suspense
from payments.models import Payment
from payments.presenters import payment_view

WAITING = (Payment.status == ACTIVE, Payment.unallocated_vnd > 0)


def waiting(session: Session, *, limit: int, prefix: str) -> dict:
    """Money waiting for a decision: the total, how many, and the oldest `limit` payments, each
    with the open requests it might have paid when none of it found one (proposals only): first
    those a bank callback linked to it after the statement named (`prefix`: of the payment codes)."""
    count, total = session.execute(select(func.count(), func.coalesce(func.sum(Payment.unallocated_vnd), 0))
                                   .where(*WAITING)).one()
    payments = session.execute(select(Payment).where(*WAITING).order_by(Payment.booked_at, Payment.id)
                               .limit(limit)).scalars().all()
    views = [payment_view(payment) for payment in payments]
    # only money none of which found a request: a leftover beside a match is that match's business
    unplaced = [(view, payment) for view, payment in zip(views, payments)
                if not any(a["released_at"] is None for a in view["allocations"])]
    ranked = suggestions.for_each(session, [suggestions.Money(p.unallocated_vnd, business_date(p.booked_at),
                                                              p.memo or "", p.payer_name) for _, p in unplaced],
                                  prefix=prefix)
    for view in views:
        view["suggestions"] = []
    named = suggestions.named_by_late_callbacks(session, [(p.id, p.unallocated_vnd) for _, p in unplaced], prefix)
    for (view, payment), found in zip(unplaced, ranked):
        view["suggestions"] = suggestions.first_each(named.get(payment.id, []), found)
    return {"total_vnd": int(total), "count": count, "payments": views}


@dataclass(frozen=True)
class LineDesk:
    """How reconciliation decides on a statement line's money (registered at import; payments does
    not import reconciliation). Each answers None when the payment is no statement line's."""

    assign: Callable[..., int | None]  # the amount assigned from suspense, as the line's match
    release: Callable[..., int | None]  # the payment id, the allocation released as the line's unmatch


_LINE_DESKS: list[LineDesk] = []


def decide_on_lines(desk: LineDesk) -> None:
    """Register how money of a statement line is assigned and released (reconciliation, at import)."""
    if desk not in _LINE_DESKS:
        _LINE_DESKS.append(desk)


def assign(session: Session, *, payment_id: int, payment_code: str, amount_vnd: int | None, reason: str,
           settings: Settings, actor: str, now: datetime, expected_unallocated_vnd: int | None = None,
           confirmed_outstanding_vnd: Mapping[str, int] | None = None) -> int:
    """Credit (part of) a payment in suspense to the request with `payment_code`; returns the amount.
    `expected_unallocated_vnd`: what the person saw in suspense; a change since is refused (412
    `suspense_changed`: a form sent twice must not assign the money twice). Onto a request already paid,
    or beyond what it owes, refused (409 `confirmation_required`) unless confirmed with what the request
    owed when asked (`confirmed_outstanding_vnd`), as a statement line's match is
    (`corrections.refuse_unconfirmed_overpayment`); the audit record notes a confirmed over-payment."""
    for desk in _LINE_DESKS:
        assigned = desk.assign(session, payment_id=payment_id, payment_code=payment_code, amount_vnd=amount_vnd,
                               reason=reason, settings=settings, actor=actor, now=now,
                               expected_unallocated_vnd=expected_unallocated_vnd,
                               confirmed_outstanding_vnd=confirmed_outstanding_vnd)
        if assigned is not None:
            return assigned
    assigned = assign_from_suspense(session, payment_id=payment_id, payment_code=payment_code, amount_vnd=amount_vnd,
                                    settings=settings, actor=actor, now=now,
                                    expected_unallocated_vnd=expected_unallocated_vnd,
                                    confirmed_outstanding_vnd=confirmed_outstanding_vnd)
    audit.record(session, actor=actor, action="suspense.assign", subject_type="payment", subject_id=payment_id,
                 at=now, reason=reason, data={"payment_code": payment_code, "amount_vnd": assigned.amount_vnd,
                                              **overpayment_note(assigned.overpayment_confirmed)})
    return assigned.amount_vnd


def release(session: Session, *, allocation_id: int, reason: str, settings: Settings, actor: str,
            now: datetime) -> int:
    """Take a wrong allocation back into suspense, with a reason, audited; returns the payment id."""
    for desk in _LINE_DESKS:
        payment_id = desk.release(session, allocation_id=allocation_id, reason=reason, settings=settings,
                                  actor=actor, now=now)
        if payment_id is not None:
            return payment_id
    payment_id = release_to_suspense(session, allocation_id=allocation_id, reason=reason, settings=settings,
                                     actor=actor, now=now)
    audit.record(session, actor=actor, action="allocation.release", subject_type="payment", subject_id=payment_id,
                 at=now, reason=reason, data={"allocation_id": allocation_id})
    return payment_id
