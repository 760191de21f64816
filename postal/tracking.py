"""The courier side: outbox topics that book/cancel/track over HTTP after commit, and the
application of tracking events (webhook or poll) to shipments.

Tracking events are applied idempotently (the courier's event id is unique in
`shipment_events`; the same id with another status is a conflict, kept for people) and
out-of-order safely: every event is kept in the history, an event that happened before the
event that set the current state never moves the state back, and events that could not be
applied when they came are applied, in the order they happened, once another event makes them
applicable. A failed attempt reported late still counts, as a distinct attempt when it is the
retry gap away from the others. Status 21 (COD collected) credits the money (postal.cod).
What people must look at is listed through postal.checks.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from config import Settings
from kernel.clock import FIRST_DAY, LAST_DAY, business_date, parse_local_instant
from kernel.db import unit_of_work
from kernel.errors import Conflict, ValidationError
from kernel.money import MAX_MONEY_VND
from kernel.outbox import Delivery, Topic, enqueue
from kernel.text import is_ascii_digits, whole_number
from postal import checks, cod, deadlines, states
from postal.checks import COURIER
from postal.clients import CourierClient
from postal.models import Shipment, ShipmentEvent
from postal.service import (BOOK_TOPIC, CANCEL_TOPIC, TRACK_TOPIC, add_event, booked_cod_vnd, enqueue_cancel,
                            enter_state, get_shipment, too_early_for_another_attempt)
from postal.validation import IdCheck, parse_id_check

BOOKING_SCHEDULE = (timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=5),
                    timedelta(minutes=10), timedelta(minutes=30))
POLL_INTERVAL = timedelta(minutes=15)
COURIER_CLOCK_SKEW = timedelta(minutes=10)  # how far ahead of ours the courier's clock may be
DATING_TOLERANCE = timedelta(days=1)  # how far before its shipment an event may be dated and applied as dated
TRACKED = (states.BOOKED, states.SCHEDULED, states.PICKED_UP, states.OUT_FOR_DELIVERY, states.FAILED_ATTEMPT)
# A form bound only (the largest sum of real money, MAX_MONEY_VND); what one report may credit is
# decided against the shipment's dossier (cod.creditable_limit_vnd).
# The courier's text fields, as long as the columns that keep them (one check for all of them).
TEXT_LIMITS = {"event_id": ShipmentEvent.__table__.c.courier_event_id.type.length,
               "tracking_number": Shipment.__table__.c.tracking_number.type.length,
               "reference": 40}  # ours is HCC-<id> (at most 22): anything longer names no shipment of ours


@dataclass(frozen=True)
class CourierEvent:
    event_id: str
    status_code: int
    occurred_at: datetime
    tracking_number: str | None
    reference: str | None
    id_check: IdCheck | None
    note: str | None
    cod_amount_vnd: int | None = None  # with status 21: what the postman collected (default: the order's)
    id_check_refused: dict[str, Any] | None = None  # an ID check given that proves nothing (`_courier_id_check`)


def parse_courier_event(raw: Any, *, now: datetime) -> CourierEvent:
    """A tracking event from the courier's JSON, checked field by field (none dated in the future)."""
    if not isinstance(raw, dict):
        raise ValidationError("a tracking event must be a JSON object", code="malformed_event")
    event_id, code, at = raw.get("event_id"), raw.get("status_code"), raw.get("occurred_at")
    if not isinstance(event_id, str) or not event_id:
        raise ValidationError("event_id is required", code="malformed_event", details={"field": "event_id"})
    for name, limit in TEXT_LIMITS.items():
        if isinstance(raw.get(name), str) and len(raw[name]) > limit:  # past the column: a 500 on PostgreSQL
            raise ValidationError(f"{name} must be at most {limit} characters", code="malformed_event",
                                  details={"field": name, "max_length": limit})
        # An identifier is compared and shown as sent: a control character (NUL: a 500 on PostgreSQL) or a
        # lone surrogate (unencodable: a 500 anywhere) makes it no identifier. The poll path comes here too.
        if isinstance(raw.get(name), str) and not raw[name].isprintable():
            raise ValidationError(f"{name} must be printable characters", code="malformed_event",
                                  details={"field": name})
    code = courier_number(code, 0, max(states.COURIER_STATUSES))
    if code not in states.COURIER_STATUSES:
        raise ValidationError("status_code must be a VNPost status code 0-22", code="malformed_event",
                              details={"field": "status_code"})
    try:
        occurred_at = parse_local_instant(at)  # years 1 and 9999 overflow here
        if not FIRST_DAY <= business_date(occurred_at) <= LAST_DAY:
            raise ValueError("out of range")
    except (TypeError, ValueError, OverflowError):
        raise ValidationError(f"occurred_at must be a date and time, YYYY-MM-DD HH:MM:SS (Hà Nội time) or ISO 8601 "
                              f"with its offset, from {FIRST_DAY} to {LAST_DAY}", code="malformed_event",
                              details={"field": "occurred_at"}) from None
    if occurred_at > now + COURIER_CLOCK_SKEW:  # a future date would pin the shipment's state
        raise ValidationError(f"occurred_at {occurred_at.isoformat()} is in the future", code="malformed_event",
                              details={"field": "occurred_at"})
    tracking, reference = raw.get("tracking_number"), raw.get("reference")
    if not isinstance(tracking, str) and not isinstance(reference, str):
        raise ValidationError("tracking_number or reference is required", code="malformed_event")
    id_check, id_check_refused = _courier_id_check(raw.get("id_check"))
    cod_amount = raw.get("cod_amount_vnd")
    if cod_amount is not None and (cod_amount := courier_number(cod_amount, 0, MAX_MONEY_VND)) is None:
        raise ValidationError(f"cod_amount_vnd must be a whole number of đồng from 0 to {MAX_MONEY_VND}",
                              code="malformed_event", details={"field": "cod_amount_vnd"})
    return CourierEvent(event_id, code, occurred_at, tracking if isinstance(tracking, str) else None,
                        reference if isinstance(reference, str) else None, id_check, _note(raw.get("note")),
                        cod_amount, id_check_refused)


def courier_number(value: Any, lowest: int, highest: int) -> int | None:
    """A whole number the courier sent as a JSON integer or as a string of ASCII digits ("12000": VNPost, Viettel
    Post and GHN write numbers as strings), within [lowest, highest]; else None. Refused as malformed, a report
    is not sent again, and a delivery stayed out with the money collected never credited. Still no decimals
    ("12.000" is twelve in JSON and twelve thousand on a Vietnamese form), signs, exponents, floats or booleans."""
    if type(value) is int:
        return value if lowest <= value <= highest else None
    return whole_number(value.strip(), lowest, highest) if isinstance(value, str) else None


def _courier_id_check(raw: Any) -> tuple[IdCheck | None, dict[str, Any] | None]:
    """(the ID check the postman recorded, or None; why the one given proves nothing, or None).

    Not an object is not the contract's shape: the event is malformed. An object our rules refuse (a
    chứng minh nhân dân, invalid since 2025; a number of the wrong length) is still what the postman saw at
    the door: refused as malformed, the courier would not send the report again and a result handed over
    would stay out for delivery with nobody told. It is kept without the ID check, so a delivery is not
    applied but listed for people (`postal.checks`), with why the check was refused (never the number)."""
    if raw is None:
        return None, None
    if not isinstance(raw, dict):
        raise ValidationError("id_check must be an object with document_type, number and holder_name",
                              code="malformed_event", details={"field": "id_check", "problem": "missing_field"})
    try:
        return parse_id_check(raw), None
    except ValidationError as exc:
        kind = raw.get("document_type")
        shown = kind.strip()[:20] if isinstance(kind, str) and kind.isprintable() else None
        return None, {"problem": exc.code, "field": (exc.details or {}).get("field"), "document_type": shown}


MAX_NOTE = 500


def _note(value: Any) -> str | None:
    """The postman's note as people read it: a line break or a stray control character is no reason to
    lose a tracking event, so each becomes a space (NUL cannot be stored on PostgreSQL, a lone surrogate
    not at all); NFC so it compares and prints as the staff's own text."""
    if not isinstance(value, str):
        return None
    text = "".join(c if c.isprintable() else " " for c in unicodedata.normalize("NFC", value))
    return " ".join(text.split())[:MAX_NOTE] or None


MAX_REFERENCE_DIGITS = 18  # HCC-<id>: an id is a BIGINT


def _by_reference(session: Session, reference: str) -> Shipment | None:
    """The shipment our order reference `HCC-<id>` names; None for anything else."""
    digits = reference[4:] if reference.startswith("HCC-") else ""
    if not is_ascii_digits(digits) or len(digits) > MAX_REFERENCE_DIGITS:
        return None
    return session.execute(select(Shipment).where(Shipment.id == int(digits)).with_for_update()).scalars().first()


def _find(session: Session, event: CourierEvent) -> tuple[Shipment | None, bool]:
    """(the shipment the event is about, whether its identifiers disagree).

    Every identifier given must name the same shipment: a tracking number of one and a reference
    of another (or a reference that is not ours) is refused rather than one of them picked. A
    reference with no tracking number yet on its shipment is fine: the booking reply is late. So is
    one whose shipment got the event's tracking number while we waited for its lock (the booking reply
    was being recorded: the lookup by tracking number ran before that commit and found nothing).
    """
    by_tracking = by_reference = None
    if event.tracking_number:
        by_tracking = session.execute(select(Shipment).where(Shipment.tracking_number == event.tracking_number)
                                      .with_for_update()).scalars().first()
    if event.reference:
        by_reference = _by_reference(session, event.reference)
    if event.tracking_number and event.reference:
        if by_tracking is None and by_reference is not None \
                and by_reference.tracking_number in (None, event.tracking_number):
            return by_reference, False
        if by_tracking is not by_reference:
            return None, by_tracking is not None or by_reference is not None
    return by_tracking or by_reference, False


def apply_courier_event(session: Session, *, event: CourierEvent, source: str, settings: Settings,
                        now: datetime) -> str:
    """Record one tracking event; returns applied | recorded | duplicate | conflict | unknown_shipment | mismatch,
    or for a COD report kept for people: cod_already_collected | cod_amount_out_of_range."""
    shipment, mismatch = _find(session, event)
    if mismatch:
        return "mismatch"
    if shipment is None:
        return "unknown_shipment"
    status = states.courier_status(event.status_code)
    data = {"text": status.text, "note": event.note, "id_check": event.id_check.record() if event.id_check else None,
            "id_mismatch": bool(event.id_check) and not event.id_check.is_of(shipment.recipient_id_number)}
    if event.cod_amount_vnd is not None:
        data["cod_amount_vnd"] = event.cod_amount_vnd
    if event.id_check_refused is not None:
        data["id_check_refused"] = event.id_check_refused
    if dated_before(shipment, event.occurred_at):  # the courier's time is kept as the event's; it counts from here
        data["effective_at"] = shipment.created_at.isoformat()
    try:
        with session.begin_nested():
            row = add_event(session, shipment, event=f"courier:{event.status_code}", from_status=shipment.status,
                            actor=COURIER, now=now, occurred_at=event.occurred_at, source=source, applied=False,
                            reason=status.reason, courier_event_id=event.event_id,
                            courier_status_code=event.status_code, data=data)
    except IntegrityError:
        return _seen_before(session, shipment, event, source=source, now=now)
    if event.tracking_number and not shipment.tracking_number:
        shipment.tracking_number = event.tracking_number
    if "effective_at" in data:
        checks.list_dated_before_shipment(session, shipment, row, source=source, now=now)
    if event.status_code == states.COD_COLLECTED:
        return _collected(session, shipment, row, event, source=source, settings=settings, now=now)
    if not _try_apply(session, shipment, row, settings=settings, now=now):
        _list_for_people(session, shipment, row, source=source, now=now)
        return "recorded"
    replay_recorded_events(session, shipment, settings=settings, now=now)  # what this step made applicable
    return "applied"


def _seen_before(session: Session, shipment: Shipment, event: CourierEvent, *, source: str, now: datetime) -> str:
    """An event id already recorded: a duplicate when it says the same again (a redelivered webhook,
    or seen by a poll); another status, shipment or COD amount under that id is a conflict, kept in the
    shipment's history for people to look at (once) and never applied."""
    first = session.execute(select(ShipmentEvent).where(ShipmentEvent.courier_event_id == event.event_id)
                            ).scalar_one()
    first_amount = checks.cod_amount_of(first)
    same_step = first.shipment_id == shipment.id and first.courier_status_code == event.status_code
    # A report without an amount means "the order's": the poll may leave out what the webhook said.
    if same_step and (event.cod_amount_vnd is None or first_amount is None or event.cod_amount_vnd == first_amount):
        return "duplicate"
    claimed = {"event_id": event.event_id, "status_code": event.status_code,
               "occurred_at": event.occurred_at.isoformat(), "cod_amount_vnd": event.cod_amount_vnd}
    now_claims = f"COD {event.cod_amount_vnd} where {first_amount} was recorded" if same_step \
        else f"status {event.status_code}"
    checks.list_conflict(session, shipment, claimed, occurred_at=event.occurred_at, source=source, now=now,
                         reason=f"courier event {event.event_id} was recorded as status {first.courier_status_code} "
                                f"of shipment {first.shipment_id}; now it claims {now_claims}: not applied",
                         data={"kind": checks.COD_AMOUNT_CHANGED if same_step else checks.CONFLICT_EVENT,
                               "recorded_event_id": first.id, "recorded_cod_vnd": first_amount})
    return "conflict"


def _not_collectable(shipment: Shipment) -> str | None:
    """Why a 'COD collected' report cannot be money for this shipment's requests, if it cannot."""
    if not shipment.cod or shipment.direction != states.DELIVERY:
        return "COD collected reported for a shipment that was not cash on delivery: not credited"
    if shipment.status in (states.RETURNED, states.CANCELLED):
        return f"COD collected reported for a {shipment.status} shipment (not delivered): not credited"
    return None


def _collected(session: Session, shipment: Shipment, row: ShipmentEvent, event: CourierEvent, *, source: str,
               settings: Settings, now: datetime) -> str:
    """Status 21: credit what the postman collected (the order's COD amount unless the event says), once.

    A report that cannot be money for the shipment's requests is kept in its history (and listed for
    people when it names money: the post holds it); one that may be money but must not be credited (a
    second collection, an impossible amount) is also listed for people (a `cod_check` event); an amount
    other than the order's, or more than the dossier still owed (paid online meanwhile: the citizen
    paid twice), is credited and listed.
    """
    booked = booked_cod_vnd(session, shipment)
    amount = event.cod_amount_vnd if event.cod_amount_vnd is not None else booked
    refused = _not_collectable(shipment)
    if refused:  # kept in the history; money the postman took for it is listed for people
        row.reason = refused
        if amount > 0:
            checks.flag_cod(session, shipment, row, {
                "kind": cod.NOT_COLLECTABLE, "courier_event_id": row.courier_event_id, "collected_vnd": amount,
                "booked_vnd": booked, "shipment_status": shipment.status}, source=source, now=now)
        return "recorded"
    check = checks.collection_check(session, shipment, row, amount, booked)
    if check is not None and check["kind"] not in cod.CREDITED_CHECKS:
        row.reason = f"{check['kind']}: not credited, listed for people to check"
        checks.flag_cod(session, shipment, row, check, source=source, now=now)
        return check["kind"]
    done = cod.credit_collected(session, shipment, event_id=event.event_id, occurred_at=effective_at(shipment, row),
                                amount_vnd=amount, settings=settings, actor=COURIER, now=now)
    row.applied, row.from_status, row.to_status = True, shipment.status, shipment.status
    row.data = {**(row.data or {}), "cod": done}
    if check is not None:
        checks.flag_cod(session, shipment, row, check, source=source, now=now)
    return "applied"


def _try_apply(session: Session, shipment: Shipment, row: ShipmentEvent, *, settings: Settings,
               now: datetime) -> bool:
    """Apply a recorded courier event to the shipment if it may move it now; else note why not."""
    status = states.courier_status(row.courier_status_code)
    target = states.courier_target(status.code, shipment.direction, shipment.status, shipment.failed_attempts)
    data = row.data or {}
    late_failure = target == states.FAILED_ATTEMPT and _failure_reported_late(shipment, row.occurred_at)
    if late_failure:
        why_not = _why_late_failure_not_counted(session, shipment, row.occurred_at, settings)
    else:
        why_not = _why_not_applied(shipment, target, row.occurred_at, data.get("id_check"), data.get("id_mismatch"))
    if why_not:
        row.data = {**data, "not_applied": why_not}
        return False
    row.data = {k: v for k, v in data.items() if k != "not_applied"}
    if late_failure:
        _count_late_failure(session, shipment, row, status.reason, settings=settings, now=now)
        return True
    if target == states.DELIVERED and data.get("id_check"):
        shipment.id_check = data["id_check"]
    reason = states.COURIER_CANCELLED if target == states.CANCELLED else status.reason
    enter_state(session, shipment, target, settings=settings, actor=COURIER, now=now,
                occurred_at=row.occurred_at, source=row.source, reason=reason, event_row=row,
                effective_at=effective_at(shipment, row))
    return True


def dated_before(shipment: Shipment, occurred_at: datetime) -> bool:
    """True for a courier event dated more than `DATING_TOLERANCE` before its shipment was created (a
    clock a day wrong, another order's report). Within it, a clock difference (a local time sent as UTC is
    7 hours off) is applied as dated: flagging it would list every report of a shipment made just after
    midnight whose courier's clock is behind."""
    return occurred_at < shipment.created_at - DATING_TOLERANCE


def effective_at(shipment: Shipment, row: ShipmentEvent) -> datetime:
    """When a courier event that moves the shipment on, or credits COD, counts from: its own time, or the
    shipment's creation for one dated before it (`dated_before`). Applied as stated, a failure dated a year
    back took its retry date, and a delivery its J, from then: planned again at once, reported past due,
    money booked a year back. Its own time still orders the shipment's events (`state_at`, a failure
    reported late: the gaps between attempts); it is listed for people (`checks.list_dated_before_shipment`)."""
    return shipment.created_at if dated_before(shipment, row.occurred_at) else row.occurred_at


def _why_not_applied(shipment: Shipment, target: str | None, occurred_at: datetime,
                     id_check: dict | None, id_mismatch: bool = False) -> str | None:
    if target is None:
        return "informational"
    if target == shipment.status and target != states.FAILED_ATTEMPT:
        return "already in this state"
    if occurred_at < shipment.state_at and _something_happened(shipment):
        return "older than the current state"
    if not states.allowed(shipment.direction, shipment.status, target, shipment.failed_attempts):
        return f"{shipment.status} -> {target} is not allowed"
    if target == states.FAILED_ATTEMPT and too_early_for_another_attempt(shipment, business_date(occurred_at)):
        return f"before the next attempt date {shipment.next_attempt_date.isoformat()}"  # not a second attempt
    needs_id = states.DELIVERED if shipment.direction == states.DELIVERY else None
    if target == needs_id and id_check is None:
        return NO_ID_CHECK
    if target == needs_id and id_mismatch:
        return OTHER_ID
    return None


NO_ID_CHECK = "delivered without an ID check record"
OTHER_ID = "delivered to someone whose ID is not the recipient's recorded ID"
# Why a delivery report was not applied -> the kind it is listed for people under (postal.checks).
UNPROVEN_DELIVERY = {NO_ID_CHECK: checks.DELIVERED_WITHOUT_ID, OTHER_ID: checks.DELIVERED_TO_OTHER_ID}


def _list_for_people(session: Session, shipment: Shipment, row: ShipmentEvent, *, source: str,
                     now: datetime) -> None:
    """A courier step that could not be applied and that people must look at: one that moved a cancelled
    shipment's papers, or a result handed over without the recipient's ID (each listed once)."""
    checks.list_step_after_cancellation(session, shipment, row, source=source, now=now)
    kind = UNPROVEN_DELIVERY.get((row.data or {}).get("not_applied"))
    if kind is not None:
        checks.list_unproven_delivery(session, shipment, row, kind=kind, source=source, now=now)


def _something_happened(shipment: Shipment) -> bool:
    """False while the shipment has only been through our own steps (requested, booked, scheduled):
    then any courier progress is news, whenever it happened. After a real step (a failed attempt,
    kept as `state_at` through the replanning), an older event never moves the state back."""
    return shipment.status not in (states.REQUESTED, states.BOOKED, states.SCHEDULED) or shipment.failed_attempts > 0


# --- failed attempts reported late ---------------------------------------------------------
# A failure that happened before the current state still happened: reported after a later
# failure (or after the shipment went out again), it is counted as forward order would have
# counted it, without moving the state back. Two failures closer than the retry gap are one
# attempt reported twice, whichever came first.

def _failure_reported_late(shipment: Shipment, occurred_at: datetime) -> bool:
    return occurred_at < shipment.state_at and _something_happened(shipment) \
        and states.allowed(shipment.direction, shipment.status, states.FAILED_ATTEMPT, shipment.failed_attempts)


def _counted_failure_days(session: Session, shipment: Shipment) -> list[date]:
    """The days of the failed attempts counted on the shipment (by staff or from the courier)."""
    rows = session.execute(select(ShipmentEvent.event, ShipmentEvent.courier_status_code, ShipmentEvent.occurred_at)
                           .where(ShipmentEvent.shipment_id == shipment.id, ShipmentEvent.applied.is_(True))).all()
    return [business_date(at) for event, code, at in rows
            if event == states.FAILED_ATTEMPT
            or (code is not None and states.courier_status(code).target(shipment.direction) == states.FAILED_ATTEMPT)]


def _why_late_failure_not_counted(session: Session, shipment: Shipment, occurred_at: datetime,
                                  settings: Settings) -> str | None:
    day = business_date(occurred_at)
    for other in _counted_failure_days(session, shipment):
        first, second = sorted((day, other))
        if second < deadlines.next_attempt_date(first, settings.holidays):
            return f"the same attempt as the failure of {other.isoformat()} (attempts are the retry gap apart)"
    return None


def _count_late_failure(session: Session, shipment: Shipment, row: ShipmentEvent, reason: str | None, *,
                        settings: Settings, now: datetime) -> None:
    """Count a failure that happened before the current state: the last allowed one ends the shipment
    (returned / cancelled, as in order); an earlier one only counts (with its retry date)."""
    if states.after_failure(shipment.direction, shipment.failed_attempts + 1) != states.FAILED_ATTEMPT:
        latest = shipment.state_at
        enter_state(session, shipment, states.FAILED_ATTEMPT, settings=settings, actor=COURIER, now=now,
                    occurred_at=row.occurred_at, source=row.source, reason=reason, event_row=row)
        shipment.state_at = latest  # the ending is dated by the latest step, not the late report
        return
    shipment.failed_attempts += 1
    shipment.next_attempt_date = deadlines.next_attempt_date(business_date(row.occurred_at), settings.holidays)
    shipment.updated_at = now
    row.from_status, row.to_status, row.applied = shipment.status, shipment.status, True
    row.data = {**(row.data or {}), "counted_late": True}


def replay_recorded_events(session: Session, shipment: Shipment, *, settings: Settings, now: datetime) -> int:
    """Apply, in the order they happened, the courier events recorded but not applied (they came before
    the booking reply, say); returns how many moved the shipment. One the shipment can no longer follow
    because a step applied meanwhile cancelled it is listed for people as one reported after the
    cancellation is (`checks.list_step_after_cancellation`: the post moved or tried to deliver it)."""
    rows = session.execute(select(ShipmentEvent).where(
        ShipmentEvent.shipment_id == shipment.id, ShipmentEvent.applied.is_(False),
        ShipmentEvent.courier_status_code.is_not(None)).order_by(ShipmentEvent.occurred_at, ShipmentEvent.id)
    ).scalars().all()
    moved = 0
    for row in rows:
        if _try_apply(session, shipment, row, settings=settings, now=now):
            moved += 1
        else:
            _list_for_people(session, shipment, row, source=row.source, now=now)
    return moved


# --- outbox topics --------------------------------------------------------------------

def booking_succeeded(session: Session, *, shipment_id: int, result: dict[str, Any], settings: Settings,
                      now: datetime) -> None:
    """Store the tracking number with the outbox row's success (same transaction).

    A tracking number another shipment already holds names no new order of ours (a courier that
    numbers afresh, a reused number): refused as a Conflict, so the booking is a failed outbox message
    (an alert for people) instead of a unique violation that stops the worker."""
    shipment = get_shipment(session, shipment_id, for_update=True)
    tracking = shipment.tracking_number or result["tracking_number"]
    holder = session.execute(select(Shipment.id).where(Shipment.tracking_number == tracking,
                                                       Shipment.id != shipment.id)).scalar_one_or_none()
    if holder is not None:
        raise Conflict(f"the courier's booking answer gives tracking number {tracking}, already shipment "
                       f"{holder}'s: not stored", code="tracking_number_taken",
                       details={"tracking_number": tracking, "shipment_id": holder})
    shipment.tracking_number = tracking
    shipment.courier_order_id = result.get("order_id") or shipment.courier_order_id
    if shipment.status == states.REQUESTED:
        enter_state(session, shipment, states.BOOKED, settings=settings, actor=COURIER, now=now, occurred_at=now,
                    source="system", data={"tracking_number": shipment.tracking_number})
        replay_recorded_events(session, shipment, settings=settings, now=now)  # progress reported before the reply
    elif shipment.status == states.CANCELLED and not _ended_by_courier(session, shipment):
        enqueue_cancel(session, shipment, now=now)  # cancelled while the booking was in flight
    else:
        add_event(session, shipment, event="booking_confirmed", from_status=shipment.status, actor=COURIER,
                  now=now, source="system", data={"tracking_number": shipment.tracking_number})


def _ended_by_courier(session: Session, shipment: Shipment) -> bool:
    """True when the courier cancelled the order itself (VNPost 17/18 applied as a cancellation, maybe
    before its booking reply came): nothing to ask it. Two failed pickups end ours, not its order."""
    codes = session.execute(select(ShipmentEvent.courier_status_code).where(
        ShipmentEvent.shipment_id == shipment.id, ShipmentEvent.applied.is_(True),
        ShipmentEvent.to_status == states.CANCELLED, ShipmentEvent.courier_status_code.is_not(None))).scalars()
    return any(states.courier_status(code).reason is None for code in codes)


def booking_failed(session: Session, *, shipment_id: int, error: str, now: datetime) -> None:
    """The courier refused the booking for good: keep it visible on the shipment."""
    shipment = get_shipment(session, shipment_id)
    add_event(session, shipment, event="booking_refused", from_status=shipment.status, actor=COURIER, now=now,
              source="system", applied=False, reason=error[:1000])


def courier_topics(client: CourierClient, settings: Settings) -> dict[str, Topic]:
    """Book (never given up: an outage delays, never loses), cancel and track."""

    def book(delivery: Delivery) -> dict[str, Any]:
        return client.create_order(delivery.payload["order"], idempotency_key=delivery.idempotency_key)

    def booked(session: Session, delivery: Delivery, result: dict[str, Any] | None, now: datetime) -> None:
        booking_succeeded(session, shipment_id=delivery.payload["shipment_id"], result=result or {},
                          settings=settings, now=now)

    def refused(session: Session, delivery: Delivery, error: str, now: datetime) -> None:
        booking_failed(session, shipment_id=delivery.payload["shipment_id"], error=error, now=now)

    def cancel(delivery: Delivery) -> dict[str, Any]:
        return client.cancel_order(delivery.payload["tracking_number"], idempotency_key=delivery.idempotency_key)

    def track(delivery: Delivery) -> dict[str, Any]:
        return client.track(delivery.payload["tracking_number"])

    def tracked(session: Session, delivery: Delivery, result: dict[str, Any] | None, now: datetime) -> None:
        apply_tracking(session, result=result or {}, settings=settings, now=now)

    return {
        BOOK_TOPIC: Topic(BOOK_TOPIC, send=book, on_success=booked, on_failure=refused,
                          schedule=BOOKING_SCHEDULE, keep_trying=True),
        CANCEL_TOPIC: Topic(CANCEL_TOPIC, send=cancel, schedule=BOOKING_SCHEDULE, keep_trying=True),
        TRACK_TOPIC: Topic(TRACK_TOPIC, send=track, on_success=tracked,
                           schedule=(timedelta(minutes=1), timedelta(minutes=5))),
    }


def apply_tracking(session: Session, *, result: dict[str, Any], settings: Settings, now: datetime) -> dict[str, int]:
    """Apply every event of a polled order (the ones already seen are duplicates, skipped), in the order
    they happened however the courier lists them (newest first, say): a 17 read before the 9 and 11 it
    follows would cancel a delivery the post took out (`states.courier_target`) and refund its postage."""
    outcomes: dict[str, int] = {}
    events = []
    for raw in result.get("events", []):
        if not isinstance(raw, dict):  # no event at all ("x", null): malformed as one missing a field, not a crash
            outcomes["malformed"] = outcomes.get("malformed", 0) + 1
            continue
        raw = {"tracking_number": result.get("tracking_number"), "reference": result.get("reference"), **raw}
        try:
            events.append(parse_courier_event(raw, now=now))
        except ValidationError:
            outcomes["malformed"] = outcomes.get("malformed", 0) + 1
    for event in sorted(_oldest_first(events), key=lambda e: e.occurred_at):  # stable: kept on a tie
        outcome = apply_courier_event(session, event=event, source="courier_poll", settings=settings, now=now)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def _oldest_first(events: list[CourierEvent]) -> list[CourierEvent]:
    """The events as listed, reversed when the listing is newest first (no time later than the one before
    it, one earlier): the sort that follows keeps this order on a tie, so two events written in the same
    second (a failure and the 17 after it) are not applied the wrong way round."""
    times = [event.occurred_at for event in events]
    pairs = list(zip(times, times[1:]))
    if any(a > b for a, b in pairs) and not any(a < b for a, b in pairs):
        return events[::-1]
    return events


def enqueue_tracking_polls(session: Session, *, now: datetime) -> int:
    """Periodic: one tracking request per shipment in progress and per poll interval."""
    bucket = int(now.timestamp() // POLL_INTERVAL.total_seconds())
    rows = session.execute(select(Shipment.id, Shipment.tracking_number).where(
        Shipment.status.in_(TRACKED), Shipment.tracking_number.is_not(None))).all()
    for shipment_id, tracking_number in rows:
        enqueue(session, topic=TRACK_TOPIC, key=f"{TRACK_TOPIC}:{shipment_id}:{bucket}", now=now,
                payload={"shipment_id": shipment_id, "tracking_number": tracking_number})
    return len(rows)


def poll_now(sessions: sessionmaker[Session], client: CourierClient, settings: Settings, clock) -> int:
    """`hccpay postal poll`: queue tracking requests and deliver them at once (outside transactions)."""
    from kernel.outbox import OutboxWorker

    with unit_of_work(sessions) as session:
        enqueue_tracking_polls(session, now=clock())
    topics = {TRACK_TOPIC: courier_topics(client, settings)[TRACK_TOPIC]}
    return OutboxWorker(sessions=sessions, topics=topics, clock=clock).drain()
