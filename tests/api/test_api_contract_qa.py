"""The API does what its README says: a failed payout follows the executed rule, a route PUT that
changes nothing is refused, an unknown subscription is a 404 everywhere and its PATCH takes no
field it does not know."""
import json

from sqlalchemy import select

from kernel.audit import AuditEntry
from tests.api.test_refunds import paid, refund
from tests.factories import assert_ledger_ok, make_request
from tests.postal_factories import make_route, route_body


def _cash_refund(client, auth):
    code = make_request(client, auth)
    cash = client.post("/api/v1/payments/cash", json={"payment_code": code, "amount_vnd": 100_000},
                       headers=auth("cashier")).json
    r = refund(client, auth, cash["id"], 100_000, 100_000)
    assert r.json["status"] == "cash_due"
    return r.json["id"]


def test_cash_never_collected_is_marked_failed_by_a_cashier_not_by_finance(client, auth, db):
    refund_id = _cash_refund(client, auth)
    url = f"/api/v1/refunds/{refund_id}/failed"
    wrong = client.post(url, json={"reason": "Công dân không đến nhận"}, headers=auth("finance"))
    assert wrong.status_code == 403 and wrong.json["code"] == "wrong_role_for_method"
    assert client.get(f"/api/v1/refunds/{refund_id}", headers=auth("finance")).json["status"] == "cash_due"
    failed = client.post(url, json={"reason": "Công dân không đến nhận"}, headers=auth("cashier"))
    assert failed.status_code == 200 and failed.json["status"] == "failed"
    assert_ledger_ok(db)


def test_a_cashier_cannot_mark_a_transfer_refund_failed(client, auth, test_settings):
    _, payment_id = paid(client, auth, test_settings)
    r = refund(client, auth, payment_id, 100_000, 100_000)
    failed = client.post(f"/api/v1/refunds/{r.json['id']}/failed", json={"reason": "x"}, headers=auth("cashier"))
    assert failed.status_code == 403 and failed.json["code"] == "wrong_role_for_method"


def test_a_route_put_with_the_values_it_already_has_is_nothing_to_change(client, auth, db, test_settings):
    make_route(db, test_settings)
    body = route_body()
    del body["code"]
    for same in (body, {"name": body["name"]}, {"capacity": body["capacity"]}):
        r = client.put("/api/v1/postal/routes/HL1", json=same, headers=auth("postal"))
        assert r.status_code == 400 and r.json["code"] == "nothing_to_change", (same, r.json)
    with db() as s:
        assert s.execute(select(AuditEntry).where(AuditEntry.action == "postal.route.update")).first() is None
    r = client.put("/api/v1/postal/routes/HL1", json={**body, "name": "Tuyến mới"}, headers=auth("postal"))
    assert r.status_code == 200 and r.json["name"] == "Tuyến mới"
    with db() as s:
        [entry] = s.execute(select(AuditEntry).where(AuditEntry.action == "postal.route.update")).scalars()
        assert json.loads(entry.data) == {"name": "Tuyến mới"}  # only what changed


def _subscription(client, auth):
    r = client.post("/api/v1/admin/subscriptions", headers=auth("admin"),
                    json={"name": "Hệ thống một cửa", "url": "https://x.example/h", "event_types": ["shipment.*"]})
    assert r.status_code == 201, r.json
    return r.json["id"]


def test_the_deliveries_of_an_unknown_subscription_are_a_404(client, auth):
    subscription_id = _subscription(client, auth)
    assert client.get(f"/api/v1/admin/subscriptions/{subscription_id}/deliveries",
                      headers=auth("auditor")).json == {"deliveries": []}
    r = client.get(f"/api/v1/admin/subscriptions/{subscription_id + 1}/deliveries", headers=auth("auditor"))
    assert r.status_code == 404 and r.json["code"] == "subscription_not_found"


def test_a_subscription_field_we_do_not_take_is_refused_by_name(client, auth):
    subscription_id = _subscription(client, auth)
    r = client.patch(f"/api/v1/admin/subscriptions/{subscription_id}", json={"secret": "x"}, headers=auth("admin"))
    assert r.status_code == 400 and r.json["code"] == "unknown_field" and r.json["details"] == {"field": "secret"}
    r = client.post("/api/v1/admin/subscriptions", headers=auth("admin"), json={
        "name": "a", "url": "https://x.example/h", "event_types": ["shipment.*"], "evnt_types": []})
    assert r.status_code == 400 and r.json["details"] == {"field": "evnt_types"}
    r = client.post("/api/v1/admin/subscriptions", headers=auth("admin"), json={
        "name": "a", "url": "https://x.example/h", "event_types": ["shipment.*"], "active": False})
    assert r.status_code == 201 and r.json["active"] is False
