"""Round 8: amounts on every money field of the dossier and payment-request API, probed as an acceptance tester would."""
import copy

import pytest

from tests.api.test_dossiers import BODY
from tests.factories import make_request

BAD_AMOUNTS = [True, False, 1.5, "1.5", 1e6, 150000.0, -1, "150000", "150.000", None, [], {}, 10**30, -10**30,
               500_000_001]


def refused_as(value) -> tuple[str, ...]:
    # No amount at all (null) is a missing field, as any required field left out (round 12).
    return ("missing_field",) if value is None else ("invalid_amount", "amount_out_of_range")


def with_fee_amount(value):
    body = copy.deepcopy(BODY)
    body["fees"][0]["amount_vnd"] = value
    return body


@pytest.mark.parametrize("value", BAD_AMOUNTS + [0])
def test_a_fee_amount_that_is_no_whole_positive_dong_is_a_400(client, auth, value):
    r = client.post("/api/v1/dossiers", json=with_fee_amount(value), headers=auth("intake"))
    assert r.status_code == 400, r.json
    assert r.json["code"] in refused_as(value)
    assert r.json["details"]["field"] == "fees[0].amount_vnd"


@pytest.mark.parametrize("value", BAD_AMOUNTS + [0])
def test_cash_with_an_amount_that_is_no_whole_positive_dong_is_a_400(client, auth, value):
    code = make_request(client, auth)
    r = client.post("/api/v1/payments/cash", json={"payment_code": code, "amount_vnd": value}, headers=auth("cashier"))
    assert r.status_code == 400, r.json
    assert r.json["code"] in refused_as(value)


# --- the landing page's code box ---------------------------------------------------------------

@pytest.mark.parametrize("write", [lambda c: c.lower(), lambda c: f"{c[:2]}-{c[2:11]}-{c[11:]}",
                                   lambda c: f"{c[:2]}.{c[2:5]}.{c[5:8]}.{c[8:11]}.{c[11:]}",
                                   lambda c: f" {c[:2]} {c[2:7]}_{c[7:]} ", lambda c: f"{c[:2]}\u00a0{c[2:]}"])
def test_the_landing_form_finds_a_code_written_with_the_separators_memos_use(client, auth, write):
    code = make_request(client, auth)
    r = client.get("/pay", query_string={"code": write(code)})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/pay/{code}")
    assert client.get(r.headers["Location"]).status_code == 200


@pytest.mark.parametrize("written, problem", [(None, "missing_field"), ("  ", "missing_field"),
                                               (40881023160, "validation_error"), (["HS40881023160"], "validation_error")])
def test_cash_with_a_payment_code_missing_or_not_text_names_the_field_and_says_what_is_wrong(client, auth, written, problem):
    body = {"amount_vnd": 100_000} if written is None else {"payment_code": written, "amount_vnd": 100_000}
    r = client.post("/api/v1/payments/cash", json=body, headers=auth("cashier"))
    assert r.status_code == 400
    assert (r.json["code"], r.json["details"]) == (problem, {"field": "payment_code"})
    assert ("required" in r.json["message"]) == (problem == "missing_field")
