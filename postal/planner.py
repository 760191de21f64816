"""The daily plan: unscheduled shipments onto routes, by deadline then area, within capacity. Pure.

A route serves a set of wards and carries at most `capacity[slot]` shipments per slot
(morning, afternoon) per day. Shipments that already hold a place that day count against
the capacity. A shipment asking for a slot gets that slot or nothing; one without a
preference takes the morning, else the afternoon. A shipment finding every place it may take
full takes one a shipment planned before it holds, when that one can move to another place it
may take (its other slot or route, maybe after moving a third): no shipment once placed is
dropped, so the deadline order decides only who is left out when places truly run short. What
does not fit is reported with the reason, never dropped silently. Stops are numbered per route
and slot in route order of wards, then street by street in house-number order.
"""
from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, time

from postal.addresses import fold

MORNING, AFTERNOON = "morning", "afternoon"
SLOTS = (MORNING, AFTERNOON)
# When the postman leaves for each round (Asia/Ho_Chi_Minh): a round that has left takes no more.
SLOT_STARTS = {MORNING: time(7, 30), AFTERNOON: time(13, 30)}

NO_ROUTE, SLOT_FULL, ROUTES_FULL, SLOT_PASSED = "no_route_for_ward", "slot_full", "over_capacity", "slot_passed"
# A ward outside the centre's province: no route may serve it (routes hold the province's wards), so the plan
# says so rather than NO_ROUTE, which invites adding the ward to a route. Decided by `scheduling`, which knows
# the centre's province; the planner knows wards only.
OUT_OF_PROVINCE = "out_of_province"


def open_slots(day: date, today: date, local_time: time) -> tuple[str, ...]:
    """The slots of `day` still to come: all of them on a later day, the rounds not yet left today."""
    if day != today:
        return SLOTS
    return tuple(slot for slot in SLOTS if local_time < SLOT_STARTS[slot])


@dataclass(frozen=True)
class RouteSpec:
    code: str
    ward_codes: tuple[str, ...]
    capacity: Mapping[str, int]  # slot -> shipments per day


@dataclass(frozen=True)
class PlanItem:
    id: int
    ward_code: str
    due_date: date
    slot: str | None = None  # the citizen's window, if any
    street: str = ""


@dataclass(frozen=True)
class Assignment:
    id: int
    route: str
    slot: str


@dataclass
class PlanResult:
    assigned: list[Assignment] = field(default_factory=list)
    unplanned: list[tuple[int, str]] = field(default_factory=list)  # (shipment id, reason)


def plan(items: Iterable[PlanItem], routes: Sequence[RouteSpec],
         used: Mapping[tuple[str, str], int] | None = None, slots: Sequence[str] = SLOTS,
         departed: Collection[tuple[str, str]] = ()) -> PlanResult:
    """Assign `items` to routes in `slots` (those still open) but for the `departed` (route, slot) rounds
    (the postman set off early); `used` counts places already taken."""
    open_places = {(r.code, s) for r in routes for s in slots if (r.code, s) not in departed}
    free = {(r.code, s): (r.capacity.get(s, 0) - (used or {}).get((r.code, s), 0)) if (r.code, s) in open_places
            else 0 for r in routes for s in SLOTS}
    by_ward: dict[str, list[str]] = {}
    area: dict[str, tuple[int, int]] = {}
    for r_index, route in enumerate(routes):
        for w_index, ward in enumerate(route.ward_codes):
            by_ward.setdefault(ward, []).append(route.code)
            area.setdefault(ward, (r_index, w_index))
    unplanned: list[tuple[int, str]] = []
    places = _Places(free)
    ordered = sorted(items, key=lambda i: (i.due_date, area.get(i.ward_code, (len(routes), 0)), i.id))
    for item in ordered:
        candidates = by_ward.get(item.ward_code)
        if not candidates:
            unplanned.append((item.id, NO_ROUTE))
            continue
        wanted = tuple((route, s) for s in ((item.slot,) if item.slot else SLOTS) for route in candidates)
        place = _place(item, candidates, free)
        if place is not None:
            free[place] -= 1
            places.put(item.id, place, wanted)
        elif not places.make_room(item.id, wanted):  # no round it could go on is still to leave, or all are full
            passed = not open_places & set(wanted)
            unplanned.append((item.id, SLOT_PASSED if passed else SLOT_FULL if item.slot else ROUTES_FULL))
    return PlanResult([Assignment(item_id, *place) for item_id, place in places.held.items()], unplanned)


Place = tuple[str, str]  # (route, slot)


class _Places:
    """The places this plan gave, and the moves that free one for a newcomer (augmenting paths: a shipment
    moves to another place it may take, maybe after moving another from there, until a free place is
    reached). A search that fails marks its places stuck for good: free places only get fewer, so no free
    place can be reached from them again (planning 10k shipments over full routes stays linear)."""

    def __init__(self, free: dict[Place, int]):
        self.free = free
        self.held: dict[int, Place] = {}  # in the order the shipments were placed (the report's)
        # place -> the places its shipments may take (one tuple for all alike) -> those shipments
        self.movable: dict[Place, dict[tuple[Place, ...], list[int]]] = {}
        self.stuck: set[Place] = set()

    def put(self, item_id: int, place: Place, wanted: tuple[Place, ...]) -> None:
        self.held[item_id] = place
        self.movable.setdefault(place, {}).setdefault(wanted, []).append(item_id)

    def make_room(self, item_id: int, wanted: tuple[Place, ...]) -> bool:
        """Place `item_id` in one of the full places `wanted` by moving shipments along; False if none can."""
        # a place reached -> (the place a shipment moves from to reach it, the places that shipment may take)
        came_from: dict[Place, tuple[Place, tuple[Place, ...]] | None] = {}
        queue = [p for p in dict.fromkeys(wanted) if p not in self.stuck]
        came_from.update((p, None) for p in queue)
        for place in queue:  # grows while it is searched: breadth first, the fewest moves
            for others in self.movable.get(place, {}):
                for other in others:
                    if other in came_from or other in self.stuck:
                        continue
                    came_from[other] = (place, others)
                    if self.free[other] > 0:
                        self.put(item_id, self._shift(other, came_from), wanted)
                        return True
                    queue.append(other)
        self.stuck.update(came_from)
        return False

    def _shift(self, free_place: Place, came_from: dict) -> Place:
        """Move one shipment along each step back from `free_place`; returns the place left for the newcomer."""
        self.free[free_place] -= 1
        place = free_place
        while came_from[place] is not None:
            source, others = came_from[place]
            holders = self.movable[source][others]
            moved = holders.pop()
            if not holders:
                del self.movable[source][others]
            self.put(moved, place, others)
            place = source
        return place


def _place(item: PlanItem, routes: list[str], free: dict[tuple[str, str], int]) -> tuple[str, str] | None:
    slots = (item.slot,) if item.slot else SLOTS
    best = None
    for slot in slots:
        for route in routes:  # a ward served by several routes goes to the one with most room
            if free[(route, slot)] > 0 and (best is None or free[(route, slot)] > free[best]):
                best = (route, slot)
        if best is not None:
            return best
    return None


def number_stops(stops: Iterable[tuple[int, str, str]], ward_order: Sequence[str]) -> dict[int, int]:
    """Stop numbers (1..n) for (id, ward_code, street) on one route and slot, in route order: ward by
    ward, and in a ward street by street in house-number order (`street_order`)."""
    rank = {ward: i for i, ward in enumerate(ward_order)}
    ordered = sorted(stops, key=lambda s: (rank.get(s[1], len(rank)), street_order(s[2]), s[0]))
    return {stop_id: n for n, (stop_id, _, _) in enumerate(ordered, start=1)}


# "Số 12", "số nhà 12A", "12/3", "Số 5," before the street's name; "phố", "đường" before the name itself.
_HOUSE = re.compile(r"(?:so\s+(?:nha\s+)?)?(\d+)([a-z]?)((?:/\d+)*)\b[\s,.]*(.+)")
_THOROUGHFARE = re.compile(r"(?:pho|duong|d\.)\s+")


def street_order(street: str) -> tuple[str, tuple[int, str, tuple[int, ...]], str]:
    """What stops sort by: the street's name, then the house number (12 before 12/3 before 12A), then the
    text. As text alone, "Số 10 phố A" came before "Số 2 phố A", and "Số 2 phố B" before "Số 3 phố A"."""
    folded = fold(street)
    house = _HOUSE.fullmatch(folded)
    if house is None:
        return folded, (0, "", ()), folded
    number, letter, parts, name = house.groups()
    name = _THOROUGHFARE.sub("", name, count=1) if _THOROUGHFARE.match(name) else name
    return name, (int(number), letter, tuple(int(p) for p in parts.split("/")[1:])), folded
