"""QA round 13: a cash Idempotency-Key retried after finance moved its payment."""
import pytest
from sqlalchemy import select

from payments.models import Payment
from tests.factories import make_request

pytestmark = pytest.mark.usefixtures("ledger_checked")


def paid(client, code):
    return client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"]


def take_cash(client, headers, code, amount, key):
    return client.post("/api/v1/payments/cash", json={"payment_code": code, "amount_vnd": amount},
                       headers={**headers, "Idempotency-Key": key})


def test_a_cash_retry_after_finance_moved_its_payment_replays_the_first_answer(client, auth, db):
    first_code, other_code = make_request(client, auth), make_request(client, auth)
    first = take_cash(client, auth("cashier"), first_code, 100_000, "k-move")
    assert first.status_code == 201
    with db() as s:
        [payment] = s.execute(select(Payment)).scalars().all()
        allocation_id = payment.allocations[0].id
    r = client.post(f"/api/v1/finance/allocations/{allocation_id}/release", json={"reason": "nhầm hồ sơ"},
                    headers=auth("finance"))
    assert r.status_code == 200, r.json
    r = client.post(f"/api/v1/finance/suspense/{first.json['id']}/assign",
                    json={"payment_code": other_code, "reason": "chuyển đúng hồ sơ"}, headers=auth("finance"))
    assert r.status_code == 200, r.json
    again = take_cash(client, auth("cashier"), first_code, 100_000, "k-move")
    assert again.status_code == 200, again.json
    assert again.json["id"] == first.json["id"]
    assert paid(client, first_code) == 0 and paid(client, other_code) == 100_000
