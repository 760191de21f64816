"""A closed request (expired, cancelled, refunded) asks for nothing: no QR to pay with, nothing outstanding."""
from datetime import timedelta

import pytest
from sqlalchemy import update

from kernel.clock import now_utc
from payments.models import PaymentRequest
from tests.api.test_refunds import paid, refund
from tests.factories import make_request


def cancelled(client, auth) -> str:
    code = make_request(client, auth, ("Lệ phí", "charge", 123_456))
    r = client.post(f"/api/v1/payment-requests/{code}/cancel", json={"reason": "Công dân rút hồ sơ"},
                    headers=auth("intake"))
    assert r.status_code == 200
    return code


def expired(client, auth, db, at=None) -> str:
    """A request whose deadline passed a minute ago, or at `at` (before a statement line's day: a line the
    bank booked before the deadline pays it, however late it is imported)."""
    code = make_request(client, auth, ("Lệ phí", "charge", 123_456))
    with db() as s, s.begin():
        s.execute(update(PaymentRequest).where(PaymentRequest.payment_code == code)
                  .values(expires_at=at or now_utc() - timedelta(minutes=1)))
    return code


def refunded(client, auth, settings) -> str:
    code, payment_id = paid(client, auth, settings, amount=123_456)
    assert refund(client, auth, payment_id, 123_456, 123_456).status_code == 201
    return code


@pytest.fixture(params=["cancelled", "expired", "refunded"])
def closed(request, client, auth, db, test_settings):
    make = {"cancelled": lambda: cancelled(client, auth), "expired": lambda: expired(client, auth, db),
            "refunded": lambda: refunded(client, auth, test_settings)}[request.param]
    return request.param, make()


def test_a_closed_request_owes_nothing_and_carries_no_vietqr(client, closed):
    status, code = closed
    view = client.get(f"/api/v1/payment-requests/{code}").json
    assert view["status"] == status
    assert (view["outstanding_vnd"], view["vietqr"], view["qr_png_url"], view["qr_svg_url"]) == (0, None, None, None)
    assert view["amount_vnd"] == 123_456 and view["pay_url"].endswith(f"/pay/{code}")


@pytest.mark.parametrize("image", ["qr.png", "qr.svg"])
def test_a_closed_request_has_no_qr_image(client, closed, image):
    status, code = closed
    r = client.get(f"/api/v1/payment-requests/{code}/{image}")
    assert r.status_code == 409 and r.json["code"] == "request_not_payable" and r.json["details"]["status"] == status
    assert "no QR" in r.json["message"]


def test_a_cancelled_request_answers_its_cancel_without_a_qr(client, auth):
    code = make_request(client, auth)
    r = client.post(f"/api/v1/payment-requests/{code}/cancel", json={"reason": "rút"}, headers=auth("intake"))
    assert r.json["status"] == "cancelled" and r.json["vietqr"] is None and r.json["outstanding_vnd"] == 0


def test_an_open_request_keeps_its_qr_which_caches_revalidate(client, auth):
    code = make_request(client, auth)
    view = client.get(f"/api/v1/payment-requests/{code}").json
    assert view["vietqr"] and view["outstanding_vnd"] == 100_000
    image = client.get(f"/api/v1/payment-requests/{code}/qr.png")
    assert image.status_code == 200 and "immutable" not in image.headers["Cache-Control"]
