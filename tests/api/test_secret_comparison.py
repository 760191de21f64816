"""A signature, API key, verification code or CSRF token sent as non-ASCII text is simply wrong: refused like any
other wrong secret, never a 500 (`hmac.compare_digest` raises TypeError on non-ASCII str; every comparison of a
secret goes through `kernel.signing.same_secret`)."""
import json

import pytest
from sqlalchemy import select

from kernel.inbox import InboundCallback
from kernel.signing import HEADER, same_secret
from payments.channels import payos
from sandbox.bank import callback_request
from tests.api.test_pages import log_in, login_csrf, page_csrf
from tests.conftest import T0

ODD = ["é", "Ṁ", "１２３"]  # what a query, form or header can carry
IN_JSON = ODD + ["\ud800"]  # JSON can also escape a lone surrogate


def test_same_secret_compares_any_text_and_only_equal_text_is_the_same():
    assert same_secret("abc", "abc") and same_secret("é", "é")
    assert not same_secret("abc", "abd") and not same_secret("abc", "é") and not same_secret("abc", "\ud800")


@pytest.mark.parametrize("odd", ODD)
def test_a_vnpay_ipn_with_a_non_ascii_hash_answers_invalid_checksum_and_is_kept(client, db, odd):
    r = client.get("/api/v1/callbacks/vnpay/ipn", query_string={"vnp_TxnRef": "HS12345678978", "vnp_Amount": "10000000",
                                                                "vnp_SecureHash": odd})
    assert r.status_code == 200 and r.json["RspCode"] == "97"
    with db() as s:
        assert s.execute(select(InboundCallback.status)).scalars().all() == ["rejected"]


@pytest.mark.parametrize("odd", ODD)
def test_the_vnpay_return_page_with_a_non_ascii_hash_is_a_refusal_page(client, odd):
    r = client.get("/pay/vnpay-return", query_string={"vnp_TxnRef": "HS12345678978", "vnp_SecureHash": odd})
    assert r.status_code == 400 and "<html" in r.get_data(as_text=True)


@pytest.mark.parametrize("odd", ODD)
def test_a_sepay_key_in_non_ascii_text_is_a_wrong_key(client, test_settings, odd):
    path, headers, body = callback_request("sepay", settings=test_settings, payment_code="HS12345678978",
                                           amount_vnd=100_000, txn_id="77", at=T0)
    headers["Authorization"] = "Apikey " + odd.encode("utf-8").decode("latin-1")
    r = client.post(path, headers=headers, data=body)
    assert r.status_code == 401 and r.json["code"] == "invalid_api_key"


@pytest.mark.parametrize("odd", IN_JSON)
def test_a_payos_signature_in_non_ascii_text_is_a_wrong_signature(client, test_settings, odd):
    path, headers, body = callback_request("payos", settings=test_settings, payment_code="HS12345678978",
                                           amount_vnd=100_000, txn_id="78", at=T0)
    payload = json.loads(body)
    payload["signature"] = odd
    r = client.post(path, headers=headers, data=json.dumps(payload))
    if odd == "\ud800":  # a lone surrogate anywhere makes the body itself malformed, before any signature
        assert r.status_code == 400 and r.json["code"] == "malformed_json"
    else:
        assert r.status_code == 401 and r.json["code"] == "invalid_signature"
    assert payos.sign(payload["data"], test_settings.secret("HCCPAY_PAYOS_CHECKSUM_KEY")) != odd


@pytest.mark.parametrize("odd", ODD)
def test_a_signed_push_with_a_non_ascii_v1_is_refused(client, test_settings, odd):
    path, headers, body = callback_request("bank", settings=test_settings, payment_code="HS12345678978",
                                           amount_vnd=100_000, txn_id="79", at=T0)
    t = headers[HEADER].split(",")[0]
    headers[HEADER] = f"{t},v1={odd}".encode("utf-8").decode("latin-1")
    r = client.post(path, headers=headers, data=body)
    assert r.status_code == 401


@pytest.mark.parametrize("odd", ODD)
def test_a_receipt_verification_code_in_non_ascii_text_finds_no_receipt(client, odd):
    r = client.get("/api/v1/receipts/AB-26/0000001", query_string={"code": odd})
    assert r.status_code == 404 and r.json["code"] == "receipt_not_found"
    page = client.get("/api/v1/receipts/AB-26/0000001", query_string={"code": odd}, headers={"Accept": "text/html"})
    assert page.status_code == 404


@pytest.mark.parametrize("odd", ODD)
def test_a_login_form_with_a_non_ascii_csrf_token_is_an_expired_form(client, odd):
    login_csrf(client)
    r = client.post("/staff/login", data={"username": "a", "password": "b", "csrf_token": odd})
    assert r.status_code == 403


@pytest.mark.parametrize("odd", ODD)
def test_a_staff_form_with_a_non_ascii_csrf_token_is_refused(client, db, odd):
    from kernel.users import create_user
    from tests.api.test_pages import PASSWORD

    with db() as s, s.begin():
        create_user(s, username="quantri", full_name="Lê Thị Lan", roles=["admin"], password=PASSWORD, now=T0)
    assert log_in(client, "quantri").status_code in (302, 303)
    page_csrf(client)
    r = client.post("/staff/logout", data={"csrf_token": odd})
    assert r.status_code == 403
