"""VNPay's IPN POSTed (a gateway or proxy set up so): it was a 405 and nothing was kept. It is stored raw and read
as the GET is, the signature deciding."""
import pytest
from sqlalchemy import select

from kernel.inbox import InboundCallback
from sandbox.bank import ipn_params
from tests.api.test_pos_vnpay_cash import checkout, status
from tests.factories import make_request

pytestmark = pytest.mark.usefixtures("ledger_checked")


def test_an_ipn_posted_form_encoded_is_stored_and_confirmed_once(client, auth, test_settings, db):
    code = make_request(client, auth)
    params = ipn_params(test_settings, checkout(client, code)["redirect_url"])
    r = client.post("/api/v1/callbacks/vnpay/ipn", data=params)
    assert r.status_code == 200 and r.json == {"RspCode": "00", "Message": "Confirm Success"}
    assert status(client, code)["paid_vnd"] == 100_000
    again = client.get("/api/v1/callbacks/vnpay/ipn", query_string=params)
    assert again.json["RspCode"] == "02" and status(client, code)["paid_vnd"] == 100_000
    with db() as s:
        stored = s.execute(select(InboundCallback).where(InboundCallback.provider == "vnpay")
                           .order_by(InboundCallback.id)).scalars().all()
    assert [c.method for c in stored] == ["POST", "GET"]
    assert b"vnp_SecureHash=" in stored[0].body


def test_a_posted_ipn_with_its_parameters_in_the_query_is_read_too(client, auth, test_settings):
    code = make_request(client, auth)
    params = ipn_params(test_settings, checkout(client, code)["redirect_url"])
    r = client.post("/api/v1/callbacks/vnpay/ipn", query_string=params)
    assert r.json["RspCode"] == "00" and status(client, code)["status"] == "paid"


def test_a_posted_ipn_tampered_with_is_refused_and_kept(client, auth, test_settings, db):
    code = make_request(client, auth)
    params = ipn_params(test_settings, checkout(client, code)["redirect_url"])
    r = client.post("/api/v1/callbacks/vnpay/ipn", data=dict(params, vnp_Amount="1"))
    assert r.status_code == 200 and r.json["RspCode"] == "97"
    assert status(client, code)["paid_vnd"] == 0
    with db() as s:
        [kept] = s.execute(select(InboundCallback).where(InboundCallback.provider == "vnpay")).scalars().all()
    assert kept.method == "POST" and kept.status == "rejected" and b"vnp_Amount=1" in kept.body
