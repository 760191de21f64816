"""Round 17, the sandbox courier's own inputs: an order, a control event or a control setting it cannot use is
refused with a 4xx saying which field, never a 500 (a float delay of "abc", a status code "x", a JSON list) nor
taken silently (a status code 1.5 read as 1, a COD amount of True or -5 sent on in a webhook as if the post had
reported it, an unknown mode read as "ok")."""
import pytest

from sandbox.courier import create_courier

ORDER = {"reference": "HCC-9", "direction": "delivery", "cod_amount_vnd": 30_000,
         "citizen": {"name": "Nguyễn Văn An", "phone": "0912345678", "ward_code": "06685"}}
API = {"Authorization": "Bearer key"}


@pytest.fixture
def courier():
    return create_courier("key", "secret").test_client()


def booked(courier) -> str:
    r = courier.post("/orders", json=ORDER, headers={**API, "Idempotency-Key": "k-9"})
    assert r.status_code == 201, r.json
    return r.json["tracking_number"]


@pytest.mark.parametrize("body, field", [
    ({"status_code": "x"}, "status_code"), ({"status_code": 1.5}, "status_code"), ({"status_code": True}, "status_code"),
    ({"status_code": -1}, "status_code"), ({"status_code": 23}, "status_code"), ({}, "status_code"),
    ({"status_code": 21, "cod_amount_vnd": True}, "cod_amount_vnd"),
    ({"status_code": 21, "cod_amount_vnd": 1.5}, "cod_amount_vnd"),
    ({"status_code": 21, "cod_amount_vnd": -5}, "cod_amount_vnd"),
    ({"status_code": 21, "cod_amount_vnd": "30000"}, "cod_amount_vnd"),
    ({"status_code": 21, "cod_amount_vnd": 10 ** 30}, "cod_amount_vnd"),
    ({"status_code": 10, "occurred_at": 5}, "occurred_at"),
])
def test_a_control_event_the_post_could_not_report_is_refused_and_adds_nothing(courier, body, field):
    tracking = booked(courier)
    r = courier.post(f"/_orders/{tracking}/events", json=body)
    assert r.status_code == 400 and r.json["field"] == field, r.json
    assert [e["status_code"] for e in courier.get(f"/orders/{tracking}", headers=API).json["events"]] == [0]


@pytest.mark.parametrize("raw", [b"[1, 2]", b'"text"', b"not json"])
def test_a_control_body_that_is_not_a_json_object_is_refused(courier, raw):
    tracking = booked(courier)
    for path in (f"/_orders/{tracking}/events", "/_control", "/_webhooks/flush", f"/_orders/{tracking}/attempt"):
        r = courier.post(path, data=raw, headers={"Content-Type": "application/json"})
        assert r.status_code == 400, (path, r.status_code)


@pytest.mark.parametrize("body, field", [
    ({"mode": "sometimes"}, "mode"), ({"mode": 1}, "mode"), ({"mode": "slow", "delay": "abc"}, "delay"),
    ({"mode": "slow", "delay": -1}, "delay"), ({"mode": "slow", "delay": True}, "delay"),
    ({"mode": "slow", "delay": 10 ** 9}, "delay"), ({"hold_webhooks": "no"}, "hold_webhooks"),
])
def test_a_control_setting_it_cannot_use_is_refused_and_changes_nothing(courier, body, field):
    r = courier.post("/_control", json=body)
    assert r.status_code == 400 and r.json["field"] == field, r.json
    assert courier.post("/_control", json={}).json == {"mode": "ok", "delay": 0.0, "hold_webhooks": False}


def test_control_settings_the_sandbox_offers_are_taken(courier):
    r = courier.post("/_control", json={"mode": "slow", "delay": 0.5, "hold_webhooks": True})
    assert r.status_code == 200 and r.json == {"mode": "slow", "delay": 0.5, "hold_webhooks": True}


@pytest.mark.parametrize("change", [{"cod_amount_vnd": True}, {"cod_amount_vnd": 1.5}, {"cod_amount_vnd": -1},
                                    {"cod_amount_vnd": "30000"}])
def test_an_order_with_a_cod_amount_that_is_not_whole_vnd_is_refused_as_the_courier_would(courier, change):
    r = courier.post("/orders", json={**ORDER, **change}, headers={**API, "Idempotency-Key": "k-bad"})
    assert r.status_code == 422, r.json
    assert courier.get("/_orders").json["orders"] == []


def test_an_order_body_that_is_not_an_object_is_refused(courier):
    r = courier.post("/orders", data=b"[1]", headers={**API, "Idempotency-Key": "k-list",
                                                       "Content-Type": "application/json"})
    assert r.status_code == 422
