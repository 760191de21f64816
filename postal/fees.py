"""A shipment follows its fees: a payment request cancelled after the shipment was booked.

Registered with `payments.service.on_request_cancelled` (payments knows nothing of postal) when the
postal package is imported (`postal/__init__.py`): every process that has shipments to follow has it. A live shipment follows a cancelled request that asks for
its postage, that is the dossier's registered fees (the dossier is withdrawn: `service.refuse_cancelled_dossier`),
or that a cash-on-delivery order holds for the postman to collect. Before the post has the dossier or result
(`states.cancellable`) the shipment is cancelled with what every cancellation does (the courier order
cancelled through the outbox, the postage withdrawn, the citizen texted); once with the post (picked up, out,
a delivery tried) it cannot be called back by a fee: it is listed for the postal staff
(`fees_cancelled_with_courier`) and goes on.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config import Settings
from kernel import audit
from payments.models import Dossier, PaymentRequest, PaymentRequestItem
from payments.service import current_request, on_request_cancelled
from postal import checks, states
from postal.models import Shipment
from postal.service import enter_state

FEES_CANCELLED_WITH_COURIER = "fees_cancelled_with_courier"


def _postage_items(session: Session, shipment: Shipment) -> set[int]:
    return set(session.execute(select(PaymentRequestItem.fee_item_id).join(
        PaymentRequest, PaymentRequest.id == PaymentRequestItem.payment_request_id)
        .where(PaymentRequest.payment_code == shipment.postage_payment_code)).scalars())


def _follows(session: Session, shipment: Shipment, request: PaymentRequest, asked: set[int],
             dossier_withdrawn: bool) -> bool:
    held_for_cod = shipment.cod and request.expires_at is None  # the postman was to collect it
    return dossier_withdrawn or held_for_cod or bool(asked & _postage_items(session, shipment))


def follow_cancelled_request(session: Session, request: PaymentRequest, *, reason: str | None,
                             settings: Settings, actor: str, now: datetime) -> None:
    """The dossier's live shipments whose fees `request` asked for: cancelled, or listed for staff."""
    live = session.execute(select(Shipment).where(Shipment.dossier_id == request.dossier_id,
                                                  Shipment.status.not_in(states.TERMINAL))
                           .order_by(Shipment.id).with_for_update()).scalars().all()
    if not live:
        return
    dossier = session.get(Dossier, request.dossier_id)
    dossier_withdrawn = current_request(session, dossier).id == request.id
    asked = {line.fee_item_id for line in request.items}
    why = f"payment request {request.payment_code} cancelled" + (f": {reason}" if reason else "")
    for shipment in live:
        if not _follows(session, shipment, request, asked, dossier_withdrawn):
            continue
        if states.cancellable(shipment.direction, shipment.status, shipment.failed_attempts):
            enter_state(session, shipment, states.CANCELLED, settings=settings, actor=actor, now=now,
                        occurred_at=now, reason=why)
            audit.record(session, actor=actor, action="shipment.cancel", subject_type="shipment",
                         subject_id=shipment.id, at=now, reason=why)
            continue
        claimed = {"payment_code": request.payment_code, "status": shipment.status}
        checks.list_conflict(session, shipment, claimed, occurred_at=now, source="system", now=now,
                             reason=f"{why} while the shipment is {shipment.status}, with the post: not cancelled; "
                                    "contact the post (call the result back, or collect nothing)",
                             data={"kind": FEES_CANCELLED_WITH_COURIER, "direction": shipment.direction,
                                   "shipment_status": shipment.status, "payment_code": request.payment_code})


on_request_cancelled(follow_cancelled_request)
