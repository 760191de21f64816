"""Money in suspense: what waits (`waiting`, with the requests it might have paid) and finance's
decision on it (`assign`: credit it to a request, with a reason, audited).

Money that came on a bank statement line is that line's to decide: reconciliation registers how
(`decide_on_lines`), and the assignment becomes the line's match. It then shows on the line, counts
in the line's day (or the next open one) and can be undone there, as when finance matches the line
itself; before, the line stayed "unmatched" with its money on a request. Payments does not import
reconciliation, hence the registration.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config import Settings
from kernel import audit
from kernel.clock import business_date
from payments import suggestions
from payments.corrections import ACTIVE, assign_from_suspense
from payments.models import Payment
from payments.presenters import payment_view

WAITING = (Payment.status == ACTIVE, Payment.unallocated_vnd > 0)


def waiting(session: Session, *, limit: int) -> dict:
    """Money waiting for a decision: the total, how many, and the oldest `limit` payments, each
    with the open requests it might have paid when none of it found one (proposals only)."""
    count, total = session.execute(select(func.count(), func.coalesce(func.sum(Payment.unallocated_vnd), 0))
                                   .where(*WAITING)).one()
    payments = session.execute(select(Payment).where(*WAITING).order_by(Payment.booked_at, Payment.id)
                               .limit(limit)).scalars().all()
    views = []
    for payment in payments:
        view = payment_view(payment)
        if not any(a["released_at"] is None for a in view["allocations"]):
            view["suggestions"] = suggestions.for_money(
                session, amount_vnd=payment.unallocated_vnd, day=business_date(payment.booked_at),
                memo=payment.memo or "", payer_name=payment.payer_name)
        views.append(view)
    return {"total_vnd": int(total), "count": count, "payments": views}


# A line decider: the amount assigned when `payment_id` is a statement line's money, else None.
LineDecider = Callable[..., "int | None"]
_LINE_DECIDERS: list[LineDecider] = []


def decide_on_lines(decider: LineDecider) -> None:
    """Register how money of a statement line is assigned (reconciliation, at import)."""
    if decider not in _LINE_DECIDERS:
        _LINE_DECIDERS.append(decider)


def assign(session: Session, *, payment_id: int, payment_code: str, amount_vnd: int | None, reason: str,
           settings: Settings, actor: str, now: datetime) -> int:
    """Credit (part of) a payment in suspense to the request with `payment_code`; returns the amount."""
    for decider in _LINE_DECIDERS:
        assigned = decider(session, payment_id=payment_id, payment_code=payment_code, amount_vnd=amount_vnd,
                           reason=reason, settings=settings, actor=actor, now=now)
        if assigned is not None:
            return assigned
    assigned = assign_from_suspense(session, payment_id=payment_id, payment_code=payment_code, amount_vnd=amount_vnd,
                                    settings=settings, actor=actor, now=now)
    audit.record(session, actor=actor, action="suspense.assign", subject_type="payment", subject_id=payment_id,
                 at=now, reason=reason, data={"payment_code": payment_code, "amount_vnd": assigned})
    return assigned
