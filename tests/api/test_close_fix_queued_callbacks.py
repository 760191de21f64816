"""A day does not close while payment callbacks that arrived before the close still wait to be
applied (the workers lag or are down, or one failed): applied after the close they would carry
their arrival time, before `closed_at`, and count in a day already frozen without them — in none."""
import pytest

from kernel import inbox
from kernel.clock import now_utc
from kernel.db import unit_of_work
from payments.inbox_apply import drain
from kernel.users import create_user
from tests.api.test_finance_pages import post
from tests.api.test_pages import PASSWORD, log_in
from tests.conftest import T0
from tests.factories import make_request, signed
from tests.recon_factories import paid_vnd, upload, vcb_csv

DAY = "2026-11-24"


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def queued_callback(client, settings, code: str, ref: str, booked_at: str = "2026-11-24T09:00:00+07:00") -> None:
    """A signed bank callback answered 200 and left queued (no worker has applied it)."""
    headers, raw = signed(settings, "HCCPAY_BANK_WEBHOOK_SECRET", {
        "transaction_id": ref, "account_number": "0071001234567", "amount_vnd": 70_000, "content": f"nop {code}",
        "booked_at": booked_at, "direction": "credit"})
    assert client.queued_only().post("/api/v1/callbacks/bank", data=raw, headers=headers).status_code == 200


def apply_callbacks(app) -> None:
    runtime = app.extensions["hccpay"]
    drain(runtime.sessions, runtime.settings)


def statement_shows(client, auth, code: str, ref: str) -> None:
    """The day's statement with the callback's transfer (else it is an exception of the day)."""
    assert upload(client.queued_only(), auth, vcb_csv((ref, "", "70.000", f"nop {code}"))).status_code == 201


def day(client, auth, which: str = DAY) -> dict:
    return client.queued_only().get(f"/api/v1/reconciliation/days/{which}", headers=auth("auditor")).json


def test_a_callback_of_the_day_still_queued_keeps_the_day_from_being_asked_to_close(app, client, auth, test_settings):
    code = make_request(client, auth, ("Lệ phí", "charge", 70_000))
    queued_callback(client, test_settings, code, "FTQ1")
    plain = client.queued_only()
    r = plain.post(f"/api/v1/reconciliation/days/{DAY}/close", headers=auth("finance"))
    assert r.status_code == 409 and r.json["code"] == "callbacks_pending"
    assert (r.json["details"]["count"], r.json["details"]["queued"], r.json["details"]["failed"]) == (1, 1, 0)
    apply_callbacks(app)
    statement_shows(client, auth, code, "FTQ1")
    assert plain.post(f"/api/v1/reconciliation/days/{DAY}/close", headers=auth("finance")).status_code == 202
    assert plain.post(f"/api/v1/reconciliation/days/{DAY}/close/approve", headers=auth("approver")).status_code == 200
    assert day(client, auth)["totals"]["received_vnd"] == 70_000  # counted in its own day, once


def test_a_callback_queued_after_the_close_was_asked_keeps_it_from_being_approved(app, client, auth, test_settings):
    code = make_request(client, auth, ("Lệ phí", "charge", 70_000))
    statement_shows(client, auth, code, "FTQ2")  # the statement credited it; the late callback links to it
    plain = client.queued_only()
    assert plain.post(f"/api/v1/reconciliation/days/{DAY}/close", headers=auth("finance")).status_code == 202
    queued_callback(client, test_settings, code, "FTQ2")
    r = plain.post(f"/api/v1/reconciliation/days/{DAY}/close/approve", headers=auth("approver"))
    assert r.status_code == 409 and r.json["code"] == "callbacks_pending"
    assert day(client, auth)["status"] == "close_requested"
    apply_callbacks(app)
    assert plain.post(f"/api/v1/reconciliation/days/{DAY}/close/approve", headers=auth("approver")).status_code == 200
    assert paid_vnd(plain, code) == 70_000
    assert day(client, auth)["totals"]["received_vnd"] == 70_000
    assert day(client, auth, "2026-11-25")["totals"]["received_vnd"] == 0  # not a second time


def test_a_callback_whose_processing_failed_keeps_the_day_open_until_it_is_applied(app, client, auth, test_settings,
                                                                                  db):
    code = make_request(client, auth, ("Lệ phí", "charge", 70_000))
    queued_callback(client, test_settings, code, "FTQ3")
    with unit_of_work(db) as s:  # what the workers leave when applying it failed: for a person to queue again
        [row] = inbox.take_queued(s, 10)
        inbox.mark(s, row.id, status=inbox.RECEIVED, reason="processing failed (RuntimeError)", now=now_utc())
    r = client.post(f"/api/v1/reconciliation/days/{DAY}/close", headers=auth("finance"))
    assert r.status_code == 409 and (r.json["details"]["queued"], r.json["details"]["failed"]) == (0, 1)
    with unit_of_work(db) as s:
        inbox.requeue(s, row.id, now=now_utc())
    apply_callbacks(app)
    statement_shows(client, auth, code, "FTQ3")
    assert client.post(f"/api/v1/reconciliation/days/{DAY}/close", headers=auth("finance")).status_code == 202


def test_a_queued_callback_booked_on_a_later_day_does_not_hold_the_close(client, auth, test_settings):
    code = make_request(client, auth, ("Lệ phí", "charge", 70_000))
    queued_callback(client, test_settings, code, "FTQ4", booked_at="2026-11-25T09:00:00+07:00")
    plain = client.queued_only()
    assert plain.post(f"/api/v1/reconciliation/days/{DAY}/close", headers=auth("finance")).status_code == 202
    assert plain.post(f"/api/v1/reconciliation/days/{DAY}/close/approve", headers=auth("approver")).status_code == 200


def test_the_page_tells_finance_in_vietnamese_why_the_day_cannot_close_yet(client, auth, test_settings, db):
    with db() as s, s.begin():
        create_user(s, username="ketoan", full_name="Lê Thị Lan", roles=["finance"], password=PASSWORD, now=T0)
    code = make_request(client, auth, ("Lệ phí", "charge", 70_000))
    queued_callback(client, test_settings, code, "FTQ5")
    finance = client.queued_only()  # logged in, and no worker runs after its requests
    assert log_in(finance, "ketoan").status_code == 302
    html = post(finance, f"/staff/finance/days/{DAY}/close")
    assert "Còn 1 thông báo thanh toán nhận trước khi khóa sổ chưa được ghi sổ" in html


def test_a_callback_that_keeps_failing_is_set_aside_with_a_reason_and_no_longer_holds_the_close(
        client, auth, test_settings, db):
    """A callback whose processing fails every time (a poison row) would hold every close for ever:
    an admin sets it aside with a reason; it waits in finance's conflicts, never credited by itself
    (its transfer is counted from the statement), and the day can close."""
    code = make_request(client, auth, ("Lệ phí", "charge", 70_000))
    queued_callback(client, test_settings, code, "FTQ5")
    with unit_of_work(db) as s:
        [row] = inbox.take_queued(s, 10)
        inbox.mark(s, row.id, status=inbox.RECEIVED, reason="processing failed (RuntimeError)", now=now_utc())
    path = f"/api/v1/finance/failed-callbacks/{row.id}/set-aside"
    assert client.post(path, headers=auth("finance"), json={"reason": "lỗi dữ liệu"}).status_code == 403
    assert client.post(path, headers=auth("admin"), json={}).json["code"] == "missing_field"
    done = client.post(path, headers=auth("admin"), json={"reason": "nội dung hỏng, đối chiếu theo sao kê"})
    assert done.status_code == 200 and done.json["status"] == "conflict"
    again = client.post(path, headers=auth("admin"), json={"reason": "lần nữa"})
    assert again.status_code == 409 and again.json["code"] == "callback_not_requeueable"
    assert client.get("/api/v1/finance/failed-callbacks", headers=auth("finance")).json["callbacks"] == []
    [aside] = client.get("/api/v1/finance/conflicts", headers=auth("finance")).json["callbacks"]
    assert aside["id"] == row.id and aside["set_aside"]["reason"] == "nội dung hỏng, đối chiếu theo sao kê"
    assert aside["reason"] == "processing failed (RuntimeError)"  # the failure, the person's words beside it
    assert paid_vnd(client, code) == 0
    assert client.post(f"/api/v1/reconciliation/days/{DAY}/close", headers=auth("finance")).status_code == 202
