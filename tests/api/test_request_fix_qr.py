"""The VietQR offered to pay with asks for what is still owed: a partly paid (or partly refunded) request's
QR asks for the rest under the same payment code, and once nothing is owed there is no QR at all."""
import io
import re

import pytest
import zxingcpp
from PIL import Image

from payments import vietqr
from tests.api.test_refunds import paid, refund
from tests.factories import make_request, send_callback


def view(client, code: str) -> dict:
    return client.get(f"/api/v1/payment-requests/{code}").json


def scanned(client, code: str) -> vietqr.VietQR:
    """What a bank app reads from the request's QR image."""
    image = client.get(f"/api/v1/payment-requests/{code}/qr.png")
    assert image.status_code == 200, image.json
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(image.data)))
    return vietqr.parse_payload(found.text)


def test_a_partly_paid_request_offers_a_qr_for_what_is_left_under_the_same_code(client, auth, test_settings):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    full = vietqr.parse_payload(view(client, code)["vietqr"])
    send_callback(client, test_settings, "bank", code=code, amount=40_000)
    after = view(client, code)
    assert (after["status"], after["outstanding_vnd"]) == ("partially_paid", 60_000)
    offered = vietqr.parse_payload(after["vietqr"])
    assert offered.amount_vnd == 60_000
    assert (offered.bin, offered.account, offered.purpose) == (full.bin, full.account, code)
    assert after["qr_png_url"] and after["qr_svg_url"] and after["memo"] == code
    assert scanned(client, code).amount_vnd == 60_000
    svg = client.get(f"/api/v1/payment-requests/{code}/qr.svg")
    assert svg.status_code == 200
    # Paying what the QR asks settles the request exactly.
    send_callback(client, test_settings, "bank", code=code, amount=scanned_amount(after))
    assert view(client, code)["status"] == "paid"


def scanned_amount(request_view: dict) -> int:
    return vietqr.parse_payload(request_view["vietqr"]).amount_vnd


def test_an_unpaid_request_keeps_offering_its_original_qr(client, auth):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    created = view(client, code)
    assert scanned(client, code).amount_vnd == 100_000
    assert [d.text for d in zxingcpp.read_barcodes(Image.open(io.BytesIO(
        client.get(f"/api/v1/payment-requests/{code}/qr.png").data)))] == [created["vietqr"]]


@pytest.mark.parametrize("pay, status", [(100_000, "paid"), (130_000, "overpaid")])
def test_a_request_that_owes_nothing_offers_no_qr(client, auth, test_settings, pay, status):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    send_callback(client, test_settings, "bank", code=code, amount=pay)
    after = view(client, code)
    assert after["status"] == status and after["outstanding_vnd"] == 0
    assert (after["vietqr"], after["qr_png_url"], after["qr_svg_url"]) == (None, None, None)
    assert after["pay_url"].endswith(f"/pay/{code}")
    for image in ("qr.png", "qr.svg"):
        r = client.get(f"/api/v1/payment-requests/{code}/{image}")
        assert r.status_code == 409 and r.json["code"] == "request_not_payable"
        assert r.json["details"]["status"] == status


def test_a_partly_refunded_request_offers_a_qr_for_the_refunded_part_only(client, auth, test_settings):
    code, payment_id = paid(client, auth, test_settings, amount=100_000)
    assert refund(client, auth, payment_id, 30_000, 100_000).status_code == 201
    after = view(client, code)
    assert (after["status"], after["outstanding_vnd"]) == ("partially_refunded", 30_000)
    assert scanned_amount(after) == 30_000 and scanned(client, code).amount_vnd == 30_000


def test_a_refund_of_an_overpayment_leaves_a_paid_request_without_a_qr(client, auth, test_settings):
    code, payment_id = paid(client, auth, test_settings, amount=100_000, pay=105_000)
    assert refund(client, auth, payment_id, 5_000, 105_000, reason="Nộp thừa").status_code == 201
    after = view(client, code)
    assert (after["status"], after["vietqr"], after["qr_png_url"]) == ("paid", None, None)


def test_the_qr_image_is_revalidated_on_every_display_so_a_payment_changes_it(client, auth, test_settings):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    first = client.get(f"/api/v1/payment-requests/{code}/qr.png")
    # A cached image may not be shown without asking: the amount it asks for changes with every payment.
    assert first.headers["Cache-Control"] == "no-cache" and first.headers["ETag"]
    send_callback(client, test_settings, "bank", code=code, amount=40_000)
    again = client.get(f"/api/v1/payment-requests/{code}/qr.png", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and again.headers["ETag"] != first.headers["ETag"]


def test_the_pay_and_print_pages_show_a_qr_that_asks_for_the_amount_they_name(client, auth, test_settings):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    send_callback(client, test_settings, "bank", code=code, amount=40_000)
    page = client.get(f"/pay/{code}").get_data(as_text=True)
    assert re.search(r'alt="Mã VietQR để chuyển 60\.000 ₫ vào tài khoản', page)
    assert 'data-copy="60000"' in page and 'data-outstanding="60000"' in page
    printed = client.get(f"/pay/{code}/print").get_data(as_text=True)
    assert "Còn lại: <strong>60.000 ₫</strong>" in printed and "qr.png?scale=14" in printed
    assert scanned(client, code).amount_vnd == 60_000


@pytest.mark.parametrize("page", ["/pay/{code}", "/pay/{code}/print"])
def test_the_pages_of_an_overpaid_request_show_no_qr(client, auth, test_settings, page):
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    send_callback(client, test_settings, "bank", code=code, amount=130_000)
    html = client.get(page.format(code=code)).get_data(as_text=True)
    assert "qr.png" not in html and "Mã VietQR để chuyển" not in html


@pytest.mark.parametrize("scale", ["abc", "-5", "٣", "1", "21", "3.5", ""])
def test_a_qr_scale_that_is_not_a_whole_number_from_2_to_20_is_refused(client, auth, scale):
    code = make_request(client, auth)
    r = client.get(f"/api/v1/payment-requests/{code}/qr.png", query_string={"scale": scale})
    assert r.status_code == 400 and r.json["code"] == "invalid_parameter"
    assert r.json["details"] == {"parameter": "scale"}


def test_a_qr_scale_in_range_sizes_the_image(client, auth):
    code = make_request(client, auth)
    small = client.get(f"/api/v1/payment-requests/{code}/qr.png?scale=2")
    large = client.get(f"/api/v1/payment-requests/{code}/qr.png?scale=20")
    assert small.status_code == large.status_code == 200 and len(small.data) < len(large.data)
