"""Round 17: a conflict finance has dealt with is marked handled (who, when, why; audited) and leaves the open
lists and the overview's count; a failure set aside is a state of its own in the data, not a prefix of its reason."""
import pytest

from kernel.inbox import InboundCallback
from tests.api.test_finance_callbacks_page_round16 import (PAGE, audit_rows, failed, html, logged_in, make_conflict,
                                                           make_failed, make_rejected, people, post)

pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test
assert people  # the fixture, imported for the page tests

CONFLICTS = "/api/v1/finance/conflicts"
WHY = "Đã gọi ngân hàng: giao dịch 90.000 đồng không tồn tại"


def handle(client, auth, inbox_id, role="finance", reason=WHY):
    return client.post(f"{CONFLICTS}/{inbox_id}/handle", json={"reason": reason}, headers=auth(role))


def listed(client, auth, query=""):
    return [c["id"] for c in client.get(f"{CONFLICTS}{query}", headers=auth("finance")).json["callbacks"]]


def test_finance_marks_a_conflict_handled_with_a_reason_audited_and_it_leaves_the_open_list(
        client, auth, test_settings, db):
    conflict = make_conflict(client, auth, test_settings)
    r = handle(client, auth, conflict["id"])
    assert r.status_code == 200, r.json
    assert r.json["status"] == "conflict" and r.json["handled"]["reason"] == WHY
    assert r.json["handled"]["by"] and r.json["handled"]["at"] and r.json["set_aside"] is None
    assert r.json["reason"] == conflict["reason"]  # what processing found stays as it was

    assert listed(client, auth) == []
    assert listed(client, auth, "?handled=true") == [conflict["id"]]
    assert listed(client, auth, "?handled=false") == []
    assert client.get(f"{CONFLICTS}?handled=yes", headers=auth("finance")).json["code"] == "invalid_parameter"
    [entry] = audit_rows(db, "callback.handle")
    assert entry.subject_id == str(conflict["id"]) and entry.reason == WHY and entry.actor == r.json["handled"]["by"]


def test_handling_twice_or_what_is_no_conflict_is_a_clear_409_and_changes_nothing(
        client, auth, test_settings, monkeypatch, db):
    conflict = make_conflict(client, auth, test_settings)
    assert handle(client, auth, conflict["id"]).status_code == 200
    again = handle(client, auth, conflict["id"], reason="lần hai")
    assert again.status_code == 409 and again.json["code"] == "callback_already_handled"
    assert again.json["details"]["handled_by"]

    rejected = make_rejected(client, auth, test_settings)
    _, stuck = make_failed(client, auth, test_settings, monkeypatch)
    for row in (rejected, stuck):
        r = handle(client, auth, row["id"])
        assert r.status_code == 409 and r.json["code"] == "callback_not_conflict", r.json
    assert handle(client, auth, 10**9).json["code"] == "callback_not_found"
    assert handle(client, auth, conflict["id"], reason="  ").status_code == 400
    assert [e.reason for e in audit_rows(db, "callback.handle")] == [WHY]
    assert [c["id"] for c in failed(client, auth)] == [stuck["id"]]


@pytest.mark.parametrize("role", ["auditor", "approver", "admin", "cashier"])
def test_only_finance_marks_a_conflict_handled(client, auth, test_settings, role):
    conflict = make_conflict(client, auth, test_settings)
    assert handle(client, auth, conflict["id"], role=role).status_code == 403
    assert listed(client, auth) == [conflict["id"]]


def test_a_failure_set_aside_is_a_state_of_its_own_not_a_prefix_of_its_reason(
        client, auth, test_settings, monkeypatch, db):
    _, stuck = make_failed(client, auth, test_settings, monkeypatch)
    r = client.post(f"/api/v1/finance/failed-callbacks/{stuck['id']}/set-aside", json={"reason": "set aside at x"},
                    headers=auth("admin"))
    assert r.status_code == 200
    assert r.json["set_aside"]["reason"] == "set aside at x" and r.json["set_aside"]["by"]
    assert r.json["reason"] == stuck["reason"]  # the failure as it was found, not wrapped in the person's words
    with db() as s:
        row = s.get(InboundCallback, stuck["id"])
        assert row.status == "conflict" and row.set_aside_at is not None and row.handled_at is None
    # a set-aside failure is finance's like any conflict: handled once its money is settled from the statement
    assert handle(client, auth, stuck["id"]).status_code == 200
    assert listed(client, auth) == [] and listed(client, auth, "?handled=true") == [stuck["id"]]


def test_a_conflict_whose_reason_merely_reads_like_a_set_aside_is_not_one(app, client, auth, test_settings, db,
                                                                          people):
    conflict = make_conflict(client, auth, test_settings)
    with db() as s, s.begin():
        s.get(InboundCallback, conflict["id"]).reason = "set aside at 2026-11-01T00:00:00+00:00: looks like one"
    page = html(logged_in(app, "ketoan"))
    assert "Đã gác lại" not in page and "Mâu thuẫn với dữ liệu đã ghi nhận" in page


def test_finance_marks_a_conflict_handled_on_the_page_and_finds_it_among_the_handled(
        app, client, auth, test_settings, monkeypatch, db, people):
    conflict = make_conflict(client, auth, test_settings)
    _, stuck = make_failed(client, auth, test_settings, monkeypatch)
    finance = logged_in(app, "ketoan")
    url = f"/staff/finance/callbacks/{conflict['id']}/handle"
    assert url in html(finance)
    assert url not in html(logged_in(app, "kiemtoan"))  # an auditor reads, does not act
    overview = html(finance, "/staff/finance/")
    assert "1 mâu thuẫn" in overview

    refused = post(finance, url, reason=" ")
    assert "Vui lòng điền đủ thông tin bắt buộc: lý do." in refused and listed(client, auth) == [conflict["id"]]
    done = post(finance, url, reason=WHY)
    assert "Đã đánh dấu thông báo là đã xử lý." in done
    assert listed(client, auth) == []
    assert "0 mâu thuẫn" in html(finance, "/staff/finance/")  # the overview counts the open ones

    page = html(finance, f"{PAGE}?list=handled")
    assert f'id="callback-{conflict["id"]}"' in page and WHY in page and "Lê Thị Lan" in page
    assert url not in page  # handled once
    again = post(finance, url, reason="lần hai")
    assert "đã được đánh dấu xử lý" in again and "callback_already_handled" not in again
    assert [e.reason for e in audit_rows(db, "callback.handle")] == [WHY]
    assert f'id="callback-{conflict["id"]}"' not in html(finance)
    assert logged_in(app, "quantri").post(url, data={"reason": "x"}).status_code == 403
    assert [c["id"] for c in failed(client, auth)] == [stuck["id"]]


def test_what_storing_noted_survives_the_failure_the_set_aside_and_the_handling(
        client, auth, test_settings, monkeypatch, db):
    """A query cut while storing says so on the row whatever people decide later: their words sit beside the
    reason, never in place of it (the set-aside wrapped the reason in its own until now)."""
    from kernel.clock import now_utc
    from payments import inbox_apply
    from tests.factories import callback_request, make_request
    code = make_request(client, auth)
    path, headers, body = callback_request("bank", settings=test_settings, payment_code=code, amount_vnd=100_000,
                                           txn_id="FT17CUT", at=now_utc(), memo=None)

    def broken(*args, **kwargs):
        raise RuntimeError("a defect")

    monkeypatch.setattr(inbox_apply, "_apply_rows", broken)
    assert client.post(f"{path}?pad={'x' * 9000}", data=body, headers=headers).status_code == 200
    [stuck] = failed(client, auth)
    assert "query truncated" in stuck["reason"] and "RuntimeError" in stuck["reason"]
    assert client.post(f"/api/v1/finance/failed-callbacks/{stuck['id']}/set-aside", json={"reason": "hỏng"},
                       headers=auth("admin")).status_code == 200
    assert handle(client, auth, stuck["id"]).status_code == 200
    with db() as s:
        row = s.get(InboundCallback, stuck["id"])
        assert row.reason == stuck["reason"] and len(row.query) == 8000
        assert (row.set_aside_reason, row.handled_reason) == ("hỏng", WHY)
