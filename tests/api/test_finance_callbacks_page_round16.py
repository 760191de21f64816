"""Round 16: the finance workspace's page of callbacks that need a person (conflicts, failures, refusals),
until now only reachable through the API; retry and set-aside through the page, as the API does them."""
import re

import pytest
from sqlalchemy import select

from kernel.audit import AuditEntry
from kernel.users import create_user
from payments import inbox_apply
from tests.api.test_pages import PASSWORD, log_in
from tests.conftest import T0
from tests.factories import make_request, send_callback, signed

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test

PAGE = "/staff/finance/callbacks"
PEOPLE = {"ketoan": ("Lê Thị Lan", ["finance"]), "kiemtoan": ("Phạm Thu Hà", ["auditor"]),
          "quantri": ("Ngô Văn Bình", ["admin"]), "thungan": ("Đỗ Thị Mai", ["cashier"])}
SECRET_MEMO = "NGUYEN VAN A 0912345678"  # what a body may hold: never on the page


@pytest.fixture
def people(db):
    with db() as s, s.begin():
        for username, (full_name, roles) in PEOPLE.items():
            create_user(s, username=username, full_name=full_name, roles=roles, password=PASSWORD, now=T0)


def logged_in(app, username):
    client = app.test_client()
    assert log_in(client, username).status_code == 302
    return client


def html(client, path=PAGE) -> str:
    r = client.get(path)
    assert r.status_code == 200, r.status_code
    return r.get_data(as_text=True)


def csrf(client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html(client)).group(1)


def post(client, path, **form):
    """A page form; returns the page it goes back to (with its message)."""
    r = client.post(path, data={"csrf_token": csrf(client), "back": f"{PAGE}?list=failed", **form})
    assert r.status_code == 303, r.get_data(as_text=True)[:500]
    return client.get(r.headers["Location"]).get_data(as_text=True)


def failed(client, auth):
    return client.get("/api/v1/finance/failed-callbacks", headers=auth("finance")).json["callbacks"]


def make_failed(client, auth, test_settings, monkeypatch, amount=100_000):
    """A verified bank callback whose processing failed (a fault): listed among the failures."""
    code = make_request(client, auth)
    real = inbox_apply._apply_rows

    def broken(*args, **kwargs):
        raise RuntimeError("a defect")

    monkeypatch.setattr(inbox_apply, "_apply_rows", broken)
    assert send_callback(client, test_settings, "bank", code=code, amount=amount,
                         memo=f"{code} {SECRET_MEMO}").status_code == 200
    monkeypatch.setattr(inbox_apply, "_apply_rows", real)  # the fault is mended
    [row] = failed(client, auth)
    return code, row


def make_conflict(client, auth, test_settings):
    code = make_request(client, auth)
    send_callback(client, test_settings, "bank", code=code, amount=40_000, txn_id="FT26016")
    send_callback(client, test_settings, "bank", code=code, amount=90_000, txn_id="FT26016", memo=SECRET_MEMO)
    [row] = client.get("/api/v1/finance/conflicts", headers=auth("finance")).json["callbacks"]
    return row


def make_rejected(client, auth, test_settings):
    from kernel.clock import now_utc
    headers, body = signed(test_settings, "HCCPAY_POS_WEBHOOK_SECRET",  # the wrong secret
                           {"transaction_id": "X16", "account_number": "0071001234567", "amount_vnd": 100_000,
                            "content": SECRET_MEMO, "booked_at": now_utc().isoformat(), "direction": "credit"})
    assert client.post("/api/v1/callbacks/bank", data=body, headers=headers).status_code == 401
    [row] = client.get("/api/v1/finance/rejected-callbacks", headers=auth("finance")).json["callbacks"]
    return row


def audit_rows(db, action):
    with db() as s:
        return list(s.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_the_page_lists_each_kind_in_words_with_the_stored_reason_as_detail_and_no_body(
        app, client, auth, test_settings, monkeypatch, people):
    conflict = make_conflict(client, auth, test_settings)
    rejected = make_rejected(client, auth, test_settings)
    _, stuck = make_failed(client, auth, test_settings, monkeypatch)
    finance = logged_in(app, "ketoan")

    page = html(finance)  # conflicts first: what finance must settle with the bank
    assert "Thông báo giao dịch cần xử lý" in page
    assert f'id="callback-{conflict["id"]}"' in page and "FT26016" in page
    assert "Ngân hàng (thông báo)" in page  # the provider as the pages name it
    assert "Trùng mã giao dịch" in page and "Chi tiết kỹ thuật" in page
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", page)  # when, as people read it (Hà Nội)
    assert conflict["reason"].split(":")[0] in page  # the stored reason, as technical detail
    assert SECRET_MEMO not in page and "0071001234567" not in page

    page = html(finance, f"{PAGE}?list=rejected")
    assert f'id="callback-{rejected["id"]}"' in page and "does not match" in page
    assert "Bị từ chối" in page
    assert SECRET_MEMO not in page and "0071001234567" not in page

    page = html(finance, f"{PAGE}?list=failed")
    assert f'id="callback-{stuck["id"]}"' in page and "RuntimeError" in page
    assert SECRET_MEMO not in page
    # finance reads but may not act: the API leaves retry and set-aside to an admin
    assert "/retry" not in page and "/set-aside" not in page

    overview = html(finance, "/staff/finance/")
    assert f'href="{PAGE}?date=' in overview  # the section is in the navigation
    kpi = overview[overview.index('id="kpi-callbacks"'):]
    kpi = kpi[:kpi.index("</div>")]
    assert re.search(r"list=failed[^>]*>1</a>", kpi) and "1 mâu thuẫn" in kpi
    assert finance.get(f"{PAGE}?list=other").status_code == 400


def test_an_admin_retries_a_failed_callback_from_the_page_audited_as_the_api_does(
        app, client, auth, test_settings, monkeypatch, db, people):
    code, stuck = make_failed(client, auth, test_settings, monkeypatch)
    admin = logged_in(app, "quantri")
    page = html(admin, f"{PAGE}?list=failed")
    assert f"/staff/finance/callbacks/{stuck['id']}/retry" in page

    done = post(admin, f"/staff/finance/callbacks/{stuck['id']}/retry")
    assert "Đã xếp thông báo vào hàng xử lý lại." in done
    assert client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"] == 100_000
    assert failed(client, auth) == []
    [entry] = audit_rows(db, "callback.requeue")
    assert entry.subject_id == str(stuck["id"]) and entry.actor.endswith(":Ngô Văn Bình")
    assert '"provider":"bank"' in entry.data  # the same record as the API's retry writes

    again = post(admin, f"/staff/finance/callbacks/{stuck['id']}/retry")  # applied: nothing to queue
    assert "không thể xử lý lại" in again and "callback_not_requeueable" not in again
    assert len(audit_rows(db, "callback.requeue")) == 1
    assert client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"] == 100_000


def test_setting_aside_needs_a_reason_said_in_vietnamese_and_is_audited(
        app, client, auth, test_settings, monkeypatch, db, people):
    code, stuck = make_failed(client, auth, test_settings, monkeypatch)
    admin = logged_in(app, "quantri")
    url = f"/staff/finance/callbacks/{stuck['id']}/set-aside"

    refused = post(admin, url, reason="   ")
    assert "Vui lòng điền đủ thông tin bắt buộc: lý do." in refused
    assert [c["id"] for c in failed(client, auth)] == [stuck["id"]] and audit_rows(db, "callback.set_aside") == []

    done = post(admin, url, reason="Ngân hàng xác nhận đã gửi lại")
    assert "Đã gác lại thông báo" in done
    assert failed(client, auth) == []
    [entry] = audit_rows(db, "callback.set_aside")
    assert entry.reason == "Ngân hàng xác nhận đã gửi lại" and entry.subject_id == str(stuck["id"])
    conflicts = client.get("/api/v1/finance/conflicts", headers=auth("finance")).json["callbacks"]
    assert [c["id"] for c in conflicts] == [stuck["id"]]  # a conflict for finance now
    assert client.get(f"/api/v1/payment-requests/{code}").json["paid_vnd"] == 0


def test_readers_who_may_not_act_are_refused_and_others_see_nothing(
        app, client, auth, test_settings, monkeypatch, people):
    _, stuck = make_failed(client, auth, test_settings, monkeypatch)
    for username in ("kiemtoan", "ketoan"):
        reader = logged_in(app, username)
        assert "RuntimeError" in html(reader, f"{PAGE}?list=failed")
        for action in ("retry", "set-aside"):
            r = reader.post(f"/staff/finance/callbacks/{stuck['id']}/{action}",
                            data={"csrf_token": csrf(reader), "reason": "thử"})
            assert r.status_code == 403, (username, action)
    assert [c["id"] for c in failed(client, auth)] == [stuck["id"]]
    assert logged_in(app, "thungan").get(PAGE).status_code == 403
    # an admin reads the failures (as the API lets them), not finance's conflicts or refusals
    admin = logged_in(app, "quantri")
    assert f'href="{PAGE}"' in html(admin, "/staff/")  # the staff navigation leads them there
    assert "RuntimeError" in html(admin) and admin.get(f"{PAGE}?list=conflicts").status_code == 403
    assert admin.get(f"{PAGE}?list=rejected").status_code == 403


def test_an_action_without_the_forms_token_is_refused(app, client, auth, test_settings, monkeypatch, people):
    _, stuck = make_failed(client, auth, test_settings, monkeypatch)
    admin = logged_in(app, "quantri")
    for action in ("retry", "set-aside"):
        r = admin.post(f"/staff/finance/callbacks/{stuck['id']}/{action}", data={"reason": "thử"})
        assert r.status_code == 403, action
    assert [c["id"] for c in failed(client, auth)] == [stuck["id"]]


def test_a_card_number_in_a_stored_reason_is_masked_on_the_page(app, client, auth, test_settings, monkeypatch,
                                                                 db, people):
    from kernel.inbox import InboundCallback
    _, stuck = make_failed(client, auth, test_settings, monkeypatch)
    with db() as s, s.begin():
        s.get(InboundCallback, stuck["id"]).reason = "could not read card 9704 3612 3456 1234 in field x"
    page = html(logged_in(app, "ketoan"), f"{PAGE}?list=failed")
    assert "9704 36** **** 1234" in page and "3612 3456" not in page
