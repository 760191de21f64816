"""A request that gave money back: what it still owes, and whether it still takes payment.

One rule everywhere: outstanding = amount - (paid - refunded). A request with part of its money
refunded stays payable for that outstanding; one refunded in full is closed."""
import pytest

from payments import states
from payments.models import PaymentRequest
from payments.moves import RequestState
from payments.states import outstanding_vnd, status_for_amounts


@pytest.mark.parametrize("amount,paid,refunded,outstanding", [
    (150_000, 50_000, 20_000, 120_000),  # partly paid, part of it refunded
    (100_000, 100_000, 40_000, 40_000),  # paid, part refunded
    (100_000, 105_000, 5_000, 0),  # only the overpayment refunded
    (100_000, 130_000, 0, 0),  # overpaid: nothing owed, never negative
    (100_000, 0, 0, 100_000),
])
def test_outstanding_is_the_amount_less_what_was_received_and_kept(amount, paid, refunded, outstanding):
    assert outstanding_vnd(amount, paid, refunded) == outstanding


def test_a_partial_refund_of_a_partly_paid_request_leaves_it_payable():
    status = status_for_amounts(150_000, 50_000, 20_000)
    assert status == states.PARTIALLY_REFUNDED and status in states.OPEN and status in states.CREDITABLE


def test_paying_the_net_outstanding_after_a_partial_refund_settles_the_request():
    assert status_for_amounts(150_000, 50_000 + 120_000, 20_000) == states.PAID
    states.check_transition(states.PARTIALLY_REFUNDED, states.PAID)
    assert status_for_amounts(150_000, 50_000 + 100_000, 20_000) == states.PARTIALLY_REFUNDED  # 20,000 still owed


def test_a_request_refunded_in_full_is_closed_to_payments():
    status = status_for_amounts(150_000, 50_000, 50_000)
    assert status == states.REFUNDED and status not in states.OPEN and status not in states.CREDITABLE


def test_settled_requests_take_money_as_overpayment_but_are_not_open():
    for status in (states.PAID, states.OVERPAID):
        assert status in states.CREDITABLE and status not in states.OPEN


def test_the_model_the_book_and_the_rule_agree_on_outstanding():
    for amount, paid, refunded in ((150_000, 50_000, 20_000), (100_000, 100_000, 40_000), (100_000, 120_000, 0)):
        model = PaymentRequest(amount_vnd=amount, paid_vnd=paid, refunded_vnd=refunded)
        book = RequestState(1, "HS", amount, paid, refunded, status_for_amounts(amount, paid, refunded), None, "A",
                            "D", "0912345678", False, 1)
        assert model.outstanding_vnd == book.outstanding_vnd == outstanding_vnd(amount, paid, refunded)
