"""The planner: deadline first, then area; never over capacity; what does not fit is reported."""
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from postal.planner import (AFTERNOON, MORNING, NO_ROUTE, ROUTES_FULL, SLOT_FULL, PlanItem, RouteSpec, number_stops,
                            plan)

D = date(2026, 11, 26)
ROUTE = RouteSpec("R1", ("06685", "06688"), {MORNING: 2, AFTERNOON: 1})


def test_earlier_deadlines_get_the_places_first():
    items = [PlanItem(i, "06685", D + timedelta(days=5 - i)) for i in range(5)]
    result = plan(items, [ROUTE])
    assert [a.id for a in result.assigned] == [4, 3, 2]
    assert [u for u in result.unplanned] == [(1, ROUTES_FULL), (0, ROUTES_FULL)]


def test_a_requested_slot_is_honoured_or_reported_as_full():
    items = [PlanItem(1, "06685", D, AFTERNOON), PlanItem(2, "06685", D, AFTERNOON)]
    result = plan(items, [ROUTE])
    assert [(a.id, a.slot) for a in result.assigned] == [(1, AFTERNOON)]
    assert result.unplanned == [(2, SLOT_FULL)]


def test_a_ward_no_route_serves_is_reported():
    assert plan([PlanItem(1, "07192", D)], [ROUTE]).unplanned == [(1, NO_ROUTE)]


def test_places_already_taken_count_against_capacity():
    result = plan([PlanItem(1, "06685", D)], [ROUTE], used={("R1", MORNING): 2, ("R1", AFTERNOON): 1})
    assert result.assigned == [] and result.unplanned == [(1, ROUTES_FULL)]


def test_a_ward_on_two_routes_goes_to_the_one_with_more_room():
    other = RouteSpec("R2", ("06685",), {MORNING: 5, AFTERNOON: 0})
    assert plan([PlanItem(1, "06685", D)], [ROUTE, other]).assigned[0].route == "R2"


def test_stops_follow_the_route_order_of_wards_then_street():
    numbers = number_stops([(1, "06688", "A"), (2, "06685", "B"), (3, "06685", "a")], ("06685", "06688"))
    assert numbers == {3: 1, 2: 2, 1: 3}


wards = st.sampled_from(["06685", "06688", "06652", "06658", "07192"])
items_strategy = st.lists(st.tuples(wards, st.integers(0, 6), st.sampled_from([None, MORNING, AFTERNOON])),
                          max_size=60)
routes_strategy = st.lists(st.tuples(st.lists(wards, min_size=1, max_size=3, unique=True),
                                     st.integers(0, 5), st.integers(0, 5)), min_size=1, max_size=4)


@settings(max_examples=200, deadline=None)
@given(items_strategy, routes_strategy)
def test_the_planner_never_exceeds_capacity_and_accounts_for_every_shipment(raw_items, raw_routes):
    routes = [RouteSpec(f"R{i}", tuple(w), {MORNING: m, AFTERNOON: a}) for i, (w, m, a) in enumerate(raw_routes)]
    items = [PlanItem(i, ward, D + timedelta(days=d), slot) for i, (ward, d, slot) in enumerate(raw_items)]
    result = plan(items, routes)
    assert sorted([a.id for a in result.assigned] + [u[0] for u in result.unplanned]) == list(range(len(items)))
    for route in routes:
        for slot in (MORNING, AFTERNOON):
            taken = sum(1 for a in result.assigned if (a.route, a.slot) == (route.code, slot))
            assert taken <= route.capacity[slot]
    by_id = {i.id: i for i in items}
    for a in result.assigned:
        assert by_id[a.id].ward_code in next(r for r in routes if r.code == a.route).ward_codes
        assert by_id[a.id].slot in (None, a.slot)


def test_a_round_that_has_left_takes_no_more_shipments():
    from datetime import time

    from postal.planner import SLOT_PASSED, open_slots
    assert open_slots(D, D, time(7, 0)) == (MORNING, AFTERNOON)
    assert open_slots(D, D, time(9, 0)) == (AFTERNOON,)
    assert open_slots(D, D, time(15, 0)) == ()
    assert open_slots(D + timedelta(days=1), D, time(15, 0)) == (MORNING, AFTERNOON)
    items = [PlanItem(1, "06685", D), PlanItem(2, "06685", D, MORNING), PlanItem(3, "06685", D)]
    result = plan(items, [ROUTE], slots=(AFTERNOON,))
    assert [(a.id, a.slot) for a in result.assigned] == [(1, AFTERNOON)]
    assert result.unplanned == [(2, SLOT_PASSED), (3, ROUTES_FULL)]
    assert plan([PlanItem(4, "06685", D)], [ROUTE], slots=()).unplanned == [(4, SLOT_PASSED)]
