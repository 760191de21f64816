"""Round 8: amounts on every money field of the dossier and payment-request API, probed as an acceptance tester would."""
import copy

import pytest

from tests.api.test_dossiers import BODY
from tests.factories import make_request

BAD_AMOUNTS = [True, False, 1.5, "1.5", 1e6, 150000.0, -1, "150000", "150.000", None, [], {}, 10**30, -10**30,
               500_000_001]


def with_fee_amount(value):
    body = copy.deepcopy(BODY)
    body["fees"][0]["amount_vnd"] = value
    return body


@pytest.mark.parametrize("value", BAD_AMOUNTS + [0])
def test_a_fee_amount_that_is_no_whole_positive_dong_is_a_400(client, auth, value):
    r = client.post("/api/v1/dossiers", json=with_fee_amount(value), headers=auth("intake"))
    assert r.status_code == 400, r.json
    assert r.json["code"] in ("invalid_amount", "amount_out_of_range")
    assert r.json["details"]["field"] == "fees[0].amount_vnd"


@pytest.mark.parametrize("value", BAD_AMOUNTS + [0])
def test_cash_with_an_amount_that_is_no_whole_positive_dong_is_a_400(client, auth, value):
    code = make_request(client, auth)
    r = client.post("/api/v1/payments/cash", json={"payment_code": code, "amount_vnd": value}, headers=auth("cashier"))
    assert r.status_code == 400, r.json
    assert r.json["code"] in ("invalid_amount", "amount_out_of_range")
