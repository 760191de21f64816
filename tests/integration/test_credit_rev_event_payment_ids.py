"""A statement's credits are named by (provider, reference) until their payments have ids; the
request events they leave must each hold their own payment's id once written (`Book.flush`
resolves them in place), also when one transfer pays several requests."""
from sqlalchemy import select

from payments.models import PaymentAllocation, PaymentRequest, PaymentRequestEvent
from tests.factories import make_request
from tests.recon_factories import upload, vcb_csv


def test_each_payment_received_event_names_the_payment_its_allocation_came_from(client, auth, db):
    a, b, c = (make_request(client, auth) for _ in range(3))
    r = upload(client, auth, vcb_csv(("REF-1", "", "200,000", f"nop {a} {b}"), ("REF-2", "", "100,000", f"nop {c}")))
    assert r.status_code in (200, 201), r.json
    with db() as s:
        allocations = sorted(s.execute(select(PaymentRequest.payment_code, PaymentAllocation.payment_id,
                                              PaymentAllocation.amount_vnd)
                                       .join(PaymentRequest, PaymentRequest.id == PaymentAllocation.payment_request_id)))
        events = sorted((code, data["payment_id"], data["amount_vnd"]) for code, data in s.execute(
            select(PaymentRequest.payment_code, PaymentRequestEvent.data)
            .join(PaymentRequest, PaymentRequest.id == PaymentRequestEvent.payment_request_id)
            .where(PaymentRequestEvent.event == "payment_received")))
    assert [code for code, _, _ in allocations] == sorted([a, b, c])
    assert all(isinstance(payment_id, int) for _, payment_id, _ in events)
    assert events == [tuple(row) for row in allocations]
    paid_by = {code: payment_id for code, payment_id, _ in allocations}
    assert paid_by[a] == paid_by[b] != paid_by[c]
