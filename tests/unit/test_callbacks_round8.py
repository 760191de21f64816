"""Round 8 of the callback probes, signatures checked against values computed independently of ours."""
import hashlib
import hmac

import pytest

from payments.channels import vnpay

# How each of VNPay's integration samples URL-encodes a value before hashing: letters, digits and -_. as
# they are, a space as +, UTF-8 bytes as %XX in upper case; they differ on ~ * ! ( ) ' only.
_LEFT_AS_IS = {
    "Python quote_plus": "~",
    "PHP urlencode": "",
    "Java URLEncoder": "*",
    ".NET WebUtility.UrlEncode": "!*()",
    "Node encodeURIComponent, %20 as +": "~*!()'",
}


def sample_encode(text: str, left_as_is: str) -> str:
    out = []
    for char in text:
        if char.isascii() and (char.isalnum() or char in "-_." or char in left_as_is):
            out.append(char)
        elif char == " ":
            out.append("+")
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode())
    return "".join(out)


def sample_hash(params: dict, secret: str, left_as_is: str) -> str:
    text = "&".join(f"{sample_encode(k, left_as_is)}={sample_encode(params[k], left_as_is)}" for k in sorted(params))
    return hmac.new(secret.encode(), text.encode(), hashlib.sha512).hexdigest()


IPN = {"vnp_Amount": "15000000", "vnp_BankCode": "NCB", "vnp_OrderInfo": "Thanh toán hồ sơ ~*!()' của Nguyễn Văn Ấn",
       "vnp_PayDate": "20261125100000", "vnp_ResponseCode": "00", "vnp_TmnCode": "TMN1",
       "vnp_TransactionNo": "14000001", "vnp_TransactionStatus": "00", "vnp_TxnRef": "HS12345678905AB12CD"}


@pytest.mark.parametrize("sample", _LEFT_AS_IS)
def test_a_vnpay_hash_made_as_any_of_vnpays_samples_encodes_verifies(sample):
    given = sample_hash(IPN, "S3CRET", _LEFT_AS_IS[sample])
    assert vnpay.verify(dict(IPN, vnp_SecureHash=given), ("S3CRET",))
    assert vnpay.verify(dict(IPN, vnp_SecureHash=given.upper()), ("S3CRET",))
    assert not vnpay.verify(dict(IPN, vnp_SecureHash=given), ("other",))
    assert not vnpay.verify(dict(IPN, vnp_SecureHash=given, vnp_Amount="1500000000"), ("S3CRET",))
    assert not vnpay.verify(dict(IPN, vnp_SecureHash=given, vnp_OrderInfo=IPN["vnp_OrderInfo"] + "!"), ("S3CRET",))


def test_a_vnpay_hash_is_not_taken_over_an_ascii_only_reading_of_vietnamese_text():
    """VNPay's Java sample encodes with US-ASCII, which writes every non-ASCII letter as %3F: a hash of that
    text would cover every value with other letters in their place, so it is not one that verifies."""
    lossy = {k: v.encode("ascii", "replace").decode() for k, v in IPN.items()}
    given = sample_hash(lossy, "S3CRET", "*")
    assert not vnpay.verify(dict(IPN, vnp_SecureHash=given), ("S3CRET",))


def test_a_vnpay_parameter_name_is_encoded_as_the_samples_do_so_names_cannot_swallow_parameters():
    """Our hash wrote names as they came: `vnp_A=1&vnp_B` = "2" hashed as vnp_A=1 and vnp_B=2 did, so a
    signed query could be rearranged into one without vnp_A (or vnp_Amount) that still verified."""
    params = {"vnp_Amount": "15000000", "vnp_ResponseCode": "24", "vnp_TxnRef": "HS1"}
    given = vnpay.secure_hash(params, "S3CRET")
    merged = {"vnp_Amount=15000000&vnp_ResponseCode": "24", "vnp_TxnRef": "HS1", "vnp_SecureHash": given}
    assert vnpay.verify(dict(params, vnp_SecureHash=given), ("S3CRET",))
    assert not vnpay.verify(merged, ("S3CRET",))
