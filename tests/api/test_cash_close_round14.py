"""Round 14: a drawer's large count difference is confirmed by the amount shown, not by a bare flag.

Between the 409 the cashier read and the confirmed close, what the drawer should hold may change (a
take or a void at another desk of the same drawer, finance booking something): the difference then
booked is not the one anybody confirmed. The confirmation names the difference it confirms
(`confirmed_difference_vnd`, the 409's `difference_vnd`); another difference now is 409 again with it."""
import json

import pytest
from sqlalchemy import select

from kernel.audit import AuditEntry
from payments.ledger import Accounts, balance
from tests.api.test_cash_void_page import DESK, csrf, logged_in, people, take  # noqa: F401 (people: fixture)
from tests.api.test_money_round8 import close, drawers, take_cash
from tests.api.test_money_round9 import close_body
from tests.factories import make_request

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def test_a_confirmation_names_the_difference_and_a_changed_difference_is_asked_again(client, auth, db):
    code = make_request(client, auth)
    assert take_cash(client, auth, code, 100_000).status_code == 201
    [drawer] = drawers(client, auth)
    asked = close(client, auth, drawer["id"], 1_000_000)
    assert asked.status_code == 409 and asked.json["details"]["difference_vnd"] == 900_000
    # meanwhile the drawer takes more cash: the difference is now 800,000, not the 900,000 seen
    assert take_cash(client, auth, make_request(client, auth), 100_000).status_code == 201
    r = close_body(client, auth, drawer["id"], {"counted_vnd": 1_000_000, "confirm_difference": True,
                                                 "confirmed_difference_vnd": 900_000})
    assert r.status_code == 409 and r.json["code"] == "confirmation_stale", r.json
    details = r.json["details"]
    assert details["parameter"] == "confirmed_difference_vnd" and details["confirmed_difference_vnd"] == 900_000
    assert (details["expected_vnd"], details["difference_vnd"]) == (200_000, 800_000)
    assert drawers(client, auth)[0]["closed_at"] is None
    with db() as s:
        assert balance(s, Accounts.CASH_OVER_SHORT) == 0
    r = close_body(client, auth, drawer["id"], {"counted_vnd": 1_000_000, "confirm_difference": True,
                                                 "confirmed_difference_vnd": 800_000})
    assert r.status_code == 200 and r.json["difference_vnd"] == 800_000, r.json
    with db() as s:
        audit = s.execute(select(AuditEntry.data).where(AuditEntry.action == "cash_drawer.close")).scalar_one()
        assert json.loads(audit)["confirmed_difference_vnd"] == 800_000


def test_a_bare_flag_no_longer_confirms_a_large_difference(client, auth):
    code = make_request(client, auth)
    assert take_cash(client, auth, code, 100_000).status_code == 201
    [drawer] = drawers(client, auth)
    r = close_body(client, auth, drawer["id"], {"counted_vnd": 1_000_000, "confirm_difference": True})
    assert r.status_code == 400 and r.json["code"] == "missing_field", r.json
    assert r.json["details"] == {"field": "confirmed_difference_vnd"}
    assert drawers(client, auth)[0]["closed_at"] is None


@pytest.mark.parametrize("body, field", [
    ({"confirmed_difference_vnd": 900_000}, "confirm_difference"),
    ({"confirm_difference": True, "confirmed_difference_vnd": "900000"}, "confirmed_difference_vnd"),
    ({"confirm_difference": True, "confirmed_difference_vnd": 1.5}, "confirmed_difference_vnd"),
])
def test_a_confirmation_half_given_or_not_a_whole_number_is_a_400_naming_it(client, auth, body, field):
    code = make_request(client, auth)
    assert take_cash(client, auth, code, 100_000).status_code == 201
    [drawer] = drawers(client, auth)
    r = close_body(client, auth, drawer["id"], {"counted_vnd": 1_000_000, **body})
    assert r.status_code == 400, r.json
    assert field in (r.json["details"].get("field"), r.json["details"].get("parameter"))
    assert drawers(client, auth)[0]["closed_at"] is None


def test_a_small_difference_closes_without_a_confirmation_whatever_it_names(client, auth):
    code = make_request(client, auth)
    assert take_cash(client, auth, code, 100_000).status_code == 201
    [drawer] = drawers(client, auth)
    r = close_body(client, auth, drawer["id"], {"counted_vnd": 90_000, "confirm_difference": True,
                                                 "confirmed_difference_vnd": 900_000})
    assert r.status_code == 200 and r.json["difference_vnd"] == -10_000


def test_the_counter_page_confirms_the_difference_it_showed(app, client, auth, people, db):
    cashier = logged_in(app, "thungan")
    take(cashier, client, auth, 100_000)
    [drawer] = drawers(client, auth)
    url = f"{DESK}drawers/{drawer['id']}/close"
    assert cashier.post(url, data={"csrf_token": csrf(cashier), "counted_vnd": "1000000"}).status_code == 303
    html = cashier.get(DESK).get_data(as_text=True)
    assert 'name="confirmed_difference_vnd" value="900000"' in html  # the figure shown rides with the box
    take(cashier, client, auth, 100_000)  # the drawer changes before the box is ticked
    r = cashier.post(url, data={"csrf_token": csrf(cashier), "counted_vnd": "1000000", "confirm_difference": "1",
                                "confirmed_difference_vnd": "900000"})
    assert r.status_code == 303
    html = cashier.get(DESK).get_data(as_text=True)
    assert drawers(client, auth)[0]["closed_at"] is None
    assert "+800.000 ₫" in html and "+900.000 ₫" in html  # the new figure, and the one confirmed
    assert 'name="confirmed_difference_vnd" value="800000"' in html
    r = cashier.post(url, data={"csrf_token": csrf(cashier), "counted_vnd": "1000000", "confirm_difference": "1",
                                "confirmed_difference_vnd": "800000"})
    assert r.status_code == 303
    assert drawers(client, auth)[0]["closed_at"] is not None
