"""Round 12 of the money probes: an amount left out (or null) is a missing field, as any other required
field left out is, and as a callback's amount is; a value of the wrong kind stays `invalid_amount`."""
import pytest

from tests.factories import dossier_body, make_request


def cash_payment(client, auth, code, amount=100_000):
    r = client.post("/api/v1/payments/cash", json={"payment_code": code, "amount_vnd": amount},
                    headers=auth("cashier"))
    assert r.status_code == 201, r.json
    return r.json["id"]


@pytest.mark.parametrize("given", ["left out", "null"])
def test_cash_without_an_amount_is_a_missing_field_and_takes_nothing(client, auth, given):
    code = make_request(client, auth)
    body = {"payment_code": code} | ({"amount_vnd": None} if given == "null" else {})
    r = client.post("/api/v1/payments/cash", json=body, headers=auth("cashier"))
    assert r.status_code == 400 and r.json["code"] == "missing_field"
    assert r.json["details"] == {"field": "amount_vnd"}
    assert client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"] == 0


def test_a_fee_without_an_amount_is_a_missing_field_naming_it(client, auth):
    body = dossier_body(("Lệ phí", "charge", 100_000), ("Phí", "fee", 50_000))
    del body["fees"][1]["amount_vnd"]
    r = client.post("/api/v1/dossiers", json=body, headers=auth("intake"))
    assert r.status_code == 400 and r.json["code"] == "missing_field"
    assert r.json["details"] == {"field": "fees[1].amount_vnd"}
    assert client.get(f"/api/v1/dossiers/{body['code']}", headers=auth("intake")).status_code == 404


@pytest.mark.parametrize("missing", ["amount_vnd", "expected_refundable_vnd"])
def test_a_refund_without_either_amount_is_a_missing_field(client, auth, missing):
    payment_id = cash_payment(client, auth, make_request(client, auth))
    body = {"amount_vnd": 10_000, "expected_refundable_vnd": 100_000, "reason": "nộp thừa"}
    del body[missing]
    r = client.post(f"/api/v1/payments/{payment_id}/refunds", json=body, headers=auth("finance"))
    assert r.status_code == 400 and r.json["code"] == "missing_field" and r.json["details"] == {"field": missing}
    assert client.get(f"/api/v1/payments/{payment_id}/refunds", headers=auth("finance")).json["refunds"] == []


def test_a_drawer_closed_without_a_count_is_a_missing_field(client, auth):
    cash_payment(client, auth, make_request(client, auth))
    [drawer] = client.get("/api/v1/cash/drawers", headers=auth("cashier")).json["drawers"]
    r = client.post(f"/api/v1/cash/drawers/{drawer['id']}/close", json={}, headers=auth("cashier"))
    assert r.status_code == 400 and r.json["code"] == "missing_field"
    assert r.json["details"] == {"field": "counted_vnd"}
    [still] = client.get("/api/v1/cash/drawers", headers=auth("cashier")).json["drawers"]
    assert still["closed_at"] is None


@pytest.mark.parametrize("value", [True, 1.5, "100000", "100.000", 1e6, [100_000]])
def test_an_amount_of_the_wrong_kind_is_still_invalid_amount(client, auth, value):
    code = make_request(client, auth)
    r = client.post("/api/v1/payments/cash", json={"payment_code": code, "amount_vnd": value},
                    headers=auth("cashier"))
    assert r.status_code == 400 and r.json["code"] == "invalid_amount"
