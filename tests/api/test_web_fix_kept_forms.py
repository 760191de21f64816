"""A refused postal board or admin form comes back holding what was typed (`web.forms`, as the finance
forms do): the page that says why, answered with the refusal's status, shows that form again filled in,
so nobody retypes a reason, a route and a date because one of them was wrong. Never a password, and
never into another form of the page (another shipment's, another user's, another outcome's)."""
import html as html_lib
import re

from tests.api.test_pages import page_csrf, staff_user  # noqa: F401 (fixture)
from tests.api.test_postal_board import BOARD, day, postal_client  # noqa: F401 (fixtures)
from tests.api.test_web_fix_admin_text import PASSWORD, admin_page  # noqa: F401 (fixture)
from tests.postal_factories import make_booked_shipment, make_route

LONG = "chữ " * 300  # 1200 characters: over the 1000 a reason or note takes


def form(page: str, action: str, *, containing: str = "") -> str:
    """The HTML of the (first) form posting to `action` that contains `containing`."""
    found = [f for f in re.findall(r"<form\b[^>]*>.*?</form>", page, re.S)
             if f'action="{action}"' in f and containing in f]
    assert found, action
    return found[0]


def value(form_html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', form_html)
    typed = re.search(r'\bvalue="([^"]*)"', match.group(0)) if match else None
    return html_lib.unescape(typed.group(1)) if typed else ""


def chosen(form_html: str, name: str) -> list[str]:
    """The options selected in the select `name`, or the boxes ticked among the checkboxes `name`."""
    select = re.search(rf'<select[^>]*\bname="{name}"[^>]*>(.*?)</select>', form_html, re.S)
    if select:  # an option's value, or its text when it has none
        return [value or text for value, text in re.findall(
            r'<option\b(?=[^>]*\bselected)(?:[^>]*\bvalue="([^"]*)")?[^>]*>([^<]*)</option>', select.group(1))]
    return re.findall(rf'<input type="checkbox" name="{name}" value="([^"]*)" checked', form_html)


# --- the postal board ---------------------------------------------------------------------------

def test_a_refused_move_shows_the_move_form_again_with_what_was_typed(
        postal_client, db, test_settings, day):  # noqa: F811
    make_route(db, test_settings, code="HL1")
    make_route(db, test_settings, code="HL2", wards=("06652",))
    moved = make_booked_shipment(db, test_settings, "D-KEEP-1")
    other = make_booked_shipment(db, test_settings, "D-KEEP-2")
    typed = {"date": day.strftime("%d/%m/%Y"), "route": "HL2", "slot": "afternoon", "reason": LONG}
    token = page_csrf(postal_client, BOARD)
    before = postal_client.get(f"{BOARD}?date={day.isoformat()}").get_data(as_text=True)
    r = postal_client.post(f"{BOARD}shipments/{moved}/move", data={
        "csrf_token": token, "board_date": day.isoformat(), **typed})
    assert r.status_code == 400 and "Lý do quá dài" in r.get_data(as_text=True)
    page = r.get_data(as_text=True)
    again = form(page, f"{BOARD}shipments/{moved}/move")
    assert value(again, "reason") == LONG
    assert value(again, "date") == typed["date"]
    assert chosen(again, "route") == ["HL2"] and chosen(again, "slot") == ["afternoon"]
    assert re.search(rf'<details class="action" open>\s*<summary>[^<]*<span class="visually-hidden"> #{moved}<',
                     page)
    other_form = f"{BOARD}shipments/{other}/move"
    assert form(page, other_form) == form(before, other_form)  # another shipment's form: as it was
    # the next page (the board again) is a fresh one
    assert LONG.strip()[:50] not in postal_client.get(f"{BOARD}?date={day.isoformat()}").get_data(as_text=True)


def test_a_refused_outcome_shows_that_outcome_form_again_with_what_was_typed(
        postal_client, db, test_settings, day):  # noqa: F811
    make_route(db, test_settings, code="HL1", morning=5)
    shipment = make_booked_shipment(db, test_settings, "D-KEEP-3", direction="delivery")
    token = page_csrf(postal_client, BOARD)
    postal_client.post(f"{BOARD}plan", data={"board_date": day.isoformat(), "csrf_token": token})
    action = f"{BOARD}shipments/{shipment}/outcome"
    out = postal_client.post(action, data={"csrf_token": token, "board_date": day.isoformat(),
                                           "event": "out_for_delivery"})
    assert out.status_code == 302  # a failure is offered once the delivery is out (round 14)

    failed = postal_client.post(action, data={"csrf_token": token, "board_date": day.isoformat(),
                                              "event": "failed_attempt", "reason": "not_home", "note": LONG})
    assert failed.status_code == 400
    again = form(failed.get_data(as_text=True), action, containing='value="failed_attempt"')
    assert chosen(again, "reason") == ["not_home"] and value(again, "note") == LONG
    handover = form(failed.get_data(as_text=True), action, containing='value="delivered"')
    assert value(handover, "note") == ""  # another outcome's form: as it was

    bad_id = postal_client.post(action, data={"csrf_token": token, "board_date": day.isoformat(),
                                              "event": "delivered", "document_type": "passport", "id_number": "12",
                                              "holder_name": "Phạm Thu Hà", "note": "giao tận tay"})
    assert bad_id.status_code == 400
    again = form(bad_id.get_data(as_text=True), action, containing='value="delivered"')
    assert chosen(again, "document_type") == ["passport"] and value(again, "id_number") == "12"
    assert value(again, "holder_name") == "Phạm Thu Hà" and value(again, "note") == "giao tận tay"


# --- the admin page ------------------------------------------------------------------------------

def test_a_refused_new_user_shows_what_was_typed_but_the_password(admin_page):  # noqa: F811
    r = admin_page.post("/staff/admin/users", data={"csrf_token": page_csrf(admin_page), "username": "binh",
                                                    "full_name": "Trần Thị Bình", "roles": ["finance", "approver"],
                                                    "password": "short-pw"})
    assert r.status_code == 400
    again = form(r.get_data(as_text=True), "/staff/admin/users")
    assert value(again, "username") == "binh" and value(again, "full_name") == "Trần Thị Bình"
    assert chosen(again, "roles") == ["finance", "approver"]
    assert value(again, "password") == "" and "short-pw" not in r.get_data(as_text=True)


def test_a_refused_change_of_a_user_shows_that_user_s_form_as_it_was_sent(admin_page, db):  # noqa: F811
    from sqlalchemy import select

    from kernel.users import User

    created = admin_page.post("/staff/admin/users", data={
        "csrf_token": page_csrf(admin_page), "username": "binh", "full_name": "Bình", "roles": "finance",
        "password": PASSWORD})
    assert created.status_code == 302
    with db() as s:
        users = {u.username: u.id for u in s.execute(select(User)).scalars()}
    action = f"/staff/admin/users/{users['binh']}"
    r = admin_page.post(action, data={"csrf_token": page_csrf(admin_page), "roles": ["finance", "auditor"],
                                      "active": "0", "password": "short-pw"})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    again = form(page, action)
    assert chosen(again, "roles") == ["finance", "auditor"] and chosen(again, "active") == ["0"]
    assert value(again, "password") == "" and "short-pw" not in page
    admin_form = form(page, f"/staff/admin/users/{users['quantri']}")
    assert chosen(admin_form, "roles") == ["admin"] and chosen(admin_form, "active") == []


def test_a_refused_token_shows_its_name_and_role_again(admin_page):  # noqa: F811
    r = admin_page.post("/staff/admin/tokens", data={"csrf_token": page_csrf(admin_page), "role": "auditor",
                                                     "name": "n" * 201})
    assert r.status_code == 400
    again = form(r.get_data(as_text=True), "/staff/admin/tokens")
    assert value(again, "name") == "n" * 201 and chosen(again, "role") == ["auditor"]


def test_a_password_is_never_kept_in_the_page_nor_in_the_session_cookie(app):
    """Whichever way a refused form is kept (`show_kept_form` for the page answered at once, `keep_form` for
    the page after a redirect), a password and the CSRF token are left out: the templates cannot write back
    what was never kept."""
    from flask import g, session

    from web.forms import KEPT, keep_form, show_kept_form

    typed = {"username": "binh", "password": "short-pw", "csrf_token": "t0ken", "roles": "finance"}
    with app.test_request_context("/staff/admin/users", method="POST", data=typed):
        show_kept_form("weak_password")
        keep_form("weak_password")
        for kept in (g.kept_form, session[KEPT]):
            assert kept["fields"] == {"username": ["binh"], "roles": ["finance"]}, kept


def test_a_kept_value_is_written_back_escaped(admin_page, postal_client, db, test_settings, day):  # noqa: F811
    """What was typed goes back into `value="…"` and `<option selected>` as text, never as markup."""
    xss = '"><script>alert(1)</script>'
    r = admin_page.post("/staff/admin/users", data={"csrf_token": page_csrf(admin_page), "username": xss,
                                                    "full_name": xss, "roles": ["finance", xss], "password": "x"})
    assert r.status_code == 400 and "<script>alert" not in r.get_data(as_text=True)
    assert value(form(r.get_data(as_text=True), "/staff/admin/users"), "full_name") == xss
    make_route(db, test_settings, code="HL1")
    moved = make_booked_shipment(db, test_settings, "D-KEEP-X")
    r = postal_client.post(f"{BOARD}shipments/{moved}/move", data={
        "csrf_token": page_csrf(postal_client, BOARD), "board_date": day.isoformat(), "date": xss, "route": xss,
        "slot": xss, "reason": xss})
    assert r.status_code == 400 and "<script>alert" not in r.get_data(as_text=True)
    assert value(form(r.get_data(as_text=True), f"{BOARD}shipments/{moved}/move"), "date") == xss
