"""The counter page (`/staff/counter/`): a cashier's cash payments of today, each with "Hủy giao dịch"
and a reason; a refused void says why in Vietnamese and keeps the reason typed."""
import re

import pytest
from sqlalchemy import select

from kernel.users import create_user
from payments.models import CashDrawer
from tests.api.test_pages import PASSWORD, log_in
from tests.conftest import T0
from tests.factories import make_request

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test

DESK = "/staff/counter/"
REASON = "Gõ nhầm số tiền"


@pytest.fixture
def people(db):
    with db() as s, s.begin():
        for username, roles in (("thungan", ["cashier"]), ("thungan2", ["cashier"]), ("ketoan", ["finance"]),
                                ("motcua", ["intake"])):
            create_user(s, username=username, full_name="Đỗ Thị Mai", roles=roles, password=PASSWORD, now=T0)


def logged_in(app, username):
    client = app.test_client()
    assert log_in(client, username).status_code == 302
    return client


def csrf(client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(DESK).get_data(as_text=True)).group(1)


@pytest.fixture
def cashier(app, people):
    return logged_in(app, "thungan")


def take(cashier, client, auth, amount=100_000) -> int:
    """Cash taken by the logged-in cashier (the API with the page's session), for a new request."""
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    r = cashier.post("/api/v1/payments/cash", json={"payment_code": code, "amount_vnd": amount},
                     headers={"X-CSRF-Token": csrf(cashier)})
    assert r.status_code == 201, r.json
    return r.json["id"]


def void(cashier, payment_id, **form):
    r = cashier.post(f"{DESK}payments/{payment_id}/void", data={"csrf_token": csrf(cashier), **form})
    assert r.status_code == 303, r.get_data(as_text=True)[:500]
    return cashier.get(r.headers["Location"]).get_data(as_text=True)


def test_a_cashier_lands_on_the_counter_and_sees_todays_cash_with_a_void_action(cashier, client, auth):
    payment_id = take(cashier, client, auth, 60_000)
    assert cashier.get("/staff/").headers["Location"].endswith(DESK)
    html = cashier.get(DESK).get_data(as_text=True)
    assert f'id="payment-{payment_id}"' in html and "60.000" in html and "Hủy giao dịch" in html
    assert f'action="{DESK}payments/{payment_id}/void"' in html
    assert "Void transaction" in cashier.get(f"{DESK}?lang=en").get_data(as_text=True)


def test_the_cashier_voids_with_a_reason(cashier, client, auth):
    payment_id = take(cashier, client, auth)
    html = void(cashier, payment_id, reason=REASON)
    assert f"Đã hủy giao dịch #{payment_id}" in html
    row = re.search(rf'<tr id="payment-{payment_id}">.*?</tr>', html, re.S).group(0)
    assert "Đã hủy" in row and REASON in row and "<form" not in row  # nothing left to void
    assert client.get(f"/api/v1/payments/{payment_id}", headers=auth("finance")).json["status"] == "reversed"


def test_a_void_without_a_reason_is_refused_in_vietnamese(cashier, client, auth):
    payment_id = take(cashier, client, auth)
    html = void(cashier, payment_id, reason="  ")
    assert "Vui lòng" in html and "lý do" in html.lower()
    assert client.get(f"/api/v1/payments/{payment_id}", headers=auth("finance")).json["status"] == "active"


def test_a_refused_void_keeps_the_reason_typed(cashier, client, auth):
    payment_id = take(cashier, client, auth)
    refund = client.post(f"/api/v1/payments/{payment_id}/refunds", headers=auth("finance"), json={
        "amount_vnd": 10_000, "expected_refundable_vnd": 100_000, "reason": "Thu thừa"})
    assert refund.status_code == 201, refund.json
    html = void(cashier, payment_id, reason=REASON)
    assert "đã có đề nghị hoàn tiền" in html
    assert f'value="{REASON}"' in html and "<details class=\"action\" open>" in html
    assert client.get(f"/api/v1/payments/{payment_id}", headers=auth("finance")).json["status"] == "active"


def test_no_void_once_the_drawer_closed_meanwhile(cashier, client, auth, db):
    payment_id = take(cashier, client, auth)
    with db() as s, s.begin():
        s.execute(select(CashDrawer)).scalar_one().closed_at = T0  # closed from another tab, or by finance
    html = void(cashier, payment_id, reason=REASON)
    assert "Ngăn kéo tiền mặt đã đóng" in html and "Đã đóng lúc" in html
    assert f'action="{DESK}payments/{payment_id}/void"' not in html  # no void offered any more
    assert client.get(f"/api/v1/payments/{payment_id}", headers=auth("finance")).json["status"] == "active"


def test_another_cashier_sees_none_of_it_and_may_not_void_it(app, cashier, client, auth):
    payment_id = take(cashier, client, auth)
    other = logged_in(app, "thungan2")
    assert f"payment-{payment_id}" not in other.get(DESK).get_data(as_text=True)
    assert "Thu ngân chỉ hủy được giao dịch do mình thu" in void(other, payment_id, reason=REASON)
    assert client.get(f"/api/v1/payments/{payment_id}", headers=auth("finance")).json["status"] == "active"


def test_only_cashiers_enter_the_counter(app, people, client):
    assert client.get(DESK).status_code == 302 and "/staff/login" in client.get(DESK).headers["Location"]
    assert client.post(f"{DESK}payments/1/void").status_code == 401
    for username in ("ketoan", "motcua"):
        assert logged_in(app, username).get(DESK).status_code == 403


def test_the_drawer_expects_exactly_the_cash_still_standing_after_a_void(cashier, client, auth):
    kept = take(cashier, client, auth, 100_000)
    wrong = take(cashier, client, auth, 60_000)
    before = re.search(r'<strong id="expected">([^<]+)</strong>', cashier.get(DESK).get_data(as_text=True)).group(1)
    assert before.startswith("160.000")
    html = void(cashier, wrong, reason=REASON)
    assert re.search(r'<strong id="expected">([^<]+)</strong>', html).group(1).startswith("100.000")
    kept_row = re.search(rf'<tr id="payment-{kept}">.*?</tr>', html, re.S).group(0)
    assert "Đã thu" in kept_row and "<form" in kept_row  # the other payment is left alone, still voidable
    drawers = client.get("/api/v1/cash/drawers", headers=auth("finance")).json["drawers"]
    assert [d["balance_vnd"] for d in drawers] == [100_000]


def test_other_roles_land_where_they_did_and_a_cashier_who_is_also_finance_chooses(app, db):
    with db() as s, s.begin():
        create_user(s, username="ca2vai", full_name="Lê Văn Bình", roles=["cashier", "finance"], password=PASSWORD,
                    now=T0)
        create_user(s, username="ketoan9", full_name="Lê Văn Bình", roles=["finance"], password=PASSWORD, now=T0)
    both = logged_in(app, "ca2vai").get("/staff/")
    html = both.get_data(as_text=True)
    assert both.status_code == 200 and DESK in html and "/staff/finance/" in html  # two areas: a choice
    assert logged_in(app, "ketoan9").get("/staff/").headers["Location"].endswith("/staff/finance/")
