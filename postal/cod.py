"""Cash on delivery (HCCPAY_POSTAL_PAYMENT=cod): what the postman collects, and crediting it.

A COD delivery is booked with what the dossier still owes (`cod_amount_vnd` of the order);
the postman collects it at the door and VNPost reports it with status 21 ("Đã thu tiền COD").

- The order collects every fee the dossier still owes: a fee whose request expired unpaid (or
  was cancelled without being withdrawn) is asked for again with a new request at booking, as a
  renewal does, so no result is handed over with a fee left uncollected.
- While the shipment is out for collection, its dossier's open requests wait for the postman (no
  online payment is offered: the post would collect it again) and pending ones do not expire: the
  request TTL is the time to pay online, and the post may take longer than that to reach the
  citizen; an expired request takes no money (it would go to suspense) and its amount would drop
  off the manifest. They have no deadline (`expires_at` None) from the booking until the post
  reports what the postman collected (status 21) or the shipment ends without a delivery
  (returned to the agency, cancelled); then what is still unpaid gets a fresh TTL.
- Status 21 credits the money through the one crediting path (payments.credits.record_credits):
  one `IncomingCredit` per open request, with its payment code and what it owes (what was
  collected beyond that goes onto the last one, which becomes overpaid; less fills them in
  order). The debit side is `cod:vnpost` (Accounts.cod), what the post owes us until it remits
  the money to the centre's account (status 22, recorded as information).
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from config import Settings
from kernel.books import hold_books
from kernel.clock import ensure_aware_utc
from kernel.money import MAX_REQUEST_VND
from payments import states as payment_states
from payments.channels.common import booked_by_arrival
from payments.credits import IncomingCredit, record_credits
from payments.ledger import Accounts
from payments.models import PaymentRequest
from payments.service import ask_for_lapsed_fees, collected_on_delivery, expire_if_due, record_event
from postal.models import Shipment

PROVIDER, CHANNEL, COURIER = "vnpost_cod", "cod", "vnpost"
# What people must look at in a collection report (postal.tracking lists them as `cod_check` events).
ALREADY_COLLECTED, AMOUNT_OUT_OF_RANGE, AMOUNT_DIFFERS, OWED_LESS = (
    "cod_already_collected", "cod_amount_out_of_range", "cod_amount_differs", "cod_owed_less_than_booked")
NOT_COLLECTABLE = "cod_not_collectable"  # money reported for a shipment not out for collection (cancelled...)
# Credited as the ledger requires (the money is real) and listed; the other kinds are listed, not credited.
CREDITED_CHECKS = frozenset({AMOUNT_DIFFERS, OWED_LESS})
MAX_PROVIDER_REF = 100  # payments.provider_ref


def _requests(session: Session, shipment: Shipment, statuses) -> list[PaymentRequest]:
    return list(session.execute(select(PaymentRequest).where(
        PaymentRequest.dossier_id == shipment.dossier_id, PaymentRequest.status.in_(statuses))
        .order_by(PaymentRequest.id).with_for_update()).scalars())


def hold_requests(session: Session, shipment: Shipment, *, settings: Settings, actor: str, now: datetime) -> None:
    """Every fee still owed is asked for (`payments.service.ask_for_lapsed_fees`: the postman collects
    what the open requests owe, and the result must not be handed over with a fee never collected) and the dossier's open requests wait
    for the postman: pending ones no longer expire, and none (a part-paid one's rest included: the
    order collects it too) is offered for online payment meanwhile (`collected_on_delivery`)."""
    ask_for_lapsed_fees(session, shipment.dossier_code, settings=settings, actor=actor, now=now)
    for request in _requests(session, shipment, payment_states.OPEN):
        expire_if_due(session, request, settings, now)
        if request.status not in payment_states.OPEN or collected_on_delivery(request):
            continue
        before = ensure_aware_utc(request.expires_at).isoformat()
        request.expires_at, request.updated_at = None, now
        record_event(session, request, event="expiry_held", from_status=request.status, actor=actor, now=now,
                     reason=f"cash on delivery: shipment {shipment.id}",
                     data={"shipment_id": shipment.id, "expires_at_before": before})


def release_requests(session: Session, shipment: Shipment, *, settings: Settings, actor: str,
                     now: datetime) -> list[PaymentRequest]:
    """The shipment has ended: requests still unpaid get a fresh TTL (to pay at the counter or online).
    Returns them (a cancellation's SMS names them: payable again)."""
    released = []
    for request in _requests(session, shipment, payment_states.OPEN):
        if not collected_on_delivery(request):
            continue
        released.append(request)
        request.expires_at, request.updated_at = now + settings.request_ttl, now
        record_event(session, request, event="expiry_released", from_status=request.status, actor=actor,
                     now=now, reason=f"shipment {shipment.id} {shipment.status}",
                     data={"shipment_id": shipment.id, "expires_at": request.expires_at.isoformat()})
    return released


def split_collected(owed: list[tuple[str, int]], amount_vnd: int, fallback_code: str) -> list[tuple[str, int]]:
    """(payment code, amount) per request: each open one (oldest first) up to what it owes, the rest
    onto the last; with none open, all of it on `fallback_code` (the crediting path decides: an
    overpayment, or suspense for a closed request)."""
    if not owed:
        return [(fallback_code, amount_vnd)]
    parts, remaining = [], amount_vnd
    for index, (code, outstanding) in enumerate(owed):
        part = remaining if index == len(owed) - 1 else min(remaining, outstanding)
        if part > 0:
            parts.append((code, part))
            remaining -= part
    return parts


def creditable_limit_vnd(*, booked: int, owed: int) -> int:
    """The most one collection report may credit.

    The postman collects once, from one citizen, at the door: one payment, held to the sanity bound
    of every payment callback (MAX_REQUEST_VND, a NAPAS transfer's ceiling), unless the dossier really
    is owed more (a COD order collects every open request at once): then up to what it owes, or was
    booked to collect. Not the booked amount itself: a postman who took more than asked holds real
    money, credited and refunded the usual way (an overpayment), listed for people to check.
    """
    return max(MAX_REQUEST_VND, booked, owed)


def provider_ref(event_id: str, payment_code: str) -> str:
    """One per courier event and request: the same event seen again (webhook retry, poll) counts once."""
    ref = f"{event_id}:{payment_code}"
    if len(ref) <= MAX_PROVIDER_REF:
        return ref
    return f"sha256-{hashlib.sha256(event_id.encode()).hexdigest()}:{payment_code}"


def credit_collected(session: Session, shipment: Shipment, *, event_id: str, occurred_at: datetime,
                     amount_vnd: int, settings: Settings, actor: str, now: datetime) -> dict:
    """Credit the money the postman collected; returns what was done, for the shipment's history."""
    hold_books(session)  # before the requests' locks: the crediting path takes it too (kernel.books)
    if amount_vnd <= 0:  # nothing collected: what is owed may be paid at the counter or online again
        release_requests(session, shipment, settings=settings, actor=actor, now=now)
        return {"collected_vnd": amount_vnd, "credits": []}
    owed = [(r.payment_code, r.outstanding_vnd) for r in _requests(session, shipment, payment_states.OPEN)]
    parts = split_collected(owed, amount_vnd, shipment.postage_payment_code)
    details = {"shipment_id": shipment.id, "tracking_number": shipment.tracking_number, "courier_event_id": event_id}
    credits = [booked_by_arrival(IncomingCredit(
        provider=PROVIDER, provider_ref=provider_ref(event_id, code), channel=CHANNEL, amount_vnd=part,
        booked_at=occurred_at, clearing_account=Accounts.cod(COURIER),
        memo=f"COD {shipment.tracking_number or shipment.reference}", payment_code=code, details=details), now)
        for code, part in parts]
    results = record_credits(session, credits, settings=settings, actor=actor, now=now)
    # Collected less than was owed: what is still unpaid may now be paid at the counter or online.
    release_requests(session, shipment, settings=settings, actor=actor, now=now)
    return {"collected_vnd": amount_vnd, "credits": [
        {"payment_code": c.payment_code, "amount_vnd": c.amount_vnd, "outcome": r.outcome, "payment_id": r.payment_id}
        for c, r in zip(credits, results)]}
