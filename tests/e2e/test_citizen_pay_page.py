"""A citizen pays through the pay page, in a real browser."""
import io

import requests
import zxingcpp
from PIL import Image

from sandbox.bank import pay
from tests.e2e.conftest import assert_accessible
from tests.factories import dossier_body


def new_code(url, tokens):
    r = requests.post(f"{url}/api/v1/dossiers", json=dossier_body(("Lệ phí cấp giấy chứng nhận", "charge", 150_000)),
                      headers={"Authorization": f"Bearer {tokens['intake']}"}, timeout=10)
    return r.json()["payment_request"]


def test_the_qr_scans_a_sandbox_payment_turns_the_page_paid_and_the_receipt_downloads(page, served, tokens):
    url, settings = served.url, served.settings
    request = new_code(url, tokens)
    code = request["payment_code"]
    page.goto(f"{url}/pay/{code}")
    assert page.locator("#status-text").inner_text() == "Chờ thanh toán"
    qr = page.locator("img#qr")
    assert qr.is_visible()
    image = page.request.get(url + qr.get_attribute("src")).body()
    assert [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(image)))] == [request["vietqr"]]
    assert_accessible(page)

    assert pay(url, code, settings=settings, via="sepay").status_code == 200
    page.locator("#status-text", has_text="Đã thanh toán").wait_for(timeout=15_000)  # no reload: the page polls
    assert page.locator("#paid-message").is_visible()
    assert not page.locator("#pay-section").is_visible()
    with page.expect_download() as download:
        page.locator("#receipt-link").click()
    with open(download.value.path(), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
    assert_accessible(page)


def test_the_card_button_goes_to_the_gateway_and_back_without_crediting(page, served, tokens):
    url = served.url
    code = new_code(url, tokens)["payment_code"]
    page.goto(f"{url}/pay/{code}")
    with page.expect_request(lambda r: "vpcpay.html" in r.url) as gateway:
        page.locator("#checkout").click()
    assert "vnp_Amount=15000000" in gateway.value.url


def test_copy_buttons_and_an_unknown_code(page, served, tokens):
    url = served.url
    code = new_code(url, tokens)["payment_code"]
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{url}/pay/{code}")
    page.get_by_role("button", name="Sao chép Nội dung chuyển khoản").click()
    assert page.evaluate("navigator.clipboard.readText()") == code
    page.goto(f"{url}/pay/HS000000000{'00'}")
    assert "Mã thanh toán không hợp lệ" in page.content() or "Không tìm thấy" in page.content()
    assert_accessible(page)
