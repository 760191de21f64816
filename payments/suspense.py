"""Finance's decision on money in suspense: credit it to a request, with a reason, audited."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from config import Settings
from kernel import audit
from payments.corrections import assign_from_suspense


def assign(session: Session, *, payment_id: int, payment_code: str, amount_vnd: int | None, reason: str,
           settings: Settings, actor: str, now: datetime) -> int:
    """Credit (part of) a payment in suspense to the request with `payment_code`; returns the amount."""
    assigned = assign_from_suspense(session, payment_id=payment_id, payment_code=payment_code, amount_vnd=amount_vnd,
                                    settings=settings, actor=actor, now=now)
    audit.record(session, actor=actor, action="suspense.assign", subject_type="payment", subject_id=payment_id,
                 at=now, reason=reason, data={"payment_code": payment_code, "amount_vnd": assigned})
    return assigned
