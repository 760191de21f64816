"""A method an address does not take is 405 in the error shape wherever machines read it: the API and
the health, readiness and metrics endpoints alike (TRACE on /healthz was the HTML error page meant for
people, as the path matched no rule for that method). Every 405 says which methods the address takes
(`Allow`, which HTTP requires of a 405). Pages keep their HTML page."""
import pytest


def assert_json_405(r, *allowed: str) -> None:
    assert r.status_code == 405 and r.content_type == "application/json", r.get_data(as_text=True)[:200]
    assert r.json == {"code": "method_not_allowed", "message": r.json["message"]} and r.json["message"]
    assert r.headers["X-Request-Id"]
    assert set(allowed) <= {m.strip() for m in r.headers["Allow"].split(",")}


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
@pytest.mark.parametrize("method", ["TRACE", "POST", "PUT", "DELETE", "PATCH", "PROPFIND"])
def test_a_method_a_machine_endpoint_does_not_take_is_a_json_405(client, path, method):
    assert_json_405(client.open(path, method=method), "GET")


@pytest.mark.parametrize("method, path, allowed", [
    ("TRACE", "/api/v1/admin/outbox", "GET"), ("PUT", "/api/v1/payment-requests/HS1", "GET"),
    ("TRACE", "/api/v1/callbacks/sepay", "POST"),
])
def test_a_method_an_api_address_does_not_take_is_the_same_json_405(client, method, path, allowed):
    assert_json_405(client.open(path, method=method), allowed)


@pytest.mark.parametrize("method, path, allowed", [
    ("TRACE", "/", "GET"), ("DELETE", "/staff/admin/users", "POST"), ("PUT", "/staff/postal/plan", "POST"),
])
def test_a_method_a_page_does_not_take_is_still_a_page_saying_what_it_takes(client, method, path, allowed):
    r = client.open(path, method=method)
    assert r.status_code == 405 and "text/html" in r.content_type
    assert allowed in {m.strip() for m in r.headers["Allow"].split(",")}


def test_an_address_nobody_serves_is_still_the_not_found_page(client):
    r = client.open("/healthzz", method="TRACE")
    assert r.status_code == 404 and "text/html" in r.content_type


@pytest.mark.parametrize("method, path, allowed", [
    ("TRACE", "/", {"GET", "HEAD", "OPTIONS"}), ("HEAD", "/staff/admin/users", {"POST", "OPTIONS"}),
    ("DELETE", "/staff/admin/users", {"POST", "OPTIONS"}),
    ("PUT", "/staff/postal/plan", {"GET", "HEAD", "OPTIONS", "POST"}),
])
def test_a_page_s_allow_is_exactly_what_the_address_takes_as_its_options_answer_says(client, method, path, allowed):
    """No method missing, none made up: the 405's `Allow` is the one OPTIONS answers (HEAD comes with GET)."""
    r = client.open(path, method=method)
    assert r.status_code == 405 and {m.strip() for m in r.headers["Allow"].split(",")} == allowed, r.headers
    options = client.open(path, method="OPTIONS")
    assert options.status_code == 200 and {m.strip() for m in options.headers["Allow"].split(",")} == allowed
