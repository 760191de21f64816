"""Pages in a real browser, second QA round: the pay page's live status and card refusals."""
import requests

from tests.e2e.conftest import assert_accessible
from tests.e2e.test_citizen_pay_page import new_code


def test_a_refused_card_payment_is_explained_in_vietnamese_and_a_cancelled_request_hides_its_qr(page, served, tokens):
    url = served.url
    code = new_code(url, tokens)["payment_code"]
    page.goto(f"{url}/pay/{code}")
    cancelled = requests.post(f"{url}/api/v1/payment-requests/{code}/cancel", json={"reason": "rút hồ sơ"},
                              headers={"Authorization": f"Bearer {tokens['intake']}"}, timeout=10)
    assert cancelled.status_code == 200
    page.locator("#checkout").click()  # before the page's next status check
    error = page.locator("#checkout-error")
    error.wait_for(timeout=5_000)
    assert error.inner_text().startswith("Yêu cầu thanh toán này không còn thanh toán được")
    assert page.locator("#checkout").is_enabled()
    page.locator("#status-text", has_text="Đã hủy").wait_for(timeout=15_000)
    assert not page.locator("#pay-section").is_visible() and not page.locator("#outstanding").is_visible()
    assert page.locator("[data-status=cancelled]").is_visible()
    assert_accessible(page)
