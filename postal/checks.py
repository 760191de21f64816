"""Courier reports people must look at: the list on the postal board ("Báo cáo của bưu điện cần kiểm tra").

Two events in a shipment's history make the list (models.EVENTS_TO_CHECK names them for the index):

- `cod_check`: a COD collection report to check, credited or not; its `reason` is the kind
  (postal.cod: already collected, amount out of range, amount differs, owed less than booked).
- `courier_conflict`: a report that contradicts what we recorded; `data["kind"]` says how (an event
  id reused with other content, the same collection report with another amount, a step that
  moved the dossier or result of a cancelled shipment, or a failed delivery attempt reported for a
  cancelled delivery: the postman may have been at the citizen's door for it).

Only reports are listed, never decided here: postal.tracking decides what is applied or credited.
A postal clerk marks a listed report as dealt with (`resolve`: who, when, a note; audited); the board
lists the unresolved ones, oldest first.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from kernel import audit
from postal import cod, states
from postal.errors import check_not_found
from postal.models import EVENTS_TO_CHECK, CheckResolution, Shipment, ShipmentEvent
from postal.service import add_event, outstanding_vnd

COURIER = "system:courier"
CONFLICT_EVENT = "courier_conflict"
COD_CHECK_EVENT = "cod_check"
# The kinds of courier_conflict beyond a reused event id (the event's data["kind"]).
COD_AMOUNT_CHANGED = "cod_amount_changed"  # the same collection report, another amount than the one recorded
STEP_AFTER_CANCELLATION = "step_after_cancellation"  # the post moved a dossier or result we call cancelled
ATTEMPT_AFTER_CANCELLATION = "attempt_after_cancellation"  # the post tried to deliver a result we call cancelled
# The steps that move the citizen's dossier or result: reported for a cancelled shipment, it is out there.
# A failed delivery attempt too (the result was taken to the citizen's door: they may have been visited for
# a delivery we cancelled, and had its postage withdrawn); a failed pickup moved nothing.
MOVING_STEPS = {states.PICKUP: frozenset({states.PICKED_UP, states.DELIVERED}),
                states.DELIVERY: frozenset({states.OUT_FOR_DELIVERY, states.DELIVERED, states.FAILED_ATTEMPT})}


def cod_amount_of(row: ShipmentEvent) -> int | None:
    """The COD amount a recorded report stood for: the one it stated, else the one credited for it
    (the order's, when it stated none), else None (nothing was credited)."""
    data = row.data or {}
    if data.get("cod_amount_vnd") is not None:
        return data["cod_amount_vnd"]
    return (data.get("cod") or {}).get("collected_vnd")


def collection_check(session: Session, shipment: Shipment, row: ShipmentEvent, amount: int,
                     booked: int) -> dict[str, Any] | None:
    """What people must look at in this collection report, if anything.

    The shipment row is locked (tracking finds it for update), so two reports of one shipment are
    looked at one after the other: the second sees the first's applied row and is not credited again.
    """
    facts = {"courier_event_id": row.courier_event_id, "collected_vnd": amount, "booked_vnd": booked}
    first = session.execute(select(ShipmentEvent.courier_event_id).where(
        ShipmentEvent.shipment_id == shipment.id, ShipmentEvent.courier_status_code == states.COD_COLLECTED,
        ShipmentEvent.applied.is_(True), ShipmentEvent.id != row.id).order_by(ShipmentEvent.id).limit(1)
    ).scalars().first()
    if first is not None:  # a COD order is collected once: the post must say which report is right
        return {"kind": cod.ALREADY_COLLECTED, **facts, "first_event_id": first}
    owed = outstanding_vnd(session, shipment.dossier_id)
    limit = cod.creditable_limit_vnd(booked=booked, owed=owed)
    if amount > limit:
        return {"kind": cod.AMOUNT_OUT_OF_RANGE, **facts, "limit_vnd": limit}
    if owed < booked and amount > owed:
        # Paid another way (online, at the counter) since the booking: the citizen paid twice.
        return {"kind": cod.OWED_LESS, **facts, "owed_vnd": owed}
    if amount != booked:
        return {"kind": cod.AMOUNT_DIFFERS, **facts}
    return None


def flag_cod(session: Session, shipment: Shipment, row: ShipmentEvent, check: dict[str, Any], *, source: str,
             now: datetime) -> None:
    """A `cod_check` event for the collection report `row`."""
    add_event(session, shipment, event=COD_CHECK_EVENT, from_status=shipment.status, actor=COURIER, now=now,
              occurred_at=row.occurred_at, source=source, applied=False, reason=check["kind"],
              data={**check, "recorded_event_id": row.id})


def list_conflict(session: Session, shipment: Shipment, claimed: dict[str, Any], *, occurred_at: datetime,
                  source: str, reason: str, data: dict[str, Any], now: datetime) -> None:
    """A `courier_conflict` event for what the courier `claimed`, once per claim (a redelivery of the
    same contradicting report is not listed again)."""
    known = session.execute(select(ShipmentEvent.data).where(ShipmentEvent.shipment_id == shipment.id,
                                                             ShipmentEvent.event == CONFLICT_EVENT)).scalars()
    if any((known_data or {}).get("claimed") == claimed for known_data in known):
        return
    add_event(session, shipment, event=CONFLICT_EVENT, from_status=shipment.status, actor=COURIER, now=now,
              occurred_at=occurred_at, source=source, applied=False, reason=reason,
              data={**data, "claimed": claimed})


def list_step_after_cancellation(session: Session, shipment: Shipment, row: ShipmentEvent, *, source: str,
                                 now: datetime) -> None:
    """List a courier step that really moved the dossier or result (picked up, out for delivery,
    delivered, a failed delivery attempt), reported for a cancelled shipment: the papers are with the post
    while we say cancelled (and withdrew the postage). Recorded, never applied (nothing leaves cancelled);
    listed once a step, whenever it happened (a failure older than the 17 that cancelled: the post tried)."""
    step = states.courier_status(row.courier_status_code).target(shipment.direction)
    if shipment.status != states.CANCELLED or step not in MOVING_STEPS[shipment.direction]:
        return
    known = session.execute(select(ShipmentEvent.data).where(ShipmentEvent.shipment_id == shipment.id,
                                                             ShipmentEvent.event == CONFLICT_EVENT)).scalars()
    kind = ATTEMPT_AFTER_CANCELLATION if step == states.FAILED_ATTEMPT else STEP_AFTER_CANCELLATION
    if any((data or {}).get("kind") == kind and data.get("step") == step for data in known):
        return
    claimed = {"event_id": row.courier_event_id, "status_code": row.courier_status_code,
               "occurred_at": row.occurred_at.isoformat()}
    add_event(session, shipment, event=CONFLICT_EVENT, from_status=shipment.status, actor=COURIER, now=now,
              occurred_at=row.occurred_at, source=source, applied=False,
              reason=f"courier reports {step} (status {row.courier_status_code}) for a cancelled shipment: "
                     "not applied; the dossier or result may be with the post",
              data={"kind": kind, "step": step, "direction": shipment.direction, "reason": row.reason,
                    "claimed": claimed, "recorded_event_id": row.id})


# A result the post reports handed over (10) that we cannot record as delivered (postal.tracking): not applied,
# as no proof the recipient got it, and listed: the result has left the post, maybe to someone else's hands.
DELIVERED_WITHOUT_ID, DELIVERED_TO_OTHER_ID = "delivered_without_id_check", "delivered_to_other_id"


def list_unproven_delivery(session: Session, shipment: Shipment, row: ShipmentEvent, *, kind: str, source: str,
                           now: datetime) -> None:
    """List a delivery the post reports without the recipient's ID check (`kind` DELIVERED_WITHOUT_ID) or
    against another ID than the one recorded (DELIVERED_TO_OTHER_ID), once a report. It was only kept in
    the shipment's history: the shipment stayed out for delivery with nobody told to look."""
    claimed = {"event_id": row.courier_event_id, "status_code": row.courier_status_code,
               "occurred_at": row.occurred_at.isoformat()}
    how = "without the recipient's ID check" if kind == DELIVERED_WITHOUT_ID else "to an ID not the recipient's"
    list_conflict(session, shipment, claimed, occurred_at=row.occurred_at, source=source, now=now,
                  reason=f"courier reports the result delivered (status {row.courier_status_code}) {how}: not "
                         "applied; the result may be in someone else's hands",
                  data={"kind": kind, "direction": shipment.direction, "id_check": (row.data or {}).get("id_check"),
                        "id_check_refused": (row.data or {}).get("id_check_refused"), "recorded_event_id": row.id})


DATED_BEFORE_SHIPMENT = "dated_before_shipment"


def list_dated_before_shipment(session: Session, shipment: Shipment, row: ShipmentEvent, *, source: str,
                               now: datetime) -> None:
    """List a courier report dated before its shipment was created (once a status code): it is applied
    from the creation (`tracking.effective_at`), but a wrong date may mean a wrong clock or another
    order's report, which people must check with the post."""
    claimed = {"event_id": row.courier_event_id, "status_code": row.courier_status_code,
               "occurred_at": row.occurred_at.isoformat()}
    known = session.execute(select(ShipmentEvent.data).where(ShipmentEvent.shipment_id == shipment.id,
                                                             ShipmentEvent.event == CONFLICT_EVENT)).scalars()
    if any((data or {}).get("kind") == DATED_BEFORE_SHIPMENT
           and (data.get("claimed") or {}).get("status_code") == row.courier_status_code for data in known):
        return
    list_conflict(session, shipment, claimed, occurred_at=shipment.created_at, source=source, now=now,
                  reason=f"courier event {row.courier_event_id} (status {row.courier_status_code}) is dated "
                         f"{row.occurred_at.isoformat()}, before the shipment was created: counted from its creation",
                  data={"kind": DATED_BEFORE_SHIPMENT, "direction": shipment.direction,
                        "shipment_created_at": shipment.created_at.isoformat(), "recorded_event_id": row.id})


def check_kind(row: ShipmentEvent) -> str:
    """What a listed row is about: the key of its sentence on the board."""
    if row.event == COD_CHECK_EVENT:
        return row.reason
    return (row.data or {}).get("kind") or row.event


def _listed():
    """The listed reports with their shipment and resolution (None while unresolved), in id order."""
    return (select(ShipmentEvent, Shipment, CheckResolution)
            .join(Shipment, Shipment.id == ShipmentEvent.shipment_id)
            .outerjoin(CheckResolution, CheckResolution.event_id == ShipmentEvent.id)
            .where(text(f"shipment_events.{EVENTS_TO_CHECK}")))


def events_to_check(session: Session, *, resolved: bool | None = False, after: int = 0,
                    limit: int = 100) -> list[tuple[ShipmentEvent, Shipment, CheckResolution | None]]:
    """The listed reports after the id `after`, oldest first: the unresolved ones (the board's list), the
    resolved ones, or all (`resolved=None`). An old report stays listed until someone deals with it."""
    query = _listed().where(ShipmentEvent.id > after)
    if resolved is not None:
        query = query.where(CheckResolution.id.is_not(None) if resolved else CheckResolution.id.is_(None))
    return list(session.execute(query.order_by(ShipmentEvent.id).limit(limit)).all())


def unresolved_count(session: Session) -> int:
    """How many listed reports nobody has dealt with yet."""
    return session.execute(select(func.count()).select_from(ShipmentEvent)
                           .outerjoin(CheckResolution, CheckResolution.event_id == ShipmentEvent.id)
                           .where(text(f"shipment_events.{EVENTS_TO_CHECK}"), CheckResolution.id.is_(None))
                           ).scalar_one()


def resolve(session: Session, *, event_id: int, note: str, actor: str,
            now: datetime) -> tuple[tuple[ShipmentEvent, Shipment, CheckResolution], bool]:
    """Mark the listed report `event_id` as dealt with: who, when and `note` (what was done), audited.
    Once: a report already resolved keeps its first resolution (returned with False, nothing recorded).
    The report's row is locked, so two clerks resolving it at once record one resolution."""
    found = session.execute(select(ShipmentEvent, Shipment).join(Shipment, Shipment.id == ShipmentEvent.shipment_id)
                            .where(ShipmentEvent.id == event_id, text(f"shipment_events.{EVENTS_TO_CHECK}"))
                            .with_for_update(of=ShipmentEvent)).first()
    if found is None:
        raise check_not_found(event_id)
    event, shipment = found
    # Read once the row is locked (a statement of its own: it sees a resolution committed while waiting).
    resolution = session.execute(select(CheckResolution).where(CheckResolution.event_id == event.id)
                                 ).scalar_one_or_none()
    if resolution is not None:
        return (event, shipment, resolution), False
    resolution = CheckResolution(event_id=event.id, resolved_at=now, resolved_by=actor, note=note)
    session.add(resolution)
    session.flush()
    audit.record(session, actor=actor, action="shipment.check.resolve", subject_type="shipment_event",
                 subject_id=event.id, at=now, reason=note,
                 data={"shipment_id": shipment.id, "dossier_code": shipment.dossier_code, "event": event.event,
                       "kind": check_kind(event)})
    return (event, shipment, resolution), True
