"""The page VNPay sends the citizen back to says "no money was taken" only when VNPay says the payment failed
before any debit; when VNPay took the money (07) or the transaction is not finished or was reversed (a
transaction status other than 00), it says the result is being checked and points to the request's status.
It never credits anything."""
import html
import re

import pytest

from payments.channels import vnpay
from tests.api.test_pos_vnpay_cash import checkout
from sandbox.bank import ipn_params
from tests.factories import make_request

NOTHING_TAKEN = "Chưa có khoản tiền nào được trừ"
BEING_CHECKED = "đang được kiểm tra"


def page_text(page) -> str:
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", "", page.get_data(as_text=True), flags=re.S))
    return re.sub(r"\s+", " ", html.unescape(text))


def returned(client, settings, code: str, response_code: str, transaction_status: str | None, lang: str = "vi"):
    """The return page for a validly signed VNPay return with these codes."""
    params = ipn_params(settings, checkout(client, code)["redirect_url"])
    params = {k: v for k, v in params.items() if k not in vnpay.HASH_FIELDS}
    params["vnp_ResponseCode"] = response_code
    if transaction_status is None:
        params.pop("vnp_TransactionStatus")
    else:
        params["vnp_TransactionStatus"] = transaction_status
    params["vnp_SecureHash"] = vnpay.secure_hash(params, settings.secret_values("HCCPAY_VNPAY_HASH_SECRET")[0])
    params["lang"] = lang
    page = client.get("/pay/vnpay-return", query_string=params)
    assert page.status_code == 200
    return page_text(page)


@pytest.mark.parametrize("response_code", ["24", "09", "10", "11", "12", "13", "51", "65", "75", "79"])
def test_a_failure_before_any_debit_says_no_money_was_taken(client, auth, test_settings, response_code):
    code = make_request(client, auth)
    text = returned(client, test_settings, code, response_code, "02")
    assert NOTHING_TAKEN in text and f"(mã {response_code})" in text and BEING_CHECKED not in text
    assert client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"] == 0


def test_a_debit_vnpay_holds_as_suspicious_is_being_checked_not_untaken(client, auth, test_settings):
    code = make_request(client, auth)
    text = returned(client, test_settings, code, "07", "00")
    assert NOTHING_TAKEN not in text and BEING_CHECKED in text and "(mã 07)" in text
    assert f"Xem trạng thái thanh toán của mã {code}" in text


@pytest.mark.parametrize("transaction_status", ["04", "01", "02", "05", "07", "09"])
def test_a_success_code_with_a_failed_transaction_status_names_that_status(client, auth, test_settings,
                                                                            transaction_status):
    code = make_request(client, auth)
    text = returned(client, test_settings, code, "00", transaction_status)
    assert NOTHING_TAKEN not in text and BEING_CHECKED in text
    assert f"mã trạng thái giao dịch {transaction_status}" in text and "(mã 00)" not in text
    assert client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"] == 0  # the return page never credits


@pytest.mark.parametrize("response_code, transaction_status", [("99", "02"), ("24", "04"), ("24", None), ("", None)])
def test_an_unknown_or_contradictory_outcome_is_being_checked(client, auth, test_settings, response_code,
                                                              transaction_status):
    code = make_request(client, auth)
    text = returned(client, test_settings, code, response_code, transaction_status)
    assert NOTHING_TAKEN not in text and BEING_CHECKED in text


def test_a_paid_return_still_says_it_is_recorded_once_vnpay_confirms(client, auth, test_settings):
    code = make_request(client, auth)
    text = returned(client, test_settings, code, "00", "00")
    assert "cổng thanh toán chấp nhận" in text and NOTHING_TAKEN not in text and BEING_CHECKED not in text
    assert client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"] == 0


def test_the_outcomes_read_in_english_too(client, auth, test_settings):
    code = make_request(client, auth)
    assert "No money was taken" in returned(client, test_settings, code, "24", "02", lang="en")
    checking = returned(client, test_settings, code, "00", "04", lang="en")
    assert "being checked" in checking and "transaction status code 04" in checking


@pytest.mark.parametrize("params, outcome, shown", [
    ({"vnp_ResponseCode": "00", "vnp_TransactionStatus": "00"}, vnpay.RETURN_PAID, ("response", "00")),
    ({"vnp_ResponseCode": "24", "vnp_TransactionStatus": "02"}, vnpay.RETURN_NOT_DEBITED, ("response", "24")),
    ({"vnp_ResponseCode": "07", "vnp_TransactionStatus": "00"}, vnpay.RETURN_CHECKING, ("response", "07")),
    ({"vnp_ResponseCode": "00", "vnp_TransactionStatus": "04"}, vnpay.RETURN_CHECKING, ("transaction_status", "04")),
    ({"vnp_ResponseCode": "51"}, vnpay.RETURN_CHECKING, ("response", "51")),
])
def test_return_outcome_reads_both_codes(params, outcome, shown):
    result = vnpay.return_outcome(params)
    assert result.outcome == outcome and (result.code_field, result.code) == shown
