"""Routes and the daily plan: which postman visits which shipment, in which slot, in which order."""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from config import Settings
from kernel import audit
from kernel.clock import (VN_TZ, business_date, business_day_bounds, is_working_day, local_time,
                          nth_working_day_after)
from kernel.db import advisory_lock
from kernel.errors import Conflict, ValidationError
from payments.validation import clean_text, printable
from postal import addresses, planner, states
from postal.errors import Unprocessable, route_not_found
from postal.models import Route, Shipment, ShipmentEvent
from postal.service import enter_state, get_shipment, refuse_early_attempt
from postal.validation import latest_window_day, parse_slot

# A route code goes into URL paths, file names and printed headers: plain letters, digits, - and _.
ROUTE_CODE_RE = re.compile(r"[A-Z0-9_-]{1,20}")
ACTIVE_ON_DAY = (states.SCHEDULED, states.PICKED_UP, states.OUT_FOR_DELIVERY, states.DELIVERED)
TO_DO_ON_DAY = (states.SCHEDULED, states.OUT_FOR_DELIVERY)  # not done yet: the place is theirs
MAX_CAPACITY = 1000
# How far ahead the planner plans: a week of rounds. Every waiting shipment is a candidate, so a day
# further out (a mistyped year) would take them all off the days their deadlines need.
PLAN_HORIZON_WORKING_DAYS = 5


# --- routes ---------------------------------------------------------------------------

def parse_route(body: dict[str, Any], *, province_code: int, partial: bool = False) -> dict[str, Any]:
    """Validate a route body: name, ward_codes (in the centre's province), capacity per slot."""
    values: dict[str, Any] = {}
    if not partial or "name" in body:
        values["name"] = printable(clean_text(body.get("name"), "name", max_len=200), "name")  # on the manifest
    if not partial or "ward_codes" in body:
        wards = body.get("ward_codes")
        if not isinstance(wards, list) or not wards or len(wards) > 200:
            raise ValidationError("ward_codes must be a non-empty list of ward codes", code="missing_field",
                                  details={"field": "ward_codes"})
        codes = [addresses.resolve_ward(province_code, w, f"ward_codes[{i}]").code for i, w in enumerate(wards)]
        if len(set(codes)) != len(codes):
            raise ValidationError("ward_codes lists a ward twice", code="duplicate_ward")
        values["ward_codes"] = codes
    capacity = body.get("capacity")
    if not partial or capacity is not None:
        if not isinstance(capacity, dict):
            raise ValidationError("capacity must be {\"morning\": n, \"afternoon\": n}", code="invalid_capacity")
        for slot in planner.SLOTS:
            n = capacity.get(slot)
            if type(n) is not int or not 0 <= n <= MAX_CAPACITY:
                raise ValidationError(f"capacity.{slot} must be a whole number from 0 to {MAX_CAPACITY}",
                                      code="invalid_capacity", details={"field": f"capacity.{slot}"})
        values["capacity_morning"], values["capacity_afternoon"] = capacity["morning"], capacity["afternoon"]
    return values


def parse_route_code(raw: Any) -> str:
    """1-20 of A-Z, 0-9, '-' and '_' (e.g. HL-01), else 400 invalid_route_code."""
    if not isinstance(raw, str) or not ROUTE_CODE_RE.fullmatch(raw):
        raise ValidationError("code: 1-20 capital letters A-Z, digits, '-' or '_' (e.g. HL-01)",
                              code="invalid_route_code", details={"field": "code"})
    return raw


def create_route(session: Session, *, code: Any, values: dict[str, Any], actor: str, now: datetime) -> Route:
    code = parse_route_code(code)
    if session.execute(select(Route.id).where(Route.code == code)).first() is not None:
        raise Conflict(f"route {code} exists", code="route_exists", details={"route": code})
    route = Route(code=code, created_at=now, updated_at=now, **values)
    session.add(route)
    session.flush()
    audit.record(session, actor=actor, action="postal.route.create", subject_type="postal_route",
                 subject_id=code, at=now, data=values)
    return route


def update_route(session: Session, *, code: str, values: dict[str, Any], actor: str, now: datetime) -> Route:
    """Change what differs from the stored route; a body changing nothing (empty, or the values it
    already has) is 400 nothing_to_change, so the audit only records real changes."""
    route = get_route(session, code)
    changed = {name: value for name, value in values.items() if getattr(route, name) != value}
    if not changed:
        raise ValidationError("give at least one of name, ward_codes, capacity with a new value",
                              code="nothing_to_change")
    for name, value in changed.items():
        setattr(route, name, value)
    route.updated_at = now
    audit.record(session, actor=actor, action="postal.route.update", subject_type="postal_route",
                 subject_id=code, at=now, data=changed)
    return route


def get_route(session: Session, code: str) -> Route:
    route = session.execute(select(Route).where(Route.code == code)).scalar_one_or_none()
    if route is None:
        raise route_not_found(code)
    return route


def list_routes(session: Session) -> list[Route]:
    return list(session.execute(select(Route).order_by(Route.code)).scalars())


def _spec(route: Route) -> planner.RouteSpec:
    return planner.RouteSpec(route.code, tuple(route.ward_codes),
                             {planner.MORNING: route.capacity_morning, planner.AFTERNOON: route.capacity_afternoon})


# --- the daily plan -------------------------------------------------------------------

def _holds_place_on(day: date):
    """The shipments planned for `day` that are work of that day: still to do, or done on it (or after).
    A shipment done before its day (picked up early) holds no place there and is no stop of its round:
    counted free but still listed, the manifest sent the postman to a door for nothing, beside the
    shipment the planner put in its place (three stops on a round of two)."""
    return and_(Shipment.planned_date == day, Shipment.status.in_(ACTIVE_ON_DAY),
                or_(Shipment.status.in_(TO_DO_ON_DAY), Shipment.state_at >= business_day_bounds(day)[0]))


def places_used(session: Session, day: date) -> Counter:
    """Places taken per (route, slot) on `day`: what counts against the capacity (`_holds_place_on`)."""
    rows = session.execute(select(Shipment.route_code, Shipment.slot, func.count()).where(_holds_place_on(day))
                           .group_by(Shipment.route_code, Shipment.slot))
    return Counter({(route, slot): n for route, slot, n in rows})


def _waiting(today: date):
    """Booked or failed shipments without a place, those the courier assigned a postman without our
    plan, and those planned for a day that passed without an outcome (the postman did not go, or did
    not report): they need a place (again)."""
    return or_(and_(Shipment.status.in_((*states.PLANNABLE, states.SCHEDULED)), Shipment.planned_date.is_(None)),
               and_(Shipment.status == states.SCHEDULED, Shipment.planned_date < today))


# When dossiers change hands between the post and the centre, by direction: a pickup's postman
# collects them (and brings them in from the round); a delivery's takes the results out.
HANDOVER_STEPS = {states.PICKUP: (states.PICKED_UP,), states.DELIVERY: (states.OUT_FOR_DELIVERY, states.DELIVERED)}


def handed_over_on(session: Session, day: date, route_code: str | None = None) -> list[Shipment]:
    """The shipments whose dossiers or results changed hands on `day` (Hà Nội), on one route or on
    any (planned or not), in stop order: the handover record's, dated when it happened, whatever
    day the plan had said."""
    start, end = business_day_bounds(day)
    steps = (*HANDOVER_STEPS[states.PICKUP], *HANDOVER_STEPS[states.DELIVERY])
    that_day = set(session.execute(select(ShipmentEvent.shipment_id).where(
        ShipmentEvent.occurred_at >= start, ShipmentEvent.occurred_at < end, ShipmentEvent.applied.is_(True),
        ShipmentEvent.to_status.in_(steps))).scalars())
    if not that_day:
        return []
    # a delivery taken out on Monday and delivered on Tuesday changed hands Monday: (when, the event's id)
    first: dict[int, tuple[datetime, int]] = {}
    for shipment_id, direction, to_status, occurred, event_id in session.execute(
            select(ShipmentEvent.shipment_id, Shipment.direction, ShipmentEvent.to_status, ShipmentEvent.occurred_at,
                   ShipmentEvent.id)
            .join(Shipment, Shipment.id == ShipmentEvent.shipment_id)
            .where(ShipmentEvent.shipment_id.in_(sorted(that_day)), ShipmentEvent.applied.is_(True),
                   ShipmentEvent.to_status.in_(steps))):
        if to_status in HANDOVER_STEPS[direction]:
            first[shipment_id] = min((occurred, event_id), first.get(shipment_id, (occurred, event_id)))
    handed = {i: event_id for i, (at, event_id) in first.items() if start <= at < end}
    shipments = list(session.execute(select(Shipment).where(Shipment.id.in_(sorted(handed))).order_by(
        Shipment.route_code, Shipment.slot.desc(), Shipment.stop, Shipment.id)).scalars())
    if route_code:
        routes = _routes_at(session, handed)
        shipments = [s for s in shipments if routes.get(s.id, s.route_code) == route_code]
    return shipments


def _routes_at(session: Session, handovers: dict[int, int]) -> dict[int, str | None]:
    """The route each shipment was planned on when it changed hands (shipment id -> its handover event's
    id): the last plan or move before that event. Not the shipment's route now: a failed attempt takes it
    off the plan (planned again later, maybe on another route), and the record of the route the result
    went out on lost it. Without such a step (data from before plans named their route), the route now."""
    routes: dict[int, str | None] = {}
    for shipment_id, event_id, data in session.execute(
            select(ShipmentEvent.shipment_id, ShipmentEvent.id, ShipmentEvent.data).where(
                ShipmentEvent.shipment_id.in_(sorted(handovers)), ShipmentEvent.applied.is_(True),
                ShipmentEvent.to_status == states.SCHEDULED).order_by(ShipmentEvent.id)):
        if event_id < handovers[shipment_id] and (data or {}).get("route"):
            routes[shipment_id] = data["route"]
    return routes


def served_wards(session: Session) -> set[str]:
    """The wards some route serves."""
    return {ward for wards in session.execute(select(Route.ward_codes)).scalars() for ward in wards}


@dataclass
class Queue:
    shipments: list[Shipment]
    total: int  # the whole queue's length, of which `shipments` are the first (a limit)


@dataclass
class BoardQueues:
    """What the board lists apart from the day's lanes (the page and `GET /postal/queues` alike)."""

    waiting: Queue  # waiting for a place a plan can give them
    unserved: Queue  # waiting in a ward no route serves (empty while there is no route at all)
    under_way: Queue  # collected or out for delivery without a place in our plan


def board_queues(session: Session, *, today: date, limit: int) -> BoardQueues:
    """The board's queues, nearest deadline first, at most `limit` shipments each. Without routes every
    shipment waits for one (the page says to create them); with routes, those in a ward none serves wait
    apart, with why: out of the province they would wait for a plan for good."""
    served = served_wards(session)
    waiting = select(Shipment).where(_waiting(today))
    if served:
        waiting = waiting.where(Shipment.ward_code.in_(sorted(served)))
    unserved = select(Shipment).where(_waiting(today), Shipment.ward_code.not_in(sorted(served))) if served else None
    under_way = select(Shipment).where(Shipment.status.in_((states.PICKED_UP, states.OUT_FOR_DELIVERY)),
                                       Shipment.planned_date.is_(None))
    return BoardQueues(*(_queue(session, query, limit) for query in (waiting, unserved, under_way)))


def _queue(session: Session, query, limit: int) -> Queue:
    if query is None:
        return Queue([], 0)
    shipments = list(session.execute(query.order_by(Shipment.due_date, Shipment.id).limit(limit)).scalars())
    total = len(shipments) if len(shipments) < limit else \
        session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    return Queue(shipments, total)


def unplanned_reason(shipment: Shipment, reason: str, *, province_code: int) -> str:
    """The planner's reason, told apart for an address outside the centre's province (no route may serve it)."""
    if reason == planner.NO_ROUTE and shipment.province_code != province_code:
        return planner.OUT_OF_PROVINCE
    return reason


def _candidates(session: Session, day: date, today: date) -> list[Shipment]:
    return list(session.execute(select(Shipment).where(
        _waiting(today),
        or_(Shipment.window_date.is_(None), Shipment.window_date <= day),
        or_(Shipment.next_attempt_date.is_(None), Shipment.next_attempt_date <= day),
    ).order_by(Shipment.id).with_for_update()).scalars())


def refuse_past_day(day: date, now: datetime) -> None:
    """Plans are for today or later, today being the business date in Asia/Ho_Chi_Minh."""
    today = business_date(now)
    if day < today:
        raise ValidationError(f"date: {day.isoformat()} is in the past (today is {today.isoformat()})",
                              code="date_in_past",
                              details={"field": "date", "date": day.isoformat(), "today": today.isoformat()})


def refuse_far_day(day: date, latest: date) -> None:
    """400 date_too_far after `latest`, naming it (a typo such as 2062 for 2026, or a plan made too early)."""
    if day > latest:
        raise ValidationError(f"date: {day.isoformat()} is too far ahead ({latest.isoformat()} at the latest)",
                              code="date_too_far",
                              details={"field": "date", "date": day.isoformat(), "latest": latest.isoformat()})


def day_lock(day: date) -> str:
    """The advisory lock key of a day's plan: plans and moves of one day take places in turn."""
    return f"postal-day:{day.isoformat()}"


def lock_days(session: Session, *days: date | None) -> None:
    """Hold the days' locks until the transaction ends, always in date order (two moves between the
    same two days cannot wait for each other). Nothing but a day's lock stands for its capacity:
    the places a plan or a move counts are rows the other may be adding at that very moment."""
    for day in sorted({d for d in days if d is not None}):
        advisory_lock(session, day_lock(day))


def plan_day(session: Session, *, day: date, settings: Settings, actor: str, now: datetime) -> dict[str, Any]:
    """Assign the day's unscheduled shipments to routes (deadline, then area) within capacity."""
    refuse_past_day(day, now)  # first: a past weekend is past before it is a weekend
    if not is_working_day(day, settings.holidays):
        raise Unprocessable(f"{day.isoformat()} is not a working day", code="not_a_working_day",
                            details={"date": day.isoformat()})
    today = business_date(now)
    refuse_far_day(day, nth_working_day_after(today, PLAN_HORIZON_WORKING_DAYS, settings.holidays))
    lock_days(session, day)
    routes = list_routes(session)
    shipments = {s.id: s for s in _candidates(session, day, today)}
    items = [planner.PlanItem(s.id, s.ward_code, s.due_date, s.window_slot if s.window_date == day else None,
                              s.street) for s in shipments.values()]
    slots = planner.open_slots(day, today, now.astimezone(VN_TZ).time())
    result = planner.plan(items, [_spec(r) for r in routes], places_used(session, day), slots,
                          departed=_rounds_under_way(session, day))
    for assignment in result.assigned:
        shipment = shipments[assignment.id]
        shipment.planned_date, shipment.route_code, shipment.slot = day, assignment.route, assignment.slot
        enter_state(session, shipment, states.SCHEDULED, settings=settings, actor=actor, now=now, occurred_at=now,
                    data={"date": day.isoformat(), "route": assignment.route, "slot": assignment.slot})
    renumber_stops(session, day, {(a.route, a.slot) for a in result.assigned},
                   moved=[shipments[a.id] for a in result.assigned])
    used = places_used(session, day)
    report = {
        "date": day.isoformat(),
        "assigned": [{"shipment_id": a.id, "route": a.route, "slot": a.slot, "stop": shipments[a.id].stop,
                      "due_date": shipments[a.id].due_date.isoformat()} for a in result.assigned],
        "unplanned": [{"shipment_id": sid, "ward_code": shipments[sid].ward_code,
                       "reason": unplanned_reason(shipments[sid], reason, province_code=settings.postal_province_code),
                       "due_date": shipments[sid].due_date.isoformat()} for sid, reason in result.unplanned],
        "routes": [{"route": r.code, "slot": slot, "capacity": _spec(r).capacity[slot], "used": used[(r.code, slot)]}
                   for r in routes for slot in planner.SLOTS],
        # Planned after their deadline (QĐ 45): not refused (late is better than never), but said.
        "past_due": [{"shipment_id": a.id, "due_date": shipments[a.id].due_date.isoformat()}
                     for a in result.assigned if shipments[a.id].due_date < day],
    }
    audit.record(session, actor=actor, action="postal.plan", subject_type="postal_plan", subject_id=day.isoformat(),
                 at=now, data={"assigned": len(result.assigned), "unplanned": len(result.unplanned),
                               "past_due": len(report["past_due"])})
    return report


def renumber_stops(session: Session, day: date, places: set[tuple[str, str]],
                   moved: list[Shipment] = ()) -> None:
    """Give the shipments of each (route, slot) their stop numbers in route order.

    `moved` are shipments just (re)assigned in this session: they are numbered with the ones
    already stored without flushing first, so each row is written once (planning 10k at a time).
    """
    if not places:
        return
    route_codes = {route for route, _ in places}
    groups: dict[tuple[str, str], dict[int, Shipment]] = {}
    with session.no_autoflush:
        wards = dict(session.execute(select(Route.code, Route.ward_codes).where(Route.code.in_(route_codes))).all())
        stored = session.execute(select(Shipment).where(Shipment.planned_date == day,
                                                        Shipment.route_code.in_(route_codes))).scalars().all()
    for shipment in [*stored, *moved]:
        if shipment.planned_date == day and (shipment.route_code, shipment.slot) in places:
            groups.setdefault((shipment.route_code, shipment.slot), {})[shipment.id] = shipment
    for (route_code, _), rows in groups.items():
        numbers = planner.number_stops(((s.id, s.ward_code, s.street) for s in rows.values()), wards[route_code])
        for shipment in rows.values():
            shipment.stop = numbers[shipment.id]


def _rounds_under_way(session: Session, day: date) -> set[tuple[str, str]]:
    """The (route, slot) rounds of `day` whose postman already handed over a stop: he has set off, maybe
    before the round's time (`planner.SLOT_STARTS`)."""
    rows = session.execute(select(Shipment.route_code, Shipment.slot).where(
        _holds_place_on(day), Shipment.status.not_in(TO_DO_ON_DAY)).distinct())
    return {(route, slot) for route, slot in rows}


def round_has_left(session: Session, day: date, route_code: str, slot: str, now: datetime) -> bool:
    """True once the postman has set off on the route's round of `day` and `slot`: its time has come
    (as for the plan and a citizen's window), or he already handed over one of its stops."""
    return (slot not in planner.open_slots(day, business_date(now), local_time(now).time())
            or (route_code, slot) in _rounds_under_way(session, day))


def refuse_departed_round(session: Session, shipment: Shipment, day: date, route_code: str, slot: str,
                          now: datetime) -> None:
    """409 round_departed for a move into a round that has left: the postman would never get the
    shipment, and the plan would say it went out. Keeping it where it is changes nothing."""
    if (shipment.planned_date, shipment.route_code, shipment.slot) == (day, route_code, slot):
        return
    if round_has_left(session, day, route_code, slot, now):
        raise Conflict(f"the {slot} round of route {route_code} on {day.isoformat()} has already left: choose a "
                       "later round", code="round_departed",
                       details={"date": day.isoformat(), "route": route_code, "slot": slot})


def move_shipment(session: Session, *, shipment_id: int, day: date, route_code: str, slot: Any, reason: str,
                  settings: Settings, actor: str, now: datetime) -> tuple[Shipment, bool, bool]:
    """Manual override of the plan (audited); returns (shipment, over_capacity, outside_route).

    Like capacity, a route's wards are the planner's rule, not the postman's: staff may put a shipment
    on a route that does not serve its ward (a neighbouring round, a colleague covering), so it is
    allowed, flagged in the answer and in the audit entry rather than refused.
    """
    slot = parse_slot(slot, "slot")
    # The day it leaves is renumbered too: both days' locks, taken before the shipment's row (a plan
    # takes its day's lock, then its candidates' rows; the same order here cannot deadlock with it).
    leaves = session.execute(select(Shipment.planned_date).where(Shipment.id == shipment_id)).scalar_one_or_none()
    lock_days(session, day, leaves)
    shipment = get_shipment(session, shipment_id, for_update=True)
    if shipment.planned_date not in (day, leaves):  # planned elsewhere meanwhile (rare): that day's lock too
        lock_days(session, shipment.planned_date)
    if shipment.status not in (states.BOOKED, states.SCHEDULED, states.FAILED_ATTEMPT):
        raise Conflict(f"a {shipment.status} shipment cannot be moved", code="cannot_move",
                       details={"status": shipment.status})
    refuse_past_day(day, now)
    if not is_working_day(day, settings.holidays):
        raise Unprocessable(f"{day.isoformat()} is not a working day", code="not_a_working_day")
    # A manual move may go further than the planner (a day the citizen asked for), as far as a window may.
    refuse_far_day(day, latest_window_day(business_date(now), settings.holidays))
    refuse_early_attempt(shipment, day)
    route = get_route(session, route_code)
    refuse_departed_round(session, shipment, day, route.code, slot, now)
    before = {"date": shipment.planned_date.isoformat() if shipment.planned_date else None,
              "route": shipment.route_code, "slot": shipment.slot}
    old_place = (shipment.planned_date, shipment.route_code, shipment.slot)
    shipment.planned_date, shipment.route_code, shipment.slot = day, route.code, slot
    enter_state(session, shipment, states.SCHEDULED, settings=settings, actor=actor, now=now, occurred_at=now,
                reason=reason, data={"from": before, "date": day.isoformat(), "route": route.code, "slot": slot})
    session.flush()
    if old_place[0] is not None:
        renumber_stops(session, old_place[0], {(old_place[1], old_place[2])})
    renumber_stops(session, day, {(route.code, slot)}, moved=[shipment])
    capacity = _spec(route).capacity[slot]
    over = places_used(session, day)[(route.code, slot)] > capacity
    outside = shipment.ward_code not in route.ward_codes
    audit.record(session, actor=actor, action="shipment.move", subject_type="shipment", subject_id=shipment.id,
                 at=now, reason=reason, data={"from": before, "to": {"date": day.isoformat(), "route": route.code,
                                                                      "slot": slot}, "over_capacity": over,
                                              "outside_route": outside})
    return shipment, over, outside


def day_shipments(session: Session, day: date, route_code: str | None = None, *,
                  stops_only: bool = False) -> list[Shipment]:
    """The day's plan in stop order (cancelled ones left out): the board shows what became of each. With
    `stops_only`, the postman's stops (the manifest, the CSV): the shipments holding a place on the day
    (`_holds_place_on`), not one done before it."""
    query = select(Shipment).where(_holds_place_on(day) if stops_only else and_(
        Shipment.planned_date == day, Shipment.status != states.CANCELLED))
    if route_code:
        query = query.where(Shipment.route_code == route_code)
    # "morning" sorts after "afternoon": descending puts the morning round first.
    return list(session.execute(query.order_by(Shipment.route_code, Shipment.slot.desc(), Shipment.stop)).scalars())
