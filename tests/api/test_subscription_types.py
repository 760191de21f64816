"""Subscriptions name event types we publish: a typo is a 400, not a subscription that never hears."""
import pytest

from kernel.events import EVENT_TYPES
from payments.notifications import PAYMENT_REQUEST_EVENTS
from postal.states import ANNOUNCED as ANNOUNCED_SHIPMENT_STATUSES
from postal.states import STATUSES as SHIPMENT_STATUSES


def subscribe(client, auth, types):
    return client.post("/api/v1/admin/subscriptions", headers=auth("admin"),
                       json={"name": "Cổng dịch vụ công", "url": "https://example.invalid/h", "event_types": types})


@pytest.mark.parametrize("types", [["payment_request.payed"], ["nonsense"], ["payment-request.*"],
                                   ["payment_request.*", "shipment.deliverd"]])
def test_a_pattern_that_matches_no_event_type_is_refused_with_the_known_ones(client, auth, types):
    r = subscribe(client, auth, types)
    assert r.status_code == 400 and r.json["code"] == "unknown_event_type"
    assert r.json["details"]["unknown"] == [t for t in types if t not in ("payment_request.*",)]
    assert "payment_request.paid" in r.json["details"]["known"] and "payment_request.paid" in r.json["message"]


@pytest.mark.parametrize("types", [["payment_request.*"], ["shipment.*"], ["*"], ["payment_request.paid"],
                                   ["payment_request.refund_failed", "shipment.delivered"]])
def test_known_types_and_patterns_over_them_are_accepted(client, auth, types):
    assert subscribe(client, auth, types).status_code == 201


def test_a_change_of_types_is_checked_too(client, auth):
    created = subscribe(client, auth, ["payment_request.*"]).json
    r = client.patch(f"/api/v1/admin/subscriptions/{created['id']}", headers=auth("admin"),
                     json={"event_types": ["payment_request.paid", "payment_request.refund"]})
    assert r.status_code == 400 and r.json["details"]["unknown"] == ["payment_request.refund"]


@pytest.mark.parametrize("types", [[], "payment_request.*", [1], [""], ["x" * 101]])
def test_malformed_event_types_are_refused(client, auth, types):
    r = subscribe(client, auth, types)
    assert r.status_code == 400 and r.json["code"] == "invalid_event_types"


def test_the_known_types_are_exactly_what_is_published():
    assert set(EVENT_TYPES) == {f"payment_request.{k}" for k in PAYMENT_REQUEST_EVENTS} | {
        f"shipment.{s}" for s in ANNOUNCED_SHIPMENT_STATUSES}


def test_scheduling_is_not_announced_so_it_is_no_event_type_to_subscribe_to(client, auth):
    assert set(SHIPMENT_STATUSES) - set(ANNOUNCED_SHIPMENT_STATUSES) == {"scheduled"}
    r = subscribe(client, auth, ["shipment.scheduled"])
    assert r.status_code == 400 and r.json["code"] == "unknown_event_type"
    assert r.json["details"]["unknown"] == ["shipment.scheduled"]
    assert "shipment.scheduled" not in r.json["details"]["known"]
    assert subscribe(client, auth, ["shipment.*"]).status_code == 201
    # A pattern that matched scheduling only would never deliver either.
    assert subscribe(client, auth, ["shipment.sch*"]).json["details"]["unknown"] == ["shipment.sch*"]


@pytest.mark.parametrize("url", ["http://", "https://", "http://exa mple.com/x", "https://[::1", "http://h:99999/x",
                                 "http://h:port/x", "ftp://x", "https://\u0000x", "mailto:a@b.vn", 42])
def test_a_url_the_worker_could_never_post_to_is_refused(client, auth, url):
    r = client.post("/api/v1/admin/subscriptions", headers=auth("admin"),
                    json={"name": "Cổng", "url": url, "event_types": ["*"]})
    assert r.status_code == 400 and r.json["code"] == "invalid_url"


@pytest.mark.parametrize("url", ["https://example.gov.vn/hooks", "http://127.0.0.1:8003/events", "https://[::1]:8443/h"])
def test_a_deliverable_url_is_accepted(client, auth, url):
    r = client.post("/api/v1/admin/subscriptions", headers=auth("admin"),
                    json={"name": "Cổng", "url": url, "event_types": ["*"]})
    assert r.status_code == 201
