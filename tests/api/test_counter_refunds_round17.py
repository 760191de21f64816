"""Round 17: cash refunds at the counter page. A cash refund waits for a cashier to hand the money over
(`cash_due`); the counter page lists them and records the handover, or that the payer never came for it,
as `POST /refunds/<id>/executed` and `/failed` do for a cashier through the API."""
import re

import pytest
from sqlalchemy import select

from kernel.outbox import OutboxMessage
from kernel.users import create_user
from tests.api.test_cash_void_page import DESK, csrf, logged_in, take
from tests.api.test_pages import PASSWORD
from tests.conftest import T0

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


@pytest.fixture
def staff(db):
    with db() as s, s.begin():
        for username, roles in (("thungan", ["cashier"]), ("thungan2", ["cashier"]), ("ketoan", ["finance"])):
            create_user(s, username=username, full_name="Đỗ Thị Mai", roles=roles, password=PASSWORD, now=T0)


@pytest.fixture
def cashier(app, staff):
    return logged_in(app, "thungan")


def cash_refund(cashier, client, auth, taken=100_000, refunded=30_000, reason="Thu thừa lệ phí") -> tuple[int, int]:
    payment_id = take(cashier, client, auth, taken)
    r = client.post(f"/api/v1/payments/{payment_id}/refunds", headers=auth("finance"), json={
        "amount_vnd": refunded, "expected_refundable_vnd": taken, "reason": reason})
    assert r.status_code == 201 and r.json["status"] == "cash_due", r.json
    return payment_id, r.json["id"]


def post(page_client, path, **form) -> str:
    r = page_client.post(f"{DESK}{path}", data={"csrf_token": csrf(page_client), **form})
    assert r.status_code == 303, r.get_data(as_text=True)[:500]
    return page_client.get(r.headers["Location"]).get_data(as_text=True)


def refund_status(client, auth, refund_id) -> str:
    return client.get(f"/api/v1/refunds/{refund_id}", headers=auth("finance")).json["status"]


def expected_in_drawer(html) -> str:
    return re.search(r'<strong id="expected">([^<]+)</strong>', html).group(1)


def test_a_cash_refund_due_is_listed_with_what_to_hand_over_and_to_whom(cashier, client, auth):
    payment_id, refund_id = cash_refund(cashier, client, auth)
    html = cashier.get(DESK).get_data(as_text=True)
    row = re.search(rf'<tr id="refund-{refund_id}">.*?</tr>', html, re.S).group(0)
    code = client.get(f"/api/v1/payments/{payment_id}", headers=auth("finance")).json["allocations"][0]["payment_code"]
    assert "30.000" in row and code in row and "Thu thừa lệ phí" in row and "Nguyễn Văn An" in row
    assert f'action="{DESK}refunds/{refund_id}/paid"' in row and f'action="{DESK}refunds/{refund_id}/failed"' in row
    assert "Cash refunds to hand over" in cashier.get(f"{DESK}?lang=en").get_data(as_text=True)


def test_the_cashier_hands_it_over_from_the_drawer_and_the_citizen_is_told(cashier, client, auth, db):
    _, refund_id = cash_refund(cashier, client, auth)
    html = post(cashier, f"refunds/{refund_id}/paid")
    assert f"Đã trả 30.000 ₫ cho người nộp (khoản hoàn #{refund_id})." in html
    assert expected_in_drawer(html).startswith("70.000")  # the drawer paid it out
    assert f'id="refund-{refund_id}"' not in html  # nothing left to hand over
    assert refund_status(client, auth, refund_id) == "executed"
    with db() as s:
        texts = [m.payload["text"] for m in s.execute(select(OutboxMessage).where(OutboxMessage.topic == "sms"))
                 .scalars()]
    assert any(t.startswith("TT Phục vụ HCC: Đã hoàn trả 30.000 ₫") for t in texts)


def test_a_drawer_without_that_much_cash_refuses_in_vietnamese_and_nothing_moves(app, cashier, client, auth):
    _, refund_id = cash_refund(cashier, client, auth)
    other = logged_in(app, "thungan2")  # took no cash today
    html = post(other, f"refunds/{refund_id}/paid")
    assert "Ngăn kéo tiền mặt chỉ còn 0 ₫, không đủ để trả lại số tiền này." in html
    assert refund_status(client, auth, refund_id) == "cash_due" and f'id="refund-{refund_id}"' in html


def test_a_refund_the_payer_never_collected_gives_the_money_back_to_the_request(cashier, client, auth):
    payment_id, refund_id = cash_refund(cashier, client, auth)
    html = post(cashier, f"refunds/{refund_id}/failed", reason="Người nộp không đến nhận")
    assert f"Đã ghi nhận không chi khoản hoàn #{refund_id}: tiền trở lại hồ sơ." in html
    assert refund_status(client, auth, refund_id) == "failed"
    assert expected_in_drawer(html).startswith("100.000")  # nothing left the drawer
    refundable = client.get(f"/api/v1/payments/{payment_id}/refunds", headers=auth("finance")).json
    assert refundable["refundable_vnd"] == 100_000


def test_never_collected_needs_a_reason_which_a_refusal_keeps(cashier, client, auth):
    _, refund_id = cash_refund(cashier, client, auth)
    html = post(cashier, f"refunds/{refund_id}/failed", reason="  ")
    assert "Vui lòng" in html and refund_status(client, auth, refund_id) == "cash_due"
    post(cashier, f"refunds/{refund_id}/paid")
    html = post(cashier, f"refunds/{refund_id}/failed", reason="Người nộp không đến")
    assert "Khoản hoàn này không ở trạng thái chờ chi." in html  # handed over meanwhile: it cannot fail
    assert refund_status(client, auth, refund_id) == "executed"


def test_a_transfer_refund_is_not_the_counters(cashier, client, auth, test_settings):
    from tests.api.test_refunds import paid, refund

    _, payment_id = paid(client, auth, test_settings)
    r = refund(client, auth, payment_id, 10_000, 100_000)
    assert r.json["status"] == "transfer_ordered"
    assert f'id="refund-{r.json["id"]}"' not in cashier.get(DESK).get_data(as_text=True)
    html = post(cashier, f"refunds/{r.json['id']}/paid")
    assert "Thu ngân chỉ chi các khoản hoàn bằng tiền mặt." in html
    assert refund_status(client, auth, r.json["id"]) == "transfer_ordered"


def test_only_cashiers_hand_over_cash(app, staff, client):
    assert client.post(f"{DESK}refunds/1/paid").status_code == 401
    finance = logged_in(app, "ketoan")
    r = finance.post(f"{DESK}refunds/1/paid", data={"csrf_token": "x"})
    assert r.status_code in (400, 403)


def test_a_second_press_does_not_read_as_a_second_handover(cashier, client, auth):
    _, refund_id = cash_refund(cashier, client, auth)
    post(cashier, f"refunds/{refund_id}/paid")
    html = post(cashier, f"refunds/{refund_id}/paid")  # a double click, or a page left open since
    assert "Khoản hoàn tiền mặt này đã được Đỗ Thị Mai chi trả lúc" in html
    assert "Đã trả 30.000 ₫" not in html and expected_in_drawer(html).startswith("70.000")  # paid out once
