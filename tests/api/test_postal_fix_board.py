"""Postal board: an unreadable day to plan is refused (it planned today), and dates take ASCII
digits only."""
import pytest
from sqlalchemy import func, select

from kernel.audit import AuditEntry
from tests.api import test_pages
from tests.postal_factories import make_booked_shipment, make_route

BOARD = "/staff/postal/"
staff_user = test_pages.staff_user  # the fixture: a staff account for the pages


@pytest.fixture
def postal_client(client, staff_user):
    staff_user("buudien", ("postal",))
    test_pages.log_in(client, "buudien")
    return client


def plans_audited(db) -> int:
    with db() as s:
        return s.execute(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "postal.plan")
                         ).scalar_one()


@pytest.mark.parametrize("written", ["bogus", "2026-02-30", "", "３１/１２/2026"])
def test_planning_an_unreadable_day_is_refused_and_plans_nothing(postal_client, db, test_settings, written):
    make_route(db, test_settings, code="HL1")
    make_booked_shipment(db, test_settings, "D-BOARD-1")
    csrf = test_pages.page_csrf(postal_client, BOARD)
    r = postal_client.post(f"{BOARD}plan", data={"board_date": written, "csrf_token": csrf})
    assert r.status_code == 400
    assert "Ngày không hợp lệ." in r.get_data(as_text=True)
    assert plans_audited(db) == 0


@pytest.mark.parametrize("written", ["９/１/2026", "٩/١/٢٠٢٦", "09/01/２０２６"])
def test_the_board_reads_ascii_digits_only(postal_client, written):
    r = postal_client.get(BOARD, query_string={"date": written})
    assert r.status_code == 400 and "Ngày không hợp lệ." in r.get_data(as_text=True)
    assert postal_client.get(BOARD, query_string={"date": "9/1/2026"}).status_code == 200
