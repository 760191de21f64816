"""The finance workspace in a real browser: upload a statement and watch it import, settle an
exception with a reason, ask to close the day; another person approves and the reports download."""
import hashlib

import pytest

from kernel.users import create_user
from tests.conftest import T0
from tests.e2e.conftest import ARTIFACTS, assert_accessible
from tests.factories import make_request
from tests.recon_factories import vcb_csv

DAY = "2026-11-24"
PASSWORD = "correct-horse-battery"


@pytest.fixture
def people(db):
    with db() as s, s.begin():
        create_user(s, username="ketoan", full_name="Lê Thị Lan", roles=["finance"], password=PASSWORD, now=T0)
        create_user(s, username="duyet", full_name="Trần Văn Minh", roles=["approver"], password=PASSWORD, now=T0)


def log_in(page, url, username):
    page.goto(f"{url}/staff/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{url}/staff/finance/")


def snapshot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"finance_{name}.png"), full_page=True)


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def statement_file(tmp_path, client, auth):
    """Two credits on 24/11/2026: one paying a request by its code, one with no code at all."""
    paid = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    unknown = make_request(client, auth, ("Phí thẩm định", "fee", 50_000))
    path = tmp_path / "sao-ke-vcb.csv"
    path.write_text(vcb_csv(("5000.1", "", "100.000", f"CT nhanh 247 den: {paid} nop le phi"),
                            ("5000.2", "", "50.000", "NGUYEN VAN AN chuyen tien le phi ho so")), encoding="utf-8")
    return path, unknown


def test_finance_imports_resolves_and_asks_to_close_then_an_approver_closes_and_the_reports_download(
        browser, page, served, client, auth, people, tmp_path):
    url = served.url
    path, unknown = statement_file(tmp_path, client, auth)
    log_in(page, url, "ketoan")
    assert_accessible(page)

    page.goto(f"{url}/staff/finance/statements?date={DAY}")
    page.get_by_label("Tệp sao kê").set_input_files(str(path))
    page.get_by_role("button", name="Tải lên").click()
    page.locator("#upload-status", has_text="Đã nhập xong").wait_for()
    assert page.locator("#upload-status").inner_text().startswith("Đã nhập xong: 2/2 dòng (2 dòng mới")
    assert page.eval_on_selector("#upload-bar", "bar => bar.value === bar.max")
    assert_accessible(page)
    snapshot(page, "1_upload_done")
    page.locator("#upload-lines").click()
    rows = page.locator("#lines-table tbody tr")
    rows.first.wait_for()
    assert rows.count() == 2
    assert "Đã khớp" in rows.nth(0).inner_text() and "Chưa khớp" in rows.nth(1).inner_text()
    assert fits_the_screen(page)
    assert_accessible(page)

    page.get_by_role("link", name="Ngoại lệ").click()
    card = page.locator("li.exception", has_text="Tiền về chưa khớp")
    card.locator("summary", has_text="Khớp").first.focus()
    page.keyboard.press("Enter")  # the decision opens from the keyboard and asks for a reason
    card.get_by_label("Mã thanh toán 1").fill(unknown)
    card.locator("input[name=reason]:visible").fill("Người nộp gọi điện xác nhận hồ sơ")
    assert_accessible(page)
    snapshot(page, "2_exception_reason")
    card.get_by_role("button", name="Xác nhận: Khớp").click()
    page.locator(".flash", has_text="Đã khớp dòng sao kê.").wait_for()
    assert "Người nộp gọi điện xác nhận hồ sơ" in page.locator("#decisions-h + .table-wrap").inner_text()
    snapshot(page, "3_exception_resolved")

    page.get_by_role("link", name="Tổng quan").click()
    page.get_by_role("button", name="Đề nghị khóa sổ").click()
    page.locator(".flash", has_text="Đã đề nghị khóa sổ.").wait_for()
    assert page.locator("#day-status").inner_text() == "Chờ phê duyệt khóa sổ"
    assert page.locator("#kpi-matched strong").inner_text() == "150.000 ₫"
    assert fits_the_screen(page)
    assert_accessible(page)

    approver_context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN",
                                           accept_downloads=True)
    approver = approver_context.new_page()
    try:
        log_in(approver, url, "duyet")
        approver.goto(f"{url}/staff/finance/?date={DAY}")
        approver.get_by_role("button", name="Phê duyệt khóa sổ").click()
        approver.locator(".flash", has_text="Đã phê duyệt khóa sổ.").wait_for()
        assert approver.locator("#day-status").inner_text() == "Đã khóa sổ"
        assert_accessible(approver)
        snapshot(approver, "4_day_closed")
        for fmt, looks_right in (("csv", lambda d: d.decode("utf-8-sig").startswith('"BÁO CÁO ĐỐI SOÁT')),
                                 ("pdf", lambda d: d.startswith(b"%PDF-")), ("xlsx", lambda d: d.startswith(b"PK"))):
            with approver.expect_download() as download:
                approver.locator(f"#report-{fmt}").click()
            data = download.value.path().read_bytes()
            assert looks_right(data), (fmt, data[:20])
            assert hashlib.sha256(data).hexdigest() == approver.locator(f"#hash-{fmt}").inner_text()
    finally:
        approver_context.close()


def test_a_file_the_bank_did_not_make_is_explained_in_vietnamese_without_leaving_the_page(page, served, people,
                                                                                        tmp_path):
    url = served.url
    bad = tmp_path / "khong-phai-sao-ke.csv"
    bad.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    log_in(page, url, "ketoan")
    page.goto(f"{url}/staff/finance/statements")
    page.get_by_label("Tệp sao kê").set_input_files(str(bad))
    page.get_by_role("button", name="Tải lên").click()
    error = page.locator("#upload-error")
    error.wait_for()
    assert error.inner_text() == "Không tìm thấy các cột bắt buộc (ngày, số tiền, nội dung) trong tệp."
    assert page.url.endswith("/staff/finance/statements")
    assert_accessible(page)


def test_every_section_is_usable_on_a_phone_and_in_english(page, served, people):
    url = served.url
    log_in(page, url, "ketoan")
    for section in ("", "statements", "exceptions", "suspense", "refunds"):
        page.goto(f"{url}/staff/finance/{section}?date={DAY}")
        assert fits_the_screen(page), section
        assert_accessible(page)
    page.goto(f"{url}/staff/finance/?date={DAY}&lang=en")
    assert page.get_by_role("heading", name="Collections by channel, 30 days").is_visible()
    snapshot(page, "5_english_overview")
