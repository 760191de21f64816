"""An address with an empty segment (`//`) is a plain 404 in the error shape, never a crash: werkzeug's
redirect to the merged path blew up inside flask-restx's error routing whenever the merged path did not
take the request's method (a 500 page from the WSGI server, without a request id)."""
import pytest


@pytest.mark.parametrize("method, path", [
    ("POST", "/api/v1/dossiers//payment-requests"), ("POST", "/api/v1/payment-requests//checkout"),
    ("POST", "/api/v1/payment-requests//cancel"), ("GET", "/api/v1//dossiers"), ("POST", "/api/v1//dossiers"),
    ("GET", "/api/v1/payment-requests//qr.png"), ("PATCH", "/api/v1/admin/users//1"),
])
def test_a_doubled_slash_in_an_api_address_is_a_json_not_found(client, auth, method, path):
    r = client.open(path, method=method, json={}, headers=auth("admin"))
    assert r.status_code == 404 and r.json["code"] == "not_found", r.get_data(as_text=True)[:300]
    assert r.headers["X-Request-Id"]


@pytest.mark.parametrize("method, path", [("POST", "/pay//x"), ("GET", "/staff/finance//lines/1/match"),
                                          ("DELETE", "/staff/finance//lines/1/match")])
def test_a_doubled_slash_in_a_page_address_is_the_not_found_page(client, method, path):
    r = client.open(path, method=method)
    assert r.status_code == 404 and "text/html" in r.content_type
