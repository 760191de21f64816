"""The line page in a real browser on a phone-sized screen, with a decision and its audit trail: the page is no
wider than the screen (the decisions table's hidden "#1" of its undo button, absolutely placed, reached past
the scrolling table and widened the page), the full hashes wrap inside their table, and it is accessible."""
from tests.e2e.conftest import assert_accessible
from tests.e2e.test_finance_workspace import DAY, fits_the_screen, log_in, people  # noqa: F401
from tests.factories import make_request
from tests.recon_factories import all_lines, upload, vcb_csv


def test_the_line_page_with_a_decision_and_its_audit_trail_fits_a_phone_and_is_accessible(page, served, client, auth, people):  # noqa: F811
    code = make_request(client, auth, ("Lệ phí cấp giấy chứng nhận quyền sử dụng đất", "charge", 100_000))
    [line] = all_lines(client, auth, upload(client, auth, vcb_csv(("9.1", "", "100.000", "chuyen tien le phi"))).json["import_id"])
    r = client.post(f"/api/v1/reconciliation/lines/{line['id']}/match", headers=auth("finance"),
                    json={"payment_code": code, "reason": "Người nộp Tôn Nữ Hoàng Khánh Huyền gọi điện xác nhận hồ sơ"})
    assert r.status_code == 201, r.json
    log_in(page, served.url, "ketoan")
    page.goto(f"{served.url}/staff/finance/lines/{line['id']}")
    trail = page.locator("section[aria-labelledby=trail-h]")
    assert "Khớp" in trail.inner_text() and "gọi điện xác nhận" in trail.inner_text()
    assert fits_the_screen(page)
    assert_accessible(page)
