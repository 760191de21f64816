import pytest

from payments import states
from payments.states import IllegalTransition, check_transition, status_for_amounts


@pytest.mark.parametrize("paid,expected", [
    (0, states.PENDING), (1, states.PARTIALLY_PAID), (99_999, states.PARTIALLY_PAID),
    (100_000, states.PAID), (100_001, states.OVERPAID),
])
def test_status_follows_the_money_received(paid, expected):
    assert status_for_amounts(100_000, paid, 0) == expected


def test_refunds_make_a_request_partially_refunded_then_refunded():
    assert status_for_amounts(100_000, 100_000, 40_000) == states.PARTIALLY_REFUNDED
    assert status_for_amounts(100_000, 100_000, 100_000) == states.REFUNDED


def test_refunding_only_the_overpayment_leaves_the_request_paid():
    assert status_for_amounts(100_000, 105_000, 5_000) == states.PAID


def test_money_moves_a_request_either_way_once_it_has_been_paid():
    check_transition(states.PAID, states.PENDING)  # a POS void
    check_transition(states.REFUNDED, states.PAID)  # a card refund that failed


@pytest.mark.parametrize("terminal", [states.EXPIRED, states.CANCELLED])
def test_terminal_states_go_nowhere(terminal):
    for target in states.STATUSES:
        if target != terminal:
            with pytest.raises(IllegalTransition):
                check_transition(terminal, target)


def test_only_a_pending_request_can_expire_or_be_cancelled():
    check_transition(states.PENDING, states.EXPIRED)
    check_transition(states.PENDING, states.CANCELLED)
    for status in (states.PARTIALLY_PAID, states.PAID, states.OVERPAID):
        with pytest.raises(IllegalTransition):
            check_transition(status, states.EXPIRED)
    for status in (states.PARTIALLY_PAID, states.PAID, states.PARTIALLY_REFUNDED, states.REFUNDED):
        with pytest.raises(IllegalTransition):
            check_transition(status, states.CANCELLED)


def test_a_request_asking_for_nothing_is_cancelled_once_it_holds_nothing_not_pending():
    """Its items withdrawn after it got money (0 asked): what it holds is an over-payment; once that is
    taken back (a void) nothing is owed and nothing held, so it waits for no money."""
    assert status_for_amounts(0, 22_000, 0) == states.OVERPAID
    assert status_for_amounts(0, 0, 0) == states.CANCELLED
    check_transition(states.OVERPAID, states.CANCELLED)
    assert status_for_amounts(0, 22_000, 22_000) == states.REFUNDED  # given back by a refund: refunded
    assert status_for_amounts(22_000, 0, 0) == states.PENDING


def test_an_illegal_transition_is_a_409_with_a_stable_code():
    with pytest.raises(IllegalTransition) as err:
        check_transition(states.EXPIRED, states.PAID)
    assert err.value.status == 409 and err.value.code == "illegal_transition"


def test_every_status_has_a_transition_entry():
    assert set(states.TRANSITIONS) == set(states.STATUSES)
