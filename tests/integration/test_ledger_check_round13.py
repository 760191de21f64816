"""`hccpay ledger check` proves every đồng of every payment is somewhere: in its requests (live allocations), in
suspense, in a refund out of suspense, or written off by finance. The journal can balance while a payment's allocations say otherwise
(an allocation written twice, one released without its money going back to suspense): the check finds it."""
import pytest
from sqlalchemy import select, update

from payments.ledger import check
from payments.models import Payment, PaymentAllocation
from tests.factories import make_request, send_callback


@pytest.fixture
def paid(client, auth, test_settings, db):
    """A request of 120,000 paid by one bank transfer: all of it allocated to the request."""
    code = make_request(client, auth, ("Lệ phí", "charge", 120_000))
    assert send_callback(client, test_settings, "bank", code=code, amount=120_000).status_code == 200
    with db() as s:
        payment = s.execute(select(Payment)).scalar_one()
        assert (payment.amount_vnd, payment.unallocated_vnd) == (120_000, 0)
        return payment.id


def test_a_payment_whose_every_dong_is_accounted_for_passes(paid, db, cli):
    with db() as s:
        report = check(s)
    assert report.ok and report.unaccounted_payments == []
    assert cli("ledger", "check").exit_code == 0


@pytest.mark.parametrize("tamper", ["allocation_grows", "allocation_released"])
def test_a_payment_whose_allocations_do_not_add_up_is_named_and_the_command_fails(paid, db, cli, tamper):
    with db() as s, s.begin():
        if tamper == "allocation_grows":
            s.execute(update(PaymentAllocation).values(amount_vnd=PaymentAllocation.amount_vnd + 1))
        else:
            s.execute(update(PaymentAllocation).values(released_at=PaymentAllocation.created_at)
                      .where(PaymentAllocation.payment_id == paid))
    with db() as s:
        report = check(s)
    assert not report.ok and report.unaccounted_payments == [paid]
    assert (report.unbalanced_entries, report.wrong_balances, report.suspense_differs) == ([], [], [])
    broken = cli("ledger", "check")
    assert broken.exit_code == 1
    said = "payments whose amount is not what their requests, suspense, refunds and write-offs hold"
    assert f"{said}: [{paid}]" in broken.output
