"""Pages in a real browser, twelfth QA round: a statement refused for a control character in a memo, uploaded
with the page's script, names the field as the server's sentence does (not "(, dòng 1)")."""
from tests.e2e.test_finance_workspace import log_in, people  # noqa: F401
from web.finance_text import error_sentence


def test_a_memo_with_a_control_character_is_refused_naming_the_field_and_line(page, served, people, tmp_path):
    bad = tmp_path / "sao-ke.csv"
    bad.write_text("Ngày,Số tiền,Nội dung\n24/11/2026,100.000,chuyen tien\x01 le phi\n", encoding="utf-8")
    log_in(page, served.url, "ketoan")
    page.goto(f"{served.url}/staff/finance/statements")
    page.get_by_label("Tệp sao kê").set_input_files(str(bad))
    page.get_by_role("button", name="Tải lên").click()
    error = page.locator("#upload-error")
    error.wait_for()
    said = error.inner_text()
    assert "nội dung chuyển khoản, dòng 1" in said and said == error_sentence("invalid_text", {"field": "memo",
                                                                                              "line_no": 1}), said


def test_an_upload_the_network_drops_is_said_in_words_not_as_a_code(page, served, people, tmp_path):
    path = tmp_path / "sao-ke.csv"
    path.write_text("Ngày,Số tiền,Nội dung\n24/11/2026,100.000,le phi\n", encoding="utf-8")
    log_in(page, served.url, "ketoan")
    page.goto(f"{served.url}/staff/finance/statements")
    page.route("**/api/v1/reconciliation/statements", lambda route: route.abort())  # the connection drops
    page.get_by_label("Tệp sao kê").set_input_files(str(path))
    page.get_by_role("button", name="Tải lên").click()
    error = page.locator("#upload-error")
    error.wait_for()
    assert error.inner_text() == "Không gửi được tệp: mất kết nối tới máy chủ. Vui lòng kiểm tra mạng rồi tải lên lại."


def test_a_mistyped_code_is_typed_again_on_the_page_that_says_so(page, served):
    from tests.e2e.conftest import assert_accessible

    page.goto(f"{served.url}/pay/HS12345678900")
    assert_accessible(page)
    page.get_by_label("Nhập lại mã thanh toán").fill("hs 1234 5678 900")
    page.get_by_role("button", name="Xem trang thanh toán").click()
    page.wait_for_url(f"{served.url}/pay/HS12345678900")
