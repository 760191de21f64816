"""Postal, QA round 10, the pure planner: it plans as many shipments as the places allow (a place given
early is moved, never taken back), within capacity, routes and windows."""
import itertools
import random
from collections import Counter
from datetime import date, timedelta

from postal import planner
from postal.planner import number_stops

DAY = date(2026, 12, 1)


def most_that_fit(items, routes) -> int:
    capacity = {(r.code, s): r.capacity[s] for r in routes for s in planner.SLOTS}
    options = [[None, *((r.code, s) for r in routes if i.ward_code in r.ward_codes
                        for s in ((i.slot,) if i.slot else planner.SLOTS))] for i in items]
    best = 0
    for choice in itertools.product(*options):
        taken = Counter(p for p in choice if p)
        if all(taken[p] <= capacity[p] for p in taken):
            best = max(best, sum(taken.values()))
    return best


def test_the_plan_places_as_many_shipments_as_fit_and_each_where_it_may_go():
    rng = random.Random(10)
    for _ in range(400):
        wards = ("W1", "W2", "W3")
        routes = [planner.RouteSpec(code, tuple(rng.sample(wards, rng.randint(1, 3))),
                                    {s: rng.randint(0, 2) for s in planner.SLOTS}) for code in ("A", "B")]
        items = [planner.PlanItem(i, rng.choice(wards), DAY + timedelta(days=rng.randint(0, 1)),
                                  rng.choice((None, None, planner.MORNING, planner.AFTERNOON)))
                 for i in range(rng.randint(1, 6))]
        result = planner.plan(items, routes)
        by_id = {i.id: i for i in items}
        capacity = {(r.code, s): r.capacity[s] for r in routes for s in planner.SLOTS}
        assert all(n <= capacity[p] for p, n in Counter((a.route, a.slot) for a in result.assigned).items())
        for a in result.assigned:
            item = by_id[a.id]
            assert item.ward_code in next(r for r in routes if r.code == a.route).ward_codes
            assert item.slot in (None, a.slot)
        assert len(result.assigned) + len(result.unplanned) == len(items)
        assert len(result.assigned) == most_that_fit(items, routes), (items, routes, result)


def test_an_earlier_deadline_is_never_left_out_for_a_later_one():
    routes = [planner.RouteSpec("A", ("W1",), {planner.MORNING: 1, planner.AFTERNOON: 0})]
    later = planner.PlanItem(1, "W1", DAY + timedelta(days=1), planner.MORNING)
    sooner = planner.PlanItem(2, "W1", DAY)
    result = planner.plan([later, sooner], routes)
    assert [(a.id, a.slot) for a in result.assigned] == [(2, planner.MORNING)]
    assert result.unplanned == [(1, planner.SLOT_FULL)]


def test_stops_of_a_ward_go_street_by_street_in_house_number_order():
    """Compared as text, "Số 10 phố A" came before "Số 2 phố A", and "Số 2 phố B" between "Số 2 phố A" and
    "Số 3 phố A": the postman went up and down two streets. A street's stops now follow each other, by
    house number."""
    streets = {1: "Số 10 phố Lê Thánh Tông", 2: "Số 2 phố Bến Đoan", 3: "số 2 phố Lê Thánh Tông",
               4: "Số 1 phố Bến Đoan", 5: "12A Lê Thánh Tông", 6: "Số 12/3 phố Lê Thánh Tông", 7: "Thôn 1"}
    numbers = number_stops([(i, "W1", s) for i, s in streets.items()], ("W1",))
    assert sorted(numbers, key=numbers.get) == [4, 2, 3, 1, 6, 5, 7]
