"""Signatures of the gateways, checked against independently computed values."""
import hashlib
import hmac
from urllib.parse import parse_qsl, urlsplit

from payments.channels import payos, vnpay
from tests.conftest import T0


def test_payos_signs_the_data_sorted_by_key_with_empty_nulls_and_lowercase_booleans():
    data = {"orderCode": 123, "amount": 3000, "description": "VQRIO123", "accountNumber": "12345678",
            "reference": "TF230204212323", "counterAccountName": None, "virtual": True}
    expected_text = ("accountNumber=12345678&amount=3000&counterAccountName=&description=VQRIO123"
                     "&orderCode=123&reference=TF230204212323&virtual=true")
    assert payos.canonical(data) == expected_text
    assert payos.sign(data, "k") == hmac.new(b"k", expected_text.encode(), hashlib.sha256).hexdigest()


def test_a_vnpay_checkout_url_carries_amount_times_100_and_a_verifiable_sha512_hash():
    url = vnpay.checkout_url(gateway_url="https://sandbox.vnpayment.vn/paymentv2/vpcpay.html",
                             tmn_code="TMN1", secret="S3CRET", txn_ref="HS12345678905-1", amount_vnd=150000,
                             order_info="Thanh toan ho so HS12345678905", return_url="http://x/return",
                             client_ip="10.0.0.1", now=T0)
    params = dict(parse_qsl(urlsplit(url).query))
    assert params["vnp_Amount"] == "15000000" and params["vnp_Version"] == "2.1.0"
    assert params["vnp_CreateDate"] == "20261125100000"  # Hà Nội time
    assert vnpay.verify(params, ("S3CRET",))
    assert not vnpay.verify(params, ("other",))
    tampered = dict(params, vnp_Amount="100")
    assert not vnpay.verify(tampered, ("S3CRET",))


def test_the_vnpay_hash_is_over_quote_plus_encoded_sorted_parameters():
    params = {"vnp_TxnRef": "A1", "vnp_Amount": "1000000", "vnp_OrderInfo": "Thanh toan don hang #1"}
    text = "vnp_Amount=1000000&vnp_OrderInfo=Thanh+toan+don+hang+%231&vnp_TxnRef=A1"
    assert vnpay.secure_hash(params, "k") == hmac.new(b"k", text.encode(), hashlib.sha512).hexdigest()


def test_a_vnpay_hash_over_every_vnp_parameter_empty_ones_included_verifies():
    """VNPay's own IPN samples (PHP `urlencode` loop, Python `quote_plus` loop) hash every `vnp_*`
    parameter, an empty one as `vnp_X=`; a hash computed so must verify as the one skipping it does."""
    params = {"vnp_TxnRef": "A1", "vnp_Amount": "1000000", "vnp_BankTranNo": "", "vnp_ResponseCode": "00"}
    text = "vnp_Amount=1000000&vnp_BankTranNo=&vnp_ResponseCode=00&vnp_TxnRef=A1"
    given = hmac.new(b"k", text.encode(), hashlib.sha512).hexdigest()
    assert vnpay.verify(dict(params, vnp_SecureHash=given), ("k",))
    assert vnpay.verify(dict(params, vnp_SecureHash=vnpay.secure_hash(params, "k")), ("k",))
    assert not vnpay.verify(dict(params, vnp_SecureHash=given, vnp_BankTranNo="X"), ("k",))
