"""Round 17: a transfer refund the bank returned (wrong account, closed account) is marked failed on the
refunds page, with a reason, as `POST /refunds/<id>/failed` does: the money is the request's again."""
import re

import pytest

from kernel.users import create_user
from tests.api.test_finance_pages import logged_in, post
from tests.api.test_pages import PASSWORD
from tests.api.test_refunds import paid, refund
from tests.conftest import T0

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test

DESK = "/staff/finance/refunds"


@pytest.fixture
def finance(app, db):
    with db() as s, s.begin():
        for username, roles in (("ketoan", ["finance"]), ("kiemtoan", ["auditor"])):
            create_user(s, username=username, full_name="Phạm Thu Hà", roles=roles, password=PASSWORD, now=T0)
    return logged_in(app, "ketoan")


def ordered(client, auth, settings) -> tuple[str, int, int]:
    code, payment_id = paid(client, auth, settings)
    r = refund(client, auth, payment_id, 100_000, 100_000)
    assert r.json["status"] == "transfer_ordered"
    return code, payment_id, r.json["id"]


def test_an_order_shows_a_bounced_action_beside_executed(client, auth, test_settings, finance):
    _, _, refund_id = ordered(client, auth, test_settings)
    html = finance.get(DESK).get_data(as_text=True)
    row = re.search(rf'<tr id="order-refund-{refund_id}">.*?</tr>', html, re.S).group(0)
    assert f'action="{DESK}/{refund_id}/failed"' in row and "Chuyển khoản không thành công" in row
    assert "Transfer returned" in finance.get(f"{DESK}?lang=en").get_data(as_text=True)


def test_a_bounced_transfer_gives_the_money_back_to_the_request(client, auth, test_settings, finance):
    code, payment_id, refund_id = ordered(client, auth, test_settings)
    assert client.get(f"/api/v1/payment-requests/{code}").json["status"] == "refunded"
    html = post(finance, f"{DESK}/{refund_id}/failed", reason="Sai số tài khoản người nhận")
    assert "Đã ghi nhận chuyển khoản hoàn không thành công: tiền trở lại hồ sơ." in html
    answer = client.get(f"/api/v1/refunds/{refund_id}", headers=auth("finance")).json
    assert (answer["status"], answer["failure"]) == ("failed", "Sai số tài khoản người nhận")
    assert client.get(f"/api/v1/payment-requests/{code}").json["status"] == "paid"
    assert client.get(f"/api/v1/payments/{payment_id}/refunds", headers=auth("finance")).json["refundable_vnd"] == \
        100_000


def test_a_bounce_needs_a_reason_and_one_already_executed_cannot_bounce(client, auth, test_settings, finance):
    _, _, refund_id = ordered(client, auth, test_settings)
    html = post(finance, f"{DESK}/{refund_id}/failed", reason=" ")
    assert "Vui lòng" in html
    assert client.get(f"/api/v1/refunds/{refund_id}", headers=auth("finance")).json["status"] == "transfer_ordered"
    post(finance, f"{DESK}/{refund_id}/executed", bank_reference="FT26330077")
    html = post(finance, f"{DESK}/{refund_id}/failed", reason="Ngân hàng trả lại")
    assert "Khoản hoàn này không ở trạng thái chờ chi." in html
    assert client.get(f"/api/v1/refunds/{refund_id}", headers=auth("finance")).json["status"] == "executed"


def test_a_cash_refund_is_not_finances_to_fail(client, auth, test_settings, finance):
    from tests.factories import make_request

    code = make_request(client, auth)
    cash = client.post("/api/v1/payments/cash", json={"payment_code": code, "amount_vnd": 100_000},
                       headers=auth("cashier")).json
    r = refund(client, auth, cash["id"], 100_000, 100_000)
    html = post(finance, f"{DESK}/{r.json['id']}/failed", reason="Người nộp không đến")
    assert "Kế toán chỉ xác nhận các khoản hoàn bằng chuyển khoản." in html
    assert client.get(f"/api/v1/refunds/{r.json['id']}", headers=auth("finance")).json["status"] == "cash_due"
