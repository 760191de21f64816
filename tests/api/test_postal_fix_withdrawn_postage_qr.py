"""A request whose postage was withdrawn after it got money asks for less than when it was made. When that
money is taken back (a POS void, a match undone), the request asks again for what it still owes, the fee
alone: its QR must ask for that, never for the amount it was created with (its stored payload, fee and
postage), which a bank app would transfer as it says."""
import pytest

from payments import vietqr
from tests.api.test_postal_round2 import cancel, fee_and_postage_lapsed
from tests.api.test_void_after_refund import pos


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def test_a_renewed_fee_and_postage_card_payment_voided_after_the_cancel_asks_the_fee_alone_in_its_qr(
        client, auth, db, test_settings):
    code, shipment = fee_and_postage_lapsed(client, auth, db, test_settings)
    renewed = client.post(f"/api/v1/dossiers/{code}/payment-requests", headers=auth("intake")).json["payment_code"]
    pos(client, test_settings, renewed, 30000, transaction_id="S1", type="sale")
    cancel(client, auth, shipment["id"])  # the postage (22.000) is withdrawn: the request asks the fee alone
    pos(client, test_settings, renewed, 30000, transaction_id="V1", type="void", original_transaction_id="S1")
    request = client.get(f"/api/v1/payment-requests/{renewed}").json
    assert (request["status"], request["amount_vnd"], request["outstanding_vnd"]) == ("pending", 8000, 8000)
    assert vietqr.parse_payload(request["vietqr"]).amount_vnd == 8000
    svg = client.get(f"/api/v1/payment-requests/{renewed}/qr.svg")
    assert svg.status_code == 200
