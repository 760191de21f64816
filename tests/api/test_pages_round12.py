"""Pages, twelfth QA round: staff forms read a payment code as people type it (bank memos group it: "HS 231
010732 19"), and a refused code is named in the sentence."""
import pytest

from tests.api.test_finance_pages import finance, line_json, logged_in, paid_vnd, people, post, unmatched_line  # noqa: F401
from tests.factories import make_request, send_callback

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def grouped(code: str, separator: str = " ") -> str:
    """A code as bank memos write it (`HS 231 010732 19`, `hs-231-010732-19`)."""
    return separator.join((code[:2], code[2:5], code[5:11], code[11:]))


def test_a_line_is_matched_to_a_code_typed_as_the_memo_groups_it(client, auth, finance):
    code, line = unmatched_line(client, auth)
    html = post(finance, f"/staff/finance/lines/{line['id']}/match", payment_code=f" {grouped(code)} ",
                reason="mã trong nội dung chuyển khoản")
    assert "Đã khớp dòng sao kê." in html and paid_vnd(client, code) == 100_000


def test_money_in_suspense_is_assigned_to_a_code_typed_in_lower_case_with_dashes(client, auth, finance):
    code, line = unmatched_line(client, auth)
    html = post(finance, f"/staff/finance/suspense/{line['payment_id']}/assign",
                payment_code=grouped(code, "-").lower(), reason="gọi điện xác nhận")
    assert "Đã gán tiền tạm treo cho hồ sơ." in html and paid_vnd(client, code) == 100_000


def test_the_refund_desk_finds_the_payments_of_a_code_typed_with_spaces(client, auth, test_settings, finance):
    code = make_request(client, auth, ("Lệ phí", "charge", 300_000))
    send_callback(client, test_settings, "bank", code=code, amount=300_000)
    html = finance.get("/staff/finance/refunds", query_string={"q": grouped(code)}).get_data(as_text=True)
    assert "Các khoản thu của hồ sơ" in html and "không hợp lệ" not in html


def test_a_mistyped_code_among_several_is_named_in_the_refusal(client, auth, finance):
    first = make_request(client, auth, ("Lệ phí", "charge", 30_000))
    _, line = unmatched_line(client, auth)
    wrong = first[:-1] + str((int(first[-1]) + 1) % 10)  # one digit mistyped: the check digits say so
    html = post(finance, f"/staff/finance/lines/{line['id']}/match", reason="hai hồ sơ",
                payment_code=[first, wrong], amount_vnd=["30000", "70000"])
    assert f"Mã thanh toán không hợp lệ ({wrong})" in html and paid_vnd(client, first) == 0
