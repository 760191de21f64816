"""Use cases for shipments: create, dispatch to the courier, cancel, record outcomes.

Every function takes the session first and the current instant as `now=`; none commits.
Courier calls never happen here: bookings and cancellations are outbox rows (postal.tracking
holds the topics that send them after commit).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, literal, or_, select
from sqlalchemy.orm import Session

from config import Settings
from kernel import audit
from kernel.clock import business_date
from kernel.db import advisory_lock
from kernel.errors import Conflict, ValidationError
from kernel.events import publish
from kernel.notify import queue_sms
from kernel.outbox import OutboxMessage, enqueue
from payments import states as payment_states
from payments.models import Dossier, FeeItem, PaymentRequest, PaymentRequestItem
from payments.notifications import Payable, renewed_text
from payments.service import (LIVE_FOR_ITEMS, SETTLED, Withdrawal, add_fee_items, ask_for_lapsed_fees,
                              current_request, dossier_fees_settled, get_dossier, withdraw_fee_items)
from payments.validation import FeeInput
from postal import addresses, cod, deadlines, manifests, messages, states
from postal.errors import ShipmentExists, shipment_not_found
from postal.models import Shipment, ShipmentEvent
from postal.tariff import SPECIAL, parse_tariff, zone_for
from postal.validation import IdCheck, ShipmentInput, first_open_round_day

BOOK_TOPIC, CANCEL_TOPIC, TRACK_TOPIC = "courier.book", "courier.cancel", "courier.track"
CALLBACK_PATH = "/api/v1/callbacks/courier"
POSTAGE_NAMES = {states.PICKUP: "Cước bưu chính: thu gom hồ sơ tại nhà",
                 states.DELIVERY: "Cước bưu chính: chuyển phát kết quả"}


# --- create ---------------------------------------------------------------------------

def create_shipment(session: Session, *, data: ShipmentInput, settings: Settings, actor: str,
                    now: datetime) -> tuple[Shipment, bool]:
    """A shipment with its deadline and postage (a `postage` fee item); booked at once when it may be.

    Idempotent: while a dossier has a live shipment in a direction, the same body returns it
    (`created` False) and another body is a 409.
    """
    dossier = get_dossier(session, data.dossier_code)
    refuse_cancelled_dossier(session, dossier)
    advisory_lock(session, f"shipment:{dossier.code}:{data.direction}")
    existing = _live_shipment(session, dossier.id, data.direction)
    if existing is not None:
        if existing.body_hash == data.body_hash():
            return existing, False
        raise ShipmentExists(f"dossier {dossier.code} already has a {data.direction} shipment in progress",
                             details={"shipment_id": existing.id, "status": existing.status})
    zone = zone_for(ward_code=data.ward.code, province_code=data.ward.province_code,
                    home_province=settings.postal_province_code, special_wards=settings.postal_special_wards)
    postage = parse_tariff(settings.postal_tariff).postage_vnd(zone, data.weight_grams)
    j = _first_j(data, settings, now)
    request = add_fee_items(session, dossier_code=dossier.code, settings=settings, actor=actor, now=now,
                            fees=(FeeInput(POSTAGE_NAMES[data.direction], "postage", postage),))
    shipment = Shipment(
        dossier_id=dossier.id, dossier_code=dossier.code, direction=data.direction, status=states.REQUESTED,
        recipient_name=data.recipient_name, recipient_phone=data.recipient_phone,
        recipient_id_number=data.recipient_id_number, street=data.street, ward_code=data.ward.code,
        ward_name=data.ward.name, province_code=data.ward.province_code,
        province_name=data.ward.province_name, address_data_version=addresses.DATA_VERSION,
        window_date=data.window_date, window_slot=data.window_slot, note=data.note,
        documents=list(data.documents), weight_grams=data.weight_grams, zone=zone, postage_vnd=postage,
        postage_payment_code=request.payment_code,
        cod=data.direction == states.DELIVERY and settings.postal_payment_mode == "cod",
        j_date=j, due_date=_due(data.ward.is_urban, zone, j, data.ward.province_code, settings,
                                chosen=data.window_date if data.direction == states.DELIVERY else None),
        failed_attempts=0, state_at=now, body_hash=data.body_hash(), created_at=now, created_by=actor,
        updated_at=now,
    )
    session.add(shipment)
    session.flush()
    add_event(session, shipment, event="requested", from_status=None, actor=actor, now=now,
              data={"postage_vnd": postage, "payment_code": request.payment_code, "zone": zone})
    _announce(session, shipment, reason=None, occurred_at=now, now=now)
    dispatch_if_ready(session, shipment, settings=settings, now=now)
    return shipment, True


def _first_j(data: ShipmentInput, settings: Settings, now: datetime) -> date:
    """J until the shipment is handed over: a pickup's window, else the first round that still takes it
    (`HCCPAY_POSTAL_WINDOW_CUTOFF_MINUTES`, as a window is held to); a delivery's booking day."""
    if data.direction == states.DELIVERY:
        return business_date(now)
    if data.window_date:
        return data.window_date
    return first_open_round_day(now, holidays=settings.holidays,
                                cutoff=timedelta(minutes=settings.postal_window_cutoff_minutes))


def _live_shipment(session: Session, dossier_id: int, direction: str) -> Shipment | None:
    return session.execute(select(Shipment).where(
        Shipment.dossier_id == dossier_id, Shipment.direction == direction,
        Shipment.status.not_in(states.TERMINAL))).scalars().first()


def booked_before(session: Session, data: ShipmentInput) -> Shipment | None:
    """The live shipment this very body booked before (a replay after a lost answer), else None."""
    dossier = session.execute(select(Dossier).where(Dossier.code == data.dossier_code)).scalar_one_or_none()
    existing = _live_shipment(session, dossier.id, data.direction) if dossier is not None else None
    return existing if existing is not None and existing.body_hash == data.body_hash() else None


def refuse_cancelled_dossier(session: Session, dossier: Dossier) -> None:
    """A dossier whose registered fees were cancelled (and not asked for again) is withdrawn: nothing
    is collected or delivered for it, and no postage is asked."""
    if current_request(session, dossier).status == payment_states.CANCELLED:
        raise Conflict(f"dossier {dossier.code} was cancelled: no shipment can be booked for it",
                       code="dossier_cancelled", details={"dossier_code": dossier.code})


def restart_deadline(shipment: Shipment, j: date, settings: Settings) -> None:
    """Count the shipment's deadline from J = `j`."""
    ward = addresses.resolve_ward(shipment.province_code, shipment.ward_code)
    shipment.j_date = j
    chosen = shipment.window_date if shipment.direction == states.DELIVERY else None
    shipment.due_date = _due(ward.is_urban, shipment.zone, j, shipment.province_code, settings, chosen=chosen)


def _due(urban: bool, zone: str, j: date, province_code: int, settings: Settings, *,
         chosen: date | None = None) -> date:
    """J + n working days, or the day the citizen chose for a delivery when that is later: a result
    asked for next week is not late this week (the courier's order carried tomorrow's deadline, and
    the plan of the chosen day reported it past due). A pickup's window is its J already."""
    due = deadlines.due_date(j, local=province_code == settings.postal_province_code, urban=urban,
                             special=zone == SPECIAL, special_extra_days=settings.postal_special_extra_days,
                             holidays=settings.holidays)
    return max(due, chosen) if chosen else due


# --- dispatch (booking through the outbox) --------------------------------------------

def outstanding_vnd(session: Session, dossier_id: int) -> int:
    """What the citizen still owes on the dossier's open payment requests."""
    open_requests = session.execute(select(PaymentRequest).where(
        PaymentRequest.dossier_id == dossier_id, PaymentRequest.status.in_(payment_states.OPEN))).scalars()
    return sum(r.outstanding_vnd for r in open_requests)


def is_dispatchable(session: Session, shipment: Shipment) -> bool:
    """Pickups go at once; a delivery waits for its fees to be paid unless it is cash on delivery."""
    if shipment.direction == states.PICKUP or shipment.cod:
        return True
    return dossier_fees_settled(session, shipment.dossier_code)


_BOOKING_KEY = f"{BOOK_TOPIC}:shipment:"


def booking_key(shipment_id: int) -> str:
    """The outbox key of the shipment's courier booking: one booking per shipment."""
    return f"{_BOOKING_KEY}{shipment_id}"


# SQL, about a shipment: its courier booking is queued (sent, being sent, or waiting for the courier).
_BOOKING_QUEUED = select(OutboxMessage.id).where(
    OutboxMessage.key == literal(_BOOKING_KEY) + cast(Shipment.id, String)).exists()


def dispatch_if_ready(session: Session, shipment: Shipment, *, settings: Settings, now: datetime) -> bool:
    """Queue the courier booking (once per shipment) when the shipment may go; True when queued now.
    One whose booking is already queued is left as it is: its deadline is the one the queued order
    carries, while the courier is down too (the minute job must not move it to each day it runs)."""
    if shipment.status != states.REQUESTED:
        return False
    if not is_dispatchable(session, shipment):
        # A paid-for delivery waits for the dossier's fees: one whose request lapsed unpaid is asked for
        # again, or it would wait for good with nothing left to pay.
        ask_for_lapsed_fees(session, shipment.dossier_code, settings=settings, actor="system:postal", now=now)
        return False
    if session.execute(select(OutboxMessage.id).where(OutboxMessage.key == booking_key(shipment.id))).first():
        return False
    if shipment.direction == states.DELIVERY:  # handed to the post from today: the courier gets that deadline
        restart_deadline(shipment, business_date(now), settings)
    if shipment.cod:  # what the postman will collect must still be owed when he gets there
        cod.hold_requests(session, shipment, settings=settings, actor="system:postal", now=now)
    enqueue(session, topic=BOOK_TOPIC, key=booking_key(shipment.id), now=now,
            payload={"shipment_id": shipment.id, "order": booking_order(session, shipment, settings)})
    return True


def booking_order(session: Session, shipment: Shipment, settings: Settings) -> dict[str, Any]:
    """The order as the courier receives it."""
    return {
        "reference": shipment.reference, "service": "HCC", "direction": shipment.direction,
        "citizen": {"name": shipment.recipient_name, "phone": shipment.recipient_phone,
                    "street": shipment.street, "ward_code": shipment.ward_code, "ward_name": shipment.ward_name,
                    "province_code": shipment.province_code, "province_name": shipment.province_name},
        "weight_grams": shipment.weight_grams,
        "cod_amount_vnd": outstanding_vnd(session, shipment.dossier_id) if shipment.cod else 0,
        "window": ({"date": shipment.window_date.isoformat(), "slot": shipment.window_slot}
                   if shipment.window_date else None),
        "due_date": shipment.due_date.isoformat(), "note": shipment.note,
        "max_attempts": states.MAX_FAILED_ATTEMPTS, "id_check_required": True,
        "callback_url": settings.public_url + CALLBACK_PATH,
    }


def booked_cod_vnd(session: Session, shipment: Shipment) -> int:
    """The amount the courier's order asks the postman to collect (0 when not booked, or not COD)."""
    payload = session.execute(select(OutboxMessage.payload).where(
        OutboxMessage.key == booking_key(shipment.id))).scalar_one_or_none()
    return int((payload or {}).get("order", {}).get("cod_amount_vnd") or 0)


def cash_to_collect(session: Session, shipment: Shipment) -> manifests.ToCollect:
    """What the postman collects at the stop: the amount the courier's order carries, beside what the dossier
    owes now while the shipment is still to be handed over (a difference is for staff to see)."""
    if not shipment.cod:
        return manifests.NOTHING_TO_COLLECT
    owed = None if shipment.status in states.TERMINAL else outstanding_vnd(session, shipment.dossier_id)
    return manifests.ToCollect(booked_cod_vnd(session, shipment), owed)


def _owes_an_item_not_asked_by(statuses: frozenset[str]):
    """SQL, about a shipment's dossier: it owes a fee item (not withdrawn) no request in `statuses` asks for."""
    # Through the dossier's requests (indexed by dossier): an item's request rows are keyed by request first.
    asked = select(PaymentRequestItem.fee_item_id).join(
        PaymentRequest, PaymentRequest.id == PaymentRequestItem.payment_request_id).where(
        PaymentRequest.dossier_id == FeeItem.dossier_id, PaymentRequestItem.fee_item_id == FeeItem.id,
        PaymentRequest.status.in_(statuses)).exists()
    return select(FeeItem.id).where(FeeItem.dossier_id == Shipment.dossier_id, FeeItem.withdrawn_at.is_(None),
                                    ~asked).exists()


def _lapsed_request(now: datetime):
    """SQL, about a shipment's dossier: a pending request whose time has passed (`is_due`)."""
    return select(PaymentRequest.id).where(
        PaymentRequest.dossier_id == Shipment.dossier_id, PaymentRequest.status == payment_states.PENDING,
        PaymentRequest.expires_at.is_not(None), PaymentRequest.expires_at <= now).exists()


def dispatch_paid_deliveries(session: Session, *, settings: Settings, now: datetime, limit: int = 500) -> int:
    """Periodic: book the deliveries whose dossiers have been paid since; returns how many. Then ask again
    for the lapsed fees others wait on (`dispatch_if_ready`).

    Each batch holds only deliveries with something to do (fees settled and no booking queued yet, or a
    fee to ask again): those leave it once done. Taken as the oldest `limit` waiting ones, a delivery
    paid behind 500 others left unpaid (or waiting for the courier) was never looked at, hence never booked."""
    waiting = (Shipment.status == states.REQUESTED, Shipment.direction == states.DELIVERY, Shipment.cod.is_(False))
    settled = ~_owes_an_item_not_asked_by(SETTLED)  # dossier_fees_settled, for every waiting delivery at once
    paid = session.execute(select(Shipment).where(*waiting, settled, ~_BOOKING_QUEUED).order_by(Shipment.id)
                           .limit(limit)).scalars().all()
    booked = sum(dispatch_if_ready(session, s, settings=settings, now=now) for s in paid)
    lapsed = session.execute(select(Shipment).where(
        *waiting, ~settled, or_(_owes_an_item_not_asked_by(LIVE_FOR_ITEMS), _lapsed_request(now)))
        .order_by(Shipment.id).limit(limit)).scalars().all()
    for shipment in lapsed:  # not dispatchable: asks for the lapsed fee again (ask_for_lapsed_fees)
        dispatch_if_ready(session, shipment, settings=settings, now=now)
    return booked


# --- reading --------------------------------------------------------------------------

def get_shipment(session: Session, shipment_id: int, *, for_update: bool = False) -> Shipment:
    shipment = session.get(Shipment, shipment_id, with_for_update=for_update)
    if shipment is None:
        raise shipment_not_found(shipment_id)
    return shipment


def shipment_events(session: Session, shipment: Shipment) -> list[ShipmentEvent]:
    return list(session.execute(select(ShipmentEvent).where(ShipmentEvent.shipment_id == shipment.id)
                                .order_by(ShipmentEvent.id)).scalars())


def list_shipments(session: Session, *, status: str | None = None, day: date | None = None,
                   after: int = 0, limit: int = 200) -> list[Shipment]:
    """Newest first, from the one after the id `after` (0: from the newest), at most `limit`: a page, whose
    last id is the next page's `after` (ids, not offsets: shipments booked meanwhile shift no page)."""
    query = select(Shipment).order_by(Shipment.id.desc()).limit(limit)
    if after:
        query = query.where(Shipment.id < after)
    if status:
        if status not in states.STATUSES:
            raise ValidationError(f"status must be one of {', '.join(states.STATUSES)}", code="invalid_status",
                                  details={"parameter": "status"})
        query = query.where(Shipment.status == status)
    if day:
        query = query.where(Shipment.planned_date == day)
    return list(session.execute(query).scalars())


# --- events and transitions -----------------------------------------------------------

def add_event(session: Session, shipment: Shipment, *, event: str, from_status: str | None, actor: str,
              now: datetime, occurred_at: datetime | None = None, source: str = "staff", applied: bool = True,
              reason: str | None = None, data: dict | None = None, courier_event_id: str | None = None,
              courier_status_code: int | None = None, flush: bool = True) -> ShipmentEvent:
    row = ShipmentEvent(shipment_id=shipment.id, occurred_at=occurred_at or now, recorded_at=now, source=source,
                        event=event, from_status=from_status, to_status=shipment.status if applied else None,
                        applied=applied, courier_event_id=courier_event_id,
                        courier_status_code=courier_status_code, reason=reason, actor=actor, data=data)
    session.add(row)
    if flush:
        session.flush()
    return row


# The steps whose SMS tells a cash-on-delivery citizen what the postman will collect (the order's amount).
COD_TOLD = (states.BOOKED, states.OUT_FOR_DELIVERY)


def enter_state(session: Session, shipment: Shipment, target: str, *, settings: Settings, actor: str,
                now: datetime, occurred_at: datetime, source: str = "staff", reason: str | None = None,
                data: dict | None = None, event_row: ShipmentEvent | None = None,
                effective_at: datetime | None = None) -> None:
    """Move a shipment to `target` with every consequence (deadline, retry date, SMS, event).

    `effective_at` (default `occurred_at`) dates the consequences (J, the retry date): a courier event
    dated before the shipment existed counts from its creation (`tracking.effective_at`), while
    `occurred_at`, the courier's own time, still orders its events (`state_at`)."""
    states.check_transition(shipment.direction, shipment.status, target, shipment.failed_attempts)
    from_status, sms_reason = shipment.status, reason
    effective_at = effective_at or occurred_at
    if target == states.FAILED_ATTEMPT:
        shipment.failed_attempts += 1
        target = states.after_failure(shipment.direction, shipment.failed_attempts)
        shipment.next_attempt_date = (deadlines.next_attempt_date(business_date(effective_at), settings.holidays)
                                      if target == states.FAILED_ATTEMPT else None)
        if target == states.CANCELLED:  # the event keeps the failure's reason; the SMS says why it ended
            sms_reason = states.TWO_FAILED_ATTEMPTS
    if target in (states.FAILED_ATTEMPT, states.CANCELLED, states.RETURNED):
        shipment.planned_date = shipment.route_code = shipment.slot = shipment.stop = None
    # J is the day of pickup (a pickup), or the day the result is handed to the post (a delivery: its
    # booking, which may be days after the shipment was asked for while the fees were unpaid).
    if target == states.PICKED_UP or (target == states.BOOKED and shipment.direction == states.DELIVERY):
        restart_deadline(shipment, business_date(effective_at), settings)
    shipment.status, shipment.updated_at = target, now
    if source.startswith("courier") or target not in (states.BOOKED, states.SCHEDULED):
        # Our own bookkeeping steps (the booking reply, planning) keep the time of the last real step:
        # courier progress that happened before them must still move the shipment on.
        shipment.state_at = occurred_at
    # A cancellation withdraws the postage first: its SMS says what was paid for it, to come back, and names
    # the fees asked again under a new code with it (one text for the event, not a second one).
    withdrawal = Withdrawal(0, None)
    if target == states.CANCELLED:
        withdrawal = _cancelled(session, shipment, reason=sms_reason or "", settings=settings, actor=actor,
                                now=now, tell_courier=sms_reason != states.COURIER_CANCELLED)
    collect = booked_cod_vnd(session, shipment) if shipment.cod and target in COD_TOLD else 0
    payable = [withdrawal.renewal] if withdrawal.renewal else []  # what the citizen is to pay, and by when
    if target in states.TERMINAL and shipment.cod and target != states.DELIVERED:  # no longer out for collection
        # (a delivered one waits for the post's report of what the postman collected: cod.credit_collected);
        # what the postman was to collect is payable again: a cancellation's SMS names it
        released = cod.release_requests(session, shipment, settings=settings, actor=actor, now=now)
        payable += [Payable(r.payment_code, r.outstanding_vnd, r.expires_at) for r in released if r.outstanding_vnd > 0]
    # The appointment a pickup's citizen chose, while it is still to come (a booking confirmed late says none).
    window = ((shipment.window_date, shipment.window_slot)
              if shipment.window_date and shipment.window_date >= business_date(now) else None)
    text = messages.sms_text(target, direction=shipment.direction, dossier_code=shipment.dossier_code,
                             tracking_number=shipment.tracking_number, due=shipment.due_date, reason=sms_reason,
                             next_date=shipment.next_attempt_date, cod_vnd=collect,
                             refund_vnd=withdrawal.overpaid_vnd, payable=payable, window=window)
    if event_row is None:
        # The event's id keys the SMS; without an SMS the flush can wait (planning thousands at once).
        event_row = add_event(session, shipment, event=target, from_status=from_status, actor=actor, now=now,
                              occurred_at=occurred_at, source=source, reason=reason, data=data, flush=bool(text))
    else:
        event_row.from_status, event_row.to_status, event_row.applied = from_status, target, True
    if text:
        queue_sms(session, phone=shipment.recipient_phone, text=text, now=now,
                  key=f"shipment:{shipment.id}:event:{event_row.id}")
    renewal = withdrawal.renewal
    applicant = get_dossier(session, shipment.dossier_code).applicant_phone if renewal else None
    if renewal and applicant != shipment.recipient_phone:  # the one who holds the old code learns the new one
        queue_sms(session, phone=applicant, text=renewed_text(shipment.dossier_code, renewal), now=now,
                  key=f"request:{renewal.code}:renewed")
    if target in states.ANNOUNCED:
        _announce(session, shipment, reason=reason, occurred_at=occurred_at, now=now)


def _cancelled(session: Session, shipment: Shipment, *, reason: str, tell_courier: bool, settings: Settings,
               actor: str, now: datetime) -> Withdrawal:
    """What every cancellation does, whoever caused it (staff, two failed pickups, the courier): the
    courier order is cancelled (unless the courier cancelled it) and the postage withdrawn. Returns what
    the cancellation's SMS must tell: what was paid for the postage, to give back, and the fees asked again
    under a new code (`withdraw_fee_items`)."""
    if tell_courier and shipment.tracking_number:
        enqueue_cancel(session, shipment, now=now)
    return withdraw_postage(session, shipment, reason=reason, settings=settings, actor=actor, now=now)


def _announce(session: Session, shipment: Shipment, *, reason: str | None, occurred_at: datetime,
              now: datetime) -> None:
    """A `shipment.<status>` event for subscribed systems, in this transaction."""
    session.flush()
    publish(session.connection(), [(f"shipment.{shipment.status}", {
        "shipment_id": shipment.id, "dossier_code": shipment.dossier_code, "direction": shipment.direction,
        "status": shipment.status, "tracking_number": shipment.tracking_number, "reason": reason,
        "occurred_at": occurred_at.isoformat()})], now=now)


# --- cancel and staff outcomes -----------------------------------------------------------

def cancel_shipment(session: Session, *, shipment_id: int, reason: str, settings: Settings, actor: str,
                    now: datetime) -> Shipment:
    """Cancel before pickup: tell the courier (outbox) and withdraw the unpaid postage request."""
    shipment = get_shipment(session, shipment_id, for_update=True)
    if shipment.status == states.CANCELLED:
        return shipment
    if not states.cancellable(shipment.direction, shipment.status, shipment.failed_attempts):
        raise Conflict(f"the shipment is {shipment.status}: it can no longer be cancelled (only before pickup; a "
                       "delivery the post tried to hand over goes back to the agency)", code="cannot_cancel",
                       details={"status": shipment.status, "failed_attempts": shipment.failed_attempts})
    enter_state(session, shipment, states.CANCELLED, settings=settings, actor=actor, now=now, occurred_at=now,
                reason=reason)  # with the effects of every cancellation (courier told, postage withdrawn)
    audit.record(session, actor=actor, action="shipment.cancel", subject_type="shipment",
                 subject_id=shipment.id, at=now, reason=reason)
    return shipment


def withdraw_postage(session: Session, shipment: Shipment, *, reason: str, settings: Settings, actor: str,
                     now: datetime) -> Withdrawal:
    """The postage of a shipment that will not be carried is no longer owed, whichever request asks for
    it now (its own, or one that renewed it with the dossier's fees); returns what was paid for it, now an
    over-payment to refund (less what a settled request's own SMS tells: `withdraw_fee_items`)."""
    # Read without locking (no expiry on read): the dossier's lock comes before any request's, as in
    # a renewal, or the two would wait for each other.
    postage = frozenset(session.execute(
        select(PaymentRequestItem.fee_item_id).join(PaymentRequest, PaymentRequest.id ==
                                                     PaymentRequestItem.payment_request_id)
        .where(PaymentRequest.payment_code == shipment.postage_payment_code)).scalars())
    return withdraw_fee_items(session, dossier_code=shipment.dossier_code, fee_item_ids=postage,
                              reason=f"shipment cancelled: {reason}", settings=settings, actor=actor, now=now)


def enqueue_cancel(session: Session, shipment: Shipment, *, now: datetime) -> None:
    enqueue(session, topic=CANCEL_TOPIC, key=f"{CANCEL_TOPIC}:shipment:{shipment.id}", now=now,
            payload={"shipment_id": shipment.id, "tracking_number": shipment.tracking_number})


def too_early_for_another_attempt(shipment: Shipment, day: date) -> bool:
    """True before the day a failed shipment may be tried again: attempts are two working days apart,
    whatever the shipment's state meanwhile (planned for later, or already out again)."""
    return shipment.next_attempt_date is not None and day < shipment.next_attempt_date


def refuse_early_attempt(shipment: Shipment, day: date) -> None:
    if too_early_for_another_attempt(shipment, day):
        next_day = shipment.next_attempt_date.isoformat()
        raise Conflict(f"the next attempt may be made from {next_day}", code="too_early_for_retry",
                       details={"next_attempt_date": next_day})


def refuse_wrong_person(shipment: Shipment, id_check: IdCheck) -> None:
    """A result is handed only to the recipient whose ID number was recorded (when one was): the model
    has no record of an authorised proxy, so anyone else is refused and the centre is contacted."""
    if shipment.direction == states.DELIVERY and not id_check.is_of(shipment.recipient_id_number):
        raise Conflict("the ID shown is not the recipient's recorded ID: the result cannot be handed over",
                       code="id_mismatch", details={"number_last4": id_check.number[-4:]})


STAFF_EVENTS = (states.PICKED_UP, states.OUT_FOR_DELIVERY, states.DELIVERED, states.FAILED_ATTEMPT)
# Going out again, or failing again, is another attempt: not before the retry date. A handover is not
# refused for being early: a citizen who comes to the post office the next day gets the result.
ATTEMPTS = (states.OUT_FOR_DELIVERY, states.FAILED_ATTEMPT)


def _reported_again(session: Session, shipment: Shipment, event: str, *, reason: str | None,
                    id_check: IdCheck | None, now: datetime) -> bool:
    """True when the shipment's last step is this very outcome, reported today: a second click, a colleague
    with the same news, a request retried after a lost answer. It is answered as recorded and counts once;
    it was refused (illegal_transition, too_early_for_retry), and the one who retried read "not recorded".
    The same handover needs the same ID check, the same failure the same reason (a second failure ends in
    `after_failure`'s status); anything else is another report, checked as such."""
    last = session.execute(select(ShipmentEvent).where(
        ShipmentEvent.shipment_id == shipment.id, ShipmentEvent.applied.is_(True))
        .order_by(ShipmentEvent.id.desc()).limit(1)).scalar_one_or_none()
    if last is None or last.to_status != shipment.status or business_date(last.occurred_at) != business_date(now):
        return False
    if event == states.FAILED_ATTEMPT:
        return reason in states.FAILURE_REASONS and last.reason == reason and shipment.status in (
            states.FAILED_ATTEMPT, states.after_failure(shipment.direction, shipment.failed_attempts))
    recorded = (last.data or {}).get("id_check")
    return shipment.status == event and recorded == (id_check.record() if id_check else None)


def record_outcome(session: Session, *, shipment_id: int, event: str, settings: Settings, actor: str,
                   now: datetime, reason: str | None = None, id_check: IdCheck | None = None,
                   note: str | None = None) -> Shipment:
    """What the postman reports: picked up, out for delivery, delivered (with ID check), failed (reason)."""
    shipment = get_shipment(session, shipment_id, for_update=True)
    if event not in STAFF_EVENTS:
        raise ValidationError(f"event must be one of {', '.join(STAFF_EVENTS)}", code="invalid_event")
    if event == states.FAILED_ATTEMPT and reason is None:
        raise ValidationError(f"a failed attempt needs a reason: {', '.join(states.FAILURE_REASONS)}",
                              code="failure_reason_required")
    if reason is not None and (event != states.FAILED_ATTEMPT or reason not in states.FAILURE_REASONS):
        raise ValidationError(f"reason is for failed attempts only, one of {', '.join(states.FAILURE_REASONS)}",
                              code="invalid_reason", details={"field": "reason"})
    handover = states.DELIVERED if shipment.direction == states.DELIVERY else states.PICKED_UP
    if event == handover and id_check is None:  # on a pickup the citizen hands over: the sender's ID
        whose = "the recipient's" if shipment.direction == states.DELIVERY else "the sender's"
        raise ValidationError(f"{whose} ID check is required (id_check)", code="id_check_required",
                              details={"direction": shipment.direction})
    if _reported_again(session, shipment, event, reason=reason, id_check=id_check, now=now):
        return shipment
    states.check_transition(shipment.direction, shipment.status, event, shipment.failed_attempts)
    if event in ATTEMPTS:
        refuse_early_attempt(shipment, business_date(now))
    if event == handover:
        refuse_wrong_person(shipment, id_check)
        shipment.id_check = id_check.record()
    record = id_check.record() if id_check else None
    enter_state(session, shipment, event, settings=settings, actor=actor, now=now, occurred_at=now,
                reason=reason, data={"note": note, "id_check": record} if (note or record) else None)
    audit.record(session, actor=actor, action=f"shipment.{event}", subject_type="shipment",
                 subject_id=shipment.id, at=now, reason=reason)
    return shipment
