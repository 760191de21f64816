"""One rule for the day a staff page is about (`web.dates.asked_day`): no `?date=` is today in Hà Nội; one that
is not a day is a 400 saying "Ngày không hợp lệ." over today's page, on the finance pages as on the postal
board (the finance pages showed today's page with 200, which a link checker or a bookmark read as fine)."""
import re

import pytest

from kernel.clock import business_date, now_utc
from kernel.users import create_user
from tests.api.test_pages import PASSWORD, log_in
from tests.conftest import T0

FINANCE_PAGES = ("/staff/finance/", "/staff/finance/statements", "/staff/finance/exceptions",
                 "/staff/finance/suspense", "/staff/finance/refunds")
BAD_DAYS = ("2026-13-45", "abc", "31/02/2026", "2026-02-30")


def says_invalid_day(html: str) -> bool:
    """The sentence shown as an alert (the statements page also carries it among its script's texts)."""
    return re.search(r'role="alert"[^>]*>\s*Ngày không hợp lệ\.\s*<', html) is not None


def signed_in(client, db, username: str, *roles: str):
    with db() as s, s.begin():
        create_user(s, username=username, full_name="Lê Thị Lan", roles=list(roles), password=PASSWORD, now=T0)
    log_in(client, username)
    return client


@pytest.mark.parametrize("bad", BAD_DAYS)
def test_an_invalid_day_on_a_finance_page_is_a_400_saying_so_as_on_the_postal_board(client, db, bad):
    signed_in(client, db, "ketoan", "finance", "postal")
    today = business_date(now_utc())
    for path in (*FINANCE_PAGES, "/staff/postal/"):
        r = client.get(path, query_string={"date": bad})
        html = r.get_data(as_text=True)
        assert r.status_code == 400 and says_invalid_day(html), (path, bad, r.status_code)
        assert today.strftime("%d/%m/%Y") in html, (path, bad)  # the page of today, as the board shows it


def test_no_day_is_today_and_a_good_day_is_that_day_on_both(client, db):
    signed_in(client, db, "ketoan", "finance", "postal")
    today = business_date(now_utc())
    for path in (*FINANCE_PAGES, "/staff/postal/"):
        plain = client.get(path)
        assert plain.status_code == 200 and today.strftime("%d/%m/%Y") in plain.get_data(as_text=True), path
        typed = client.get(path, query_string={"date": "24/11/2026"})
        assert typed.status_code == 200 and "24/11/2026" in typed.get_data(as_text=True), path
        iso = client.get(path, query_string={"date": "2026-11-24"})
        assert iso.status_code == 200 and not says_invalid_day(iso.get_data(as_text=True)), path


def test_a_form_sent_with_an_unreadable_day_still_goes_back_to_a_page(client, db):
    """A form's `date` only says which page to go back to: the form's own work is never undone by it."""
    signed_in(client, db, "ketoan", "finance")
    page = client.get("/staff/finance/refunds").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/staff/finance/payments/999999/refunds",
                    data={"csrf_token": token, "date": "abc", "reason": "x", "amount_vnd": "1000"})
    assert r.status_code in (302, 303), r.status_code
