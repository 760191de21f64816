"""Postal board, QA round 17: Tết on the board, moves and outcomes refused with Vietnamese sentences, and who
may post its forms."""
from datetime import datetime

import pytest
import time_machine

from kernel.clock import VN_TZ
from tests.api import test_pages
from tests.api.test_pages import log_in, page_csrf
from tests.postal_factories import make_booked_shipment, make_route

BOARD = "/staff/postal/"
staff_user = test_pages.staff_user  # the fixture


def vn(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=VN_TZ)


def test_a_day_of_tet_reads_as_no_working_day_and_its_neighbours_skip_it(client, staff_user):
    staff_user("buudien", ("postal",))
    with time_machine.travel(vn("2027-02-04T09:00"), tick=False):
        log_in(client, "buudien")
        html = client.get(f"{BOARD}?date=08/02/2027").get_data(as_text=True)
    assert "Không phải ngày làm việc" in html
    assert "(04/02/2027)" in html and "(12/02/2027)" in html  # previous and next working days


@pytest.mark.parametrize("day, status, words", [
    ("08/02/2027", 422, "không phải ngày làm việc"),
    ("12/02/2027", 409, "Chưa đến ngày được đi lại"),
    ("30/02/2027", 400, "Ngày không hợp lệ"),
])
def test_a_move_onto_tet_or_before_a_retry_may_go_is_refused_in_vietnamese(client, staff_user, db, test_settings,
                                                                          day, status, words):
    make_route(db, test_settings, code="HL1")
    staff_user("buudien", ("postal",))
    with time_machine.travel(vn("2027-02-04T09:00"), tick=False):
        shipment_id = make_booked_shipment(db, test_settings, "D-BOARD-TET", direction="delivery")
        log_in(client, "buudien")
        token = page_csrf(client, BOARD)
        outcome = f"{BOARD}shipments/{shipment_id}/outcome"
        client.post(outcome, data={"csrf_token": token, "event": "out_for_delivery", "board_date": "2027-02-04"})
        r = client.post(outcome, data={"csrf_token": token, "event": "failed_attempt", "reason": "not_home",
                                       "board_date": "2027-02-04"})
        assert r.status_code == 302
        r = client.post(f"{BOARD}shipments/{shipment_id}/move", data={
            "csrf_token": token, "date": day, "route": "HL1", "slot": "morning", "reason": "hẹn lại",
            "board_date": "2027-02-04"})
    html = r.get_data(as_text=True)
    assert r.status_code == status, html[:300]
    assert words.lower() in html.lower()


@pytest.mark.parametrize("form, words", [
    ({"event": "failed_attempt"}, "Vui lòng chọn lý do không thành công"),
    ({"event": "failed_attempt", "reason": "gone"}, "Lý do không hợp lệ"),
    ({"event": "teleported"}, "Kết quả không hợp lệ"),
    ({}, "Kết quả không hợp lệ"),
    ({"event": "picked_up", "document_type": "cccd", "id_number": "123", "holder_name": "Phạm Thu Hà"}, "12"),
])
def test_an_outcome_the_board_cannot_record_is_refused_in_vietnamese(client, staff_user, db, test_settings, form,
                                                                     words):
    staff_user("buudien", ("postal",))
    log_in(client, "buudien")
    shipment_id = make_booked_shipment(db, test_settings, "D-BOARD-BAD")
    token = page_csrf(client, BOARD)
    r = client.post(f"{BOARD}shipments/{shipment_id}/outcome", data={"csrf_token": token, **form})
    html = r.get_data(as_text=True)
    assert r.status_code == 400, html[:300]
    assert words in html


@pytest.mark.parametrize("roles", [("auditor",), ("finance",), ("intake",)])
def test_only_postal_staff_post_the_boards_forms(client, staff_user, db, test_settings, roles):
    make_route(db, test_settings, code="HL1")
    shipment_id = make_booked_shipment(db, test_settings, "D-BOARD-ROLE")
    staff_user("nguoikhac", roles)
    log_in(client, "nguoikhac")
    token = page_csrf(client, {"auditor": BOARD, "finance": "/staff/finance/", "intake": "/staff/"}[roles[0]])
    for path, form in ((f"{BOARD}plan", {"board_date": "2027-01-04"}),
                       (f"{BOARD}shipments/{shipment_id}/outcome", {"event": "failed_attempt", "reason": "not_home"}),
                       (f"{BOARD}shipments/{shipment_id}/move", {"date": "2027-01-04", "route": "HL1",
                                                                 "slot": "morning", "reason": "x"})):
        assert client.post(path, data={"csrf_token": token, **form}).status_code == 403, path


def test_a_result_delivered_at_its_second_attempt_no_longer_says_when_to_go_again(client, staff_user, db,
                                                                                   test_settings):
    """The card of a delivery handed over at its retry still read "Đi lại từ 06/01/2027 (Lần không thành công:
    1)" in the day's lane: a postman reading it would go back to a door whose result was delivered. The retry
    date is said while another attempt is to come; afterwards only how many failed."""
    make_route(db, test_settings, code="HL1")
    staff_user("buudien", ("postal",))
    with time_machine.travel(vn("2027-01-04T06:00"), tick=False) as clock:  # Monday
        shipment_id = make_booked_shipment(db, test_settings, "D-BOARD-RETRIED", direction="delivery")
        log_in(client, "buudien")
        token = page_csrf(client, BOARD)
        outcome = f"{BOARD}shipments/{shipment_id}/outcome"
        client.post(outcome, data={"csrf_token": token, "event": "out_for_delivery"})
        client.post(outcome, data={"csrf_token": token, "event": "failed_attempt", "reason": "not_home"})
        card = card_of(client, "2027-01-04", shipment_id)
        assert "Đi lại từ" in card and "06/01/2027" in card  # waiting for its retry: said
        clock.move_to(vn("2027-01-06T06:00"))
        log_in(client, "buudien")
        token = page_csrf(client, BOARD)
        r = client.post(f"{BOARD}shipments/{shipment_id}/move", data={
            "csrf_token": token, "date": "06/01/2027", "route": "HL1", "slot": "morning", "reason": "đi lại"})
        assert r.status_code == 302
        client.post(outcome, data={"csrf_token": token, "event": "out_for_delivery"})
        r = client.post(outcome, data={"csrf_token": token, "event": "delivered", "document_type": "cccd",
                                       "id_number": "022088001234", "holder_name": "Phạm Thu Hà"})
        assert r.status_code == 302
        card = card_of(client, "2027-01-06", shipment_id)
    assert "Đã giao" in card
    assert "Đi lại từ" not in card and "Lần không thành công" in card


def card_of(client, day: str, shipment_id: int) -> str:
    html = client.get(f"{BOARD}?date={day}").get_data(as_text=True)
    start = html.index(f'id="s-{shipment_id}"')
    return html[start:html.index("</li>", start)]
