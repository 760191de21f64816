"""A shipment's cancellation that meets a payment of its postage being applied decides on the request as
the payment left it: it waits for the request's lock and reads it again, so a request paid meanwhile keeps
its money as an over-payment for finance to refund (the paid path) and is never cancelled over it (a
cancelled request holding 22.000 that no queue showed). SQLite serialises writers and passes too."""
import threading

from sqlalchemy import select

from kernel.clock import now_utc
from kernel.db import unit_of_work
from payments.credits import IncomingCredit, record_credits
from payments.ledger import Accounts
from payments.models import PaymentRequest
from tests.factories import assert_ledger_ok
from tests.locks import wait_until_blocked
from tests.postal_factories import cancelling, make_dossier, shipment_body


def test_a_cancellation_waiting_for_a_payment_of_the_postage_keeps_that_money_as_an_over_payment(
        client, auth, db, engine, test_settings):
    make_dossier(db, test_settings)
    shipment = client.post("/api/v1/postal/shipments", json=shipment_body(direction="delivery"),
                           headers=auth("intake")).json
    postage = shipment["postage_payment_code"]
    outcome: list = []
    cancel = cancelling(db, test_settings, shipment["id"], outcome)

    with unit_of_work(db) as s:  # the postage paid, not yet committed, when the cancellation reads the request
        record_credits(s, [IncomingCredit(
            provider="bank", provider_ref="FT26331000777", channel="vietqr_transfer", amount_vnd=22000,
            booked_at=now_utc(), clearing_account=Accounts.bank("970436", "0071001234567"), payment_code=postage)],
            settings=test_settings, actor="test", now=now_utc())
        thread = threading.Thread(target=cancel)
        thread.start()
        wait_until_blocked(engine, thread)
    thread.join()
    assert outcome == ["cancelled"], outcome
    with db() as s:
        request = s.execute(select(PaymentRequest).where(PaymentRequest.payment_code == postage)).scalar_one()
        assert (request.status, request.amount_vnd, request.paid_vnd) == ("overpaid", 0, 22000)
    assert_ledger_ok(db)
