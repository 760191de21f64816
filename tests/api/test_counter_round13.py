"""The counter and finance pages, QA round 13: a cash difference reads "+900.000 ₫" / "−2.000 ₫" wherever a page
shows one (a true minus, one helper), and a count typed `1.000.000,00` is whole đồng while `100.000,50` is refused
as a fraction of a đồng."""
import pytest

from kernel.users import create_user
from tests.api.test_cash_void_page import DESK, csrf, logged_in, take
from tests.api.test_money_round8 import drawers
from tests.api.test_pages import PASSWORD
from tests.conftest import T0

MINUS = "\u2212"

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


@pytest.fixture
def people(db):
    with db() as s, s.begin():
        create_user(s, username="thungan", full_name="Đỗ Thị Mai", roles=["cashier"], password=PASSWORD, now=T0)
        create_user(s, username="ketoan", full_name="Lê Thị Lan", roles=["finance"], password=PASSWORD, now=T0)


def test_a_drawer_short_at_close_reads_with_a_true_minus_and_one_over_with_a_plus(app, client, auth, people):
    cashier = logged_in(app, "thungan")
    take(cashier, client, auth, 100_000)
    [drawer] = drawers(client, auth)
    r = cashier.post(f"{DESK}drawers/{drawer['id']}/close", data={"csrf_token": csrf(cashier), "counted_vnd": "98.000"})
    assert r.status_code == 303
    html = cashier.get(DESK).get_data(as_text=True)
    assert f"chênh lệch {MINUS}2.000 ₫" in html  # the flash after the close
    assert f'<dd id="difference">{MINUS}2.000 ₫</dd>' in html
    finance = logged_in(app, "ketoan")
    html = finance.get("/staff/finance/").get_data(as_text=True)
    assert f'<strong id="over-short">{MINUS}2.000 ₫</strong>' in html
    row = html.split(f'id="drawer-{drawer["id"]}"', 1)[1].split("</tr>", 1)[0]
    assert f"{MINUS}2.000 ₫" in row and "-2.000" not in row


def test_a_count_far_over_asks_for_a_confirmation_naming_a_signed_difference(app, client, auth, people):
    cashier = logged_in(app, "thungan")
    take(cashier, client, auth, 100_000)
    [drawer] = drawers(client, auth)
    r = cashier.post(f"{DESK}drawers/{drawer['id']}/close",
                     data={"csrf_token": csrf(cashier), "counted_vnd": "1.000.000,00"})
    html = cashier.get(r.headers["Location"]).get_data(as_text=True)
    assert "chênh lệch +900.000 ₫ so với số phải có trong ngăn kéo 100.000 ₫" in html
    assert 'value="1.000.000,00"' in html  # the count kept as typed


def test_a_count_with_a_fraction_of_a_dong_is_refused_saying_so(app, client, auth, people):
    cashier = logged_in(app, "thungan")
    take(cashier, client, auth, 100_000)
    [drawer] = drawers(client, auth)
    r = cashier.post(f"{DESK}drawers/{drawer['id']}/close",
                     data={"csrf_token": csrf(cashier), "counted_vnd": "100.000,50"})
    html = cashier.get(r.headers["Location"]).get_data(as_text=True)
    assert "Tiền mặt đếm được phải là số nguyên đồng, không có phần lẻ dưới một đồng" in html
    assert drawers(client, auth)[0]["counted_vnd"] is None
    cashier.post(f"{DESK}drawers/{drawer['id']}/close", data={"csrf_token": csrf(cashier), "counted_vnd": "100.000,00"})
    assert drawers(client, auth)[0]["counted_vnd"] == 100_000
