"""A shipment's cancellation and a renewal of its dossier's fees take the dossier's lock before any
request's: the cancellation used to expire (and lock) the lapsed postage request first, the renewal
the dossier first, and on PostgreSQL the two deadlocked. SQLite serialises writers and passes too."""
import threading
from datetime import timedelta

from kernel.clock import now_utc
from kernel.db import unit_of_work
from payments.models import PaymentRequest
from payments.service import lock_dossier, renew_payment_request
from tests.locks import wait_until_blocked
from tests.postal_factories import cancelling, make_dossier, pay_everything, shipment_body


def test_a_cancellation_waits_for_a_renewal_of_the_same_dossier_without_a_deadlock(client, auth, db, engine,
                                                                                  test_settings):
    code = make_dossier(db, test_settings)
    pay_everything(db, test_settings, code)
    shipment = client.post("/api/v1/postal/shipments", json=shipment_body(), headers=auth("intake")).json
    with unit_of_work(db) as s:  # the postage request's time has passed; nobody has read it since
        s.execute(PaymentRequest.__table__.update().where(
            PaymentRequest.payment_code == shipment["postage_payment_code"]).values(
            expires_at=now_utc() - timedelta(minutes=1)))
    outcome: list = []
    cancel = cancelling(db, test_settings, shipment["id"], outcome)

    with unit_of_work(db) as s:
        lock_dossier(s, code)  # the renewal's first step
        thread = threading.Thread(target=cancel)
        thread.start()
        wait_until_blocked(engine, thread)
        renewed = renew_payment_request(s, dossier_code=code, settings=test_settings, actor="t", now=now_utc())
    thread.join()
    assert outcome == ["cancelled"], outcome
    with db() as s:  # the renewal asked for the postage; the cancellation, coming after, cancelled it again
        assert s.get(PaymentRequest, renewed.id).status == "cancelled"
