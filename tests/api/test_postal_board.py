"""The postal board through the test client: who may see it, the day view, the planner, moves and outcomes."""
import re

import pytest
from sqlalchemy import select

from kernel.audit import AuditEntry
from postal.models import Shipment
from tests.api.test_pages import log_in, page_csrf, staff_user  # noqa: F401 (fixture)
from tests.postal_factories import ID_CHECK, make_booked_shipment, make_route, next_weekday_off, working_day

BOARD = "/staff/postal/"


@pytest.fixture
def day():
    return working_day(1)  # not today: today's rounds that have left take no more (it depends on the hour)


@pytest.fixture
def postal_client(client, staff_user):  # noqa: F811
    staff_user("buudien", ("postal",))
    log_in(client, "buudien")
    return client


def board_html(client, day) -> str:
    r = client.get(f"{BOARD}?date={day.isoformat()}")
    assert r.status_code == 200
    return r.get_data(as_text=True)


def shipment_of(db, shipment_id) -> Shipment:
    with db() as s:
        return s.get(Shipment, shipment_id)


def test_anonymous_visitors_go_to_the_login_page_and_other_roles_are_refused(client, staff_user):  # noqa: F811
    r = client.get(BOARD)
    assert r.status_code == 302 and "/staff/login" in r.headers["Location"]
    assert client.post(f"{BOARD}plan", data={"board_date": "2026-11-25"}).status_code == 401
    staff_user("ketoan", ("finance",))
    log_in(client, "ketoan")
    assert client.get(BOARD).status_code == 403
    assert "Bưu điện" not in client.get("/staff/").get_data(as_text=True)


def test_a_role_without_pages_is_told_where_it_works_not_refused(client, staff_user):  # noqa: F811
    staff_user("motcua", ("intake",))  # the cashier has a page now (the counter)
    log_in(client, "motcua")
    r = client.get("/staff/")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "qua hệ thống một cửa" in html and "không có quyền" not in html
    assert "through the centre&#39;s one-stop system" in client.get("/staff/?lang=en").get_data(as_text=True)


def test_an_auditor_sees_the_board_without_any_form(client, staff_user, db, test_settings, day):  # noqa: F811
    make_route(db, test_settings, code="HL1")
    make_booked_shipment(db, test_settings, "D-AUDIT-1")
    staff_user("kiemtoan", ("auditor",))
    log_in(client, "kiemtoan")
    html = board_html(client, day)
    assert "Chỉ xem (kiểm toán)." in html and "D-AUDIT-1" in html
    assert "Chạy xếp lịch" not in html and "Ghi kết quả" not in html and 'draggable="true"' not in html
    assert client.post(f"{BOARD}plan", data={"board_date": day.isoformat(),
                                              "csrf_token": page_csrf(client, BOARD)}).status_code == 403


def test_the_board_shows_the_day_routes_slots_capacity_and_waiting_shipments(postal_client, db, test_settings, day):
    make_route(db, test_settings, code="HL1", morning=2, afternoon=1)
    make_booked_shipment(db, test_settings, "D-BOARD-1")
    html = board_html(postal_client, day)
    assert '<html lang="vi">' in html and "Bảng điều phối bưu điện" in html
    assert f'value="{day.strftime("%d/%m/%Y")}"' in html
    for text in ("Tuyến HL1 — Tuyến HL1 Hạ Long", "Sáng", "Chiều", "0/2 chỗ", "0/1 chỗ", "Còn trống: 2",
                 "Bưu gửi chờ xếp lịch (1)", "D-BOARD-1", "Phạm Thu Hà", "Phường Hồng Gai", "22.000 ₫",
                 "Chạy xếp lịch", f"/api/v1/postal/manifests/{day.isoformat()}.pdf?route=HL1",
                 f"/api/v1/postal/handovers/{day.isoformat()}.pdf?route=HL1",
                 f"/api/v1/postal/manifests/{day.isoformat()}.csv", "consignment-note.pdf"):
        assert text in html, text
    assert re.search(r'<meter min="0" max="2" value="0"', html)
    english = postal_client.get(f"{BOARD}?date={day.isoformat()}&lang=en").get_data(as_text=True)
    assert "Postal board" in english and "Run the planner" in english and "Morning" in english


def test_the_default_day_is_today_in_ho_chi_minh_typed_days_are_dd_mm_yyyy_and_a_bad_one_is_explained(
        postal_client):
    from kernel.clock import business_date, now_utc

    today = business_date(now_utc()).strftime("%d/%m/%Y")
    assert f'id="board-date" name="date" value="{today}"' in postal_client.get(BOARD).get_data(as_text=True)
    typed = postal_client.get(f"{BOARD}?date=3/12/2026").get_data(as_text=True)
    assert "Thứ Năm, 03/12/2026" in typed
    for bad_day in ("2026/11/25", "31/02/2026"):
        bad = postal_client.get(f"{BOARD}?date={bad_day}")
        assert bad.status_code == 400 and "Ngày không hợp lệ." in bad.get_data(as_text=True), bad_day


def test_a_post_without_the_csrf_token_is_refused(postal_client, day):
    r = postal_client.post(f"{BOARD}plan", data={"board_date": day.isoformat()})
    assert r.status_code == 403


def test_running_the_planner_from_the_page_reports_what_was_assigned_and_what_did_not_fit(
        postal_client, db, test_settings, day):
    make_route(db, test_settings, code="HL1", morning=1, afternoon=0)
    first = make_booked_shipment(db, test_settings, "D-PLAN-1")
    second = make_booked_shipment(db, test_settings, "D-PLAN-2")
    r = postal_client.post(f"{BOARD}plan", data={"board_date": day.isoformat(),
                                                  "csrf_token": page_csrf(postal_client, BOARD)})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "Kết quả xếp lịch" in html
    assert "Đã xếp: 1" in html and "Không xếp được: 1" in html and "Các tuyến phục vụ địa bàn đã hết chỗ" in html
    assert "1/1 chỗ" in html and "Hết chỗ" in html
    assert shipment_of(db, first).status == "scheduled" and shipment_of(db, second).status == "booked"
    switched = postal_client.get(f"{BOARD}plan?lang=en")  # the language link of the result page
    assert switched.status_code == 302 and switched.headers["Location"].endswith(BOARD)
    assert "Postal board" in postal_client.get(switched.headers["Location"]).get_data(as_text=True)


def test_planning_a_holiday_shows_a_vietnamese_error_without_the_machine_code(postal_client):
    r = postal_client.post(f"{BOARD}plan", data={"board_date": next_weekday_off().isoformat(),
                                                  "csrf_token": page_csrf(postal_client, BOARD)})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "Ngày đã chọn không phải ngày làm việc." in html
    assert "not_a_working_day" not in html and "mã lỗi" not in html


def test_a_move_from_the_page_is_audited_and_flashed(postal_client, db, test_settings, day):
    make_route(db, test_settings, code="HL1")
    make_route(db, test_settings, code="HL2", wards=("06652",))
    shipment_id = make_booked_shipment(db, test_settings, "D-MOVE-1")
    token = page_csrf(postal_client, BOARD)
    missing_reason = postal_client.post(f"{BOARD}shipments/{shipment_id}/move", data={
        "csrf_token": token, "board_date": day.isoformat(), "date": day.isoformat(), "route": "HL2",
        "slot": "afternoon", "reason": " "})
    assert missing_reason.status_code == 400 and "Vui lòng điền lý do." in missing_reason.get_data(as_text=True)
    r = postal_client.post(f"{BOARD}shipments/{shipment_id}/move", data={
        "csrf_token": token, "board_date": day.isoformat(), "date": day.strftime("%d/%m/%Y"), "route": "HL2",
        "slot": "afternoon", "reason": "Người dân hẹn buổi chiều"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"?date={day.isoformat()}#s-{shipment_id}")
    moved = shipment_of(db, shipment_id)
    assert (moved.route_code, moved.slot, moved.planned_date, moved.stop) == ("HL2", "afternoon", day, 1)
    html = board_html(postal_client, day)
    assert f"Đã chuyển bưu gửi #{shipment_id}" in html and "sang tuyến HL2, buổi chiều" in html
    with db() as s:
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "shipment.move")).scalar_one()
    assert entry.reason == "Người dân hẹn buổi chiều" and entry.actor.startswith("user:")


def test_outcomes_from_the_page_need_an_id_check_or_a_reason_and_use_the_service(
        postal_client, db, test_settings, day):
    make_route(db, test_settings, code="HL1", morning=5)
    delivered = make_booked_shipment(db, test_settings, "D-OUT-1", direction="delivery")
    failed = make_booked_shipment(db, test_settings, "D-OUT-2", direction="delivery")
    token = page_csrf(postal_client, BOARD)
    postal_client.post(f"{BOARD}plan", data={"board_date": day.isoformat(), "csrf_token": token})

    def outcome(shipment_id, **fields):
        return postal_client.post(f"{BOARD}shipments/{shipment_id}/outcome",
                                  data={"csrf_token": token, "board_date": day.isoformat(), **fields})

    assert outcome(delivered, event="out_for_delivery").status_code == 302
    html = board_html(postal_client, day)  # a failure is offered once out (a result still here was not tried)
    assert "Đang đi phát" in html and "Kiểm tra giấy tờ tùy thân" in html and "Người nhận vắng nhà" in html
    bad_id = outcome(delivered, event="delivered", document_type="cccd", id_number="12", holder_name="Phạm Thu Hà")
    assert bad_id.status_code == 400 and "Giấy tờ tùy thân chưa hợp lệ" in bad_id.get_data(as_text=True)
    ok = outcome(delivered, event="delivered", document_type=ID_CHECK["document_type"],
                 id_number=ID_CHECK["number"], holder_name=ID_CHECK["holder_name"])
    assert ok.status_code == 302
    assert shipment_of(db, delivered).status == "delivered"
    assert shipment_of(db, delivered).id_check == {"document_type": "cccd", "number_last4": "1234",
                                                   "holder_name": "Phạm Thu Hà"}
    assert outcome(failed, event="out_for_delivery").status_code == 302
    no_reason = outcome(failed, event="failed_attempt", reason="")
    assert no_reason.status_code == 400 and "Vui lòng chọn lý do không thành công." in no_reason.get_data(as_text=True)
    assert outcome(failed, event="failed_attempt", reason="not_home", note="Gọi không nghe máy").status_code == 302
    after = shipment_of(db, failed)
    assert after.status == "failed_attempt" and after.failed_attempts == 1 and after.planned_date is None
    html = board_html(postal_client, day)
    assert (f"Đã ghi nhận: Không thành công (Người nhận vắng nhà) — hồ sơ D-OUT-2. Trạng thái: Giao không thành công."
            in html and "Đi lại từ" in html)
    assert "Thẻ căn cước / Căn cước công dân …1234, Phạm Thu Hà" in html


def test_a_failed_pickup_is_named_as_a_pickup_not_a_delivery(postal_client, db, test_settings, day):
    make_route(db, test_settings, code="HL1", morning=5)
    pickup = make_booked_shipment(db, test_settings, "D-PICK-1")
    token = page_csrf(postal_client, BOARD)
    postal_client.post(f"{BOARD}plan", data={"board_date": day.isoformat(), "csrf_token": token})
    form = board_html(postal_client, day).split(f'id="s-{pickup}"', 1)[1]
    assert "Người dân vắng nhà" in form and "Người nhận vắng nhà" not in form
    assert postal_client.post(f"{BOARD}shipments/{pickup}/outcome", data={
        "csrf_token": token, "board_date": day.isoformat(), "event": "failed_attempt",
        "reason": "not_home"}).status_code == 302
    html = board_html(postal_client, day)
    assert "Không thành công (Người dân vắng nhà) — hồ sơ D-PICK-1. Trạng thái: Nhận hồ sơ không thành công." in html
    assert "Giao không thành công" not in html


def test_too_long_texts_on_the_board_name_the_field_and_its_limit(postal_client, db, test_settings, day):
    make_route(db, test_settings, code="HL1")
    shipment_id = make_booked_shipment(db, test_settings, "D-LONG-1")
    token = page_csrf(postal_client, BOARD)

    def send(action, **fields):
        r = postal_client.post(f"{BOARD}shipments/{shipment_id}/{action}",
                               data={"csrf_token": token, "board_date": day.isoformat(), **fields})
        return r.status_code, re.search(r'id="board-error">([^<]+)<', r.get_data(as_text=True)).group(1)

    move = {"date": day.isoformat(), "route": "HL1", "slot": "morning", "reason": "hẹn lại"}
    assert send("move", **{**move, "reason": "x" * 1001}) == (400, "Lý do quá dài: tối đa 1000 ký tự.")
    assert send("move", **{**move, "route": "X" * 21}) == (400, "Mã tuyến quá dài: tối đa 20 ký tự.")
    assert send("outcome", event="failed_attempt", reason="not_home", note="y" * 1001) == (
        400, "Ghi chú quá dài: tối đa 1000 ký tự.")
    assert shipment_of(db, shipment_id).status == "booked"


def test_the_board_without_routes_says_who_creates_them_not_an_api_path(postal_client, day):
    html = board_html(postal_client, day)
    assert "quản trị viên hệ thống" in html and "/api/v1/postal/routes" not in html
    assert "system administrator" in postal_client.get(f"{BOARD}?date={day.isoformat()}&lang=en").get_data(as_text=True)


def _postal_codes() -> set[str]:
    """Every error code raised in postal/ (`code="..."`, `_fail(..., "code")`, `code=planner.NAME`, class codes)."""
    from pathlib import Path

    from postal import planner

    codes = set()
    for path in (Path(__file__).resolve().parents[2] / "postal").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        codes |= set(re.findall(r'\bcode\s*=\s*"([a-z_]+)"', source))
        codes |= set(re.findall(r'_fail\([^()]*(?:\([^()]*\)[^()]*)*, "([a-z_]+)"\)', source))
        codes |= {getattr(planner, name) for name in re.findall(r"code=planner\.([A-Z_]+)", source)}
    return codes


def test_every_code_the_postal_services_raise_has_a_vietnamese_sentence_and_its_english():
    from web.postal_texts import EN, ERRORS, UNKNOWN_ERROR, error_text

    raised = _postal_codes() | {"invalid_date", "validation_error", "text_too_long"}  # the forms' own readings
    assert {"cannot_move", "invalid_slot", "slot_passed", "shipment_exists", "unprocessable"} <= raised  # it scans
    assert sorted(raised - set(ERRORS)) == []
    for code in raised:
        sentence = error_text(code, {"field": "reason", "max_len": 1000})
        assert sentence != UNKNOWN_ERROR and code not in sentence, code
    assert sorted(vi for vi in ERRORS.values() if vi not in EN) == []
