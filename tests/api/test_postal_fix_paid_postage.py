"""The postage of a cancelled shipment is not owed, paid or not: paid, it is money to give back, and
once given back it keeps no later delivery of the dossier waiting for a fee nobody will ever ask."""
from kernel.clock import now_utc
from kernel.db import unit_of_work
from postal.service import dispatch_paid_deliveries
from tests.api.test_postal_fix_withdrawn_postage_refund import refund
from tests.api.test_postal_round2 import cancel, post_shipment, request_for
from tests.postal_factories import make_dossier, pay_everything, shipment_body


def test_the_paid_postage_of_a_cancelled_delivery_is_not_owed_and_once_refunded_blocks_no_later_delivery(
        client, auth, db, test_settings):
    code = make_dossier(db, test_settings)
    first = post_shipment(client, auth, shipment_body(direction="delivery")).json
    pay_everything(db, test_settings, code)  # the fee (8000) and the postage (22000)
    cancel(client, auth, first["id"])
    dossier = client.get(f"/api/v1/dossiers/{code}", headers=auth("intake")).json
    [postage] = [f for f in dossier["fees"] if f["kind"] == "postage"]
    assert postage["withdrawn_at"] is not None and dossier["total_vnd"] == 8000  # not owed: paid, to give back
    refund(client, auth, first["postage_payment_code"], 22000)
    assert request_for(db, first["postage_payment_code"])[0] == "refunded"
    second = post_shipment(client, auth, shipment_body(direction="delivery", weight_grams=600)).json
    assert request_for(db, second["postage_payment_code"]) == ("pending", 26000, [26000])  # its own postage alone
    pay_everything(db, test_settings, code)
    with unit_of_work(db) as s:
        assert dispatch_paid_deliveries(s, settings=test_settings, now=now_utc()) == 1
