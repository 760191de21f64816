"""Courier reports listed for people (postal.checks) could not be marked as dealt with: the board showed the
newest 50, so an old unresolved report silently dropped off when newer ones came, and a dealt-with one stayed
forever. A postal clerk now resolves a report with a note (who, when and why, audited; once), the board lists
every unresolved report oldest first (the count of those past its cap said), and the API lists them by
`?resolved=`."""
from datetime import timedelta

from sqlalchemy import select

from kernel.audit import AuditEntry, verify_chain
from kernel.clock import now_utc
from kernel.db import unit_of_work
from postal import checks
from postal.models import Shipment, ShipmentEvent
from tests.api import test_pages
from tests.api.test_pages import log_in, page_csrf
from tests.postal_factories import make_booked_shipment

CHECKS = "/api/v1/postal/checks"
BOARD = "/staff/postal/"
staff_user = test_pages.staff_user  # the fixture: a staff account for the pages


def listed_reports(db, settings, count: int, code: str = "D-CHK") -> list[int]:
    """`count` conflicting courier reports of one shipment, oldest first: their event ids."""
    shipment_id = make_booked_shipment(db, settings, code)
    at = now_utc() - timedelta(hours=1)
    with unit_of_work(db) as s:
        shipment = s.get(Shipment, shipment_id)
        for n in range(count):
            checks.list_conflict(s, shipment, {"event_id": f"{code}-X{n}", "status_code": 5},
                                 occurred_at=at + timedelta(minutes=n), source="courier_webhook",
                                 reason="test conflict", data={"kind": "courier_conflict"}, now=now_utc())
    with db() as s:
        return list(s.execute(select(ShipmentEvent.id).where(ShipmentEvent.shipment_id == shipment_id,
                                                             ShipmentEvent.event == "courier_conflict")
                              .order_by(ShipmentEvent.id)).scalars())


def audits(db) -> list[tuple[str, str, str, str | None]]:
    with db() as s:
        return [(a.actor, a.action, a.subject_id, a.reason) for a in s.execute(
            select(AuditEntry).where(AuditEntry.action == "shipment.check.resolve").order_by(AuditEntry.id)).scalars()]


# --- the API ------------------------------------------------------------------------------------

def test_a_report_is_resolved_once_with_who_when_and_why_and_audited(client, auth, db, test_settings):
    first, second = listed_reports(db, test_settings, 2)
    r = client.post(f"{CHECKS}/{first}/resolve", json={"note": "  Đã gọi bưu điện:  trùng mã do lỗi hệ thống "},
                    headers=auth("postal"))
    assert r.status_code == 201, r.json
    resolution = r.json["resolution"]
    assert resolution["note"] == "Đã gọi bưu điện: trùng mã do lỗi hệ thống"
    assert resolution["resolved_by"].startswith("token:")
    assert resolution["resolved_at"]
    assert (r.json["id"], r.json["kind"], r.json["shipment"]["dossier_code"]) == (first, "courier_conflict", "D-CHK")
    again = client.post(f"{CHECKS}/{first}/resolve", json={"note": "another note"}, headers=auth("postal"))
    assert again.status_code == 200 and again.json["resolution"] == resolution  # the first resolution stands
    assert audits(db) == [(resolution["resolved_by"], "shipment.check.resolve", str(first),
                           "Đã gọi bưu điện: trùng mã do lỗi hệ thống")]
    with db() as s:
        assert verify_chain(s).ok

    def ids(query=""):
        r = client.get(f"{CHECKS}{query}", headers=auth("auditor"))
        assert r.status_code == 200, r.json
        return [c["id"] for c in r.json["checks"]]

    assert ids() == [first, second]  # every report, oldest first
    assert ids("?resolved=false") == [second]
    assert ids("?resolved=true") == [first]
    listed = client.get(f"{CHECKS}?resolved=false", headers=auth("postal")).json["checks"][0]
    assert listed["resolution"] is None and listed["data"]["claimed"]["event_id"] == "D-CHK-X1"


def test_the_listing_pages_by_id_and_refuses_a_bad_filter(client, auth, db, test_settings):
    ids = listed_reports(db, test_settings, 5)
    page = client.get(f"{CHECKS}?resolved=false&limit=2", headers=auth("postal")).json
    assert [c["id"] for c in page["checks"]] == ids[:2] and page["next_after"] == ids[1]
    rest = client.get(f"{CHECKS}?resolved=false&limit=2&after={ids[3]}", headers=auth("postal")).json
    assert [c["id"] for c in rest["checks"]] == ids[4:] and rest["next_after"] is None
    for query in ("?resolved=maybe", "?limit=0", "?limit=abc", "?after=-1"):
        bad = client.get(f"{CHECKS}{query}", headers=auth("postal"))
        assert (bad.status_code, bad.json["code"]) == (400, "invalid_parameter"), query


def test_resolving_is_refused_without_a_note_for_what_is_not_listed_and_for_other_roles(
        client, auth, db, test_settings):
    (listed,) = listed_reports(db, test_settings, 1)
    for body in ({}, {"note": "   "}, {"note": None}):
        r = client.post(f"{CHECKS}/{listed}/resolve", json=body, headers=auth("postal"))
        assert (r.status_code, r.json["code"]) == (400, "missing_field"), body
    long = client.post(f"{CHECKS}/{listed}/resolve", json={"note": "x" * 1001}, headers=auth("postal"))
    assert long.status_code == 400
    with db() as s:  # an event of the shipment that is no report to check (its booking)
        other = s.execute(select(ShipmentEvent.id).where(ShipmentEvent.event != "courier_conflict")).scalars().first()
    for event_id in (other, 999999):
        r = client.post(f"{CHECKS}/{event_id}/resolve", json={"note": "ok"}, headers=auth("postal"))
        assert (r.status_code, r.json["code"]) == (404, "check_not_found"), event_id
    for role in ("intake", "auditor", "finance"):
        r = client.post(f"{CHECKS}/{listed}/resolve", json={"note": "ok"}, headers=auth(role))
        assert r.status_code == 403, role
    assert client.get(CHECKS, headers=auth("finance")).status_code == 403
    assert audits(db) == []


# --- the board ----------------------------------------------------------------------------------

def board(client, staff_user, roles=("postal",), name="buudien9"):
    staff_user(name, roles)
    log_in(client, name)
    r = client.get(BOARD)
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_the_board_lists_every_unresolved_report_oldest_first_and_counts_those_past_its_cap(
        client, db, test_settings, staff_user, monkeypatch):
    from web import postal_board

    ids = listed_reports(db, test_settings, 5)
    monkeypatch.setattr(postal_board, "CHECKS_SHOWN", 3)
    html = board(client, staff_user)
    shown = [i for i in ids if f'id="check-{i}"' in html]
    assert shown == ids[:3]  # the oldest stay on the board until dealt with
    assert html.index("D-CHK-X0") < html.index("D-CHK-X1") < html.index("D-CHK-X2")
    assert "D-CHK-X4" not in html
    assert "Còn 2 báo cáo cần kiểm tra khác chưa hiển thị" in html


def test_a_clerk_resolves_a_report_from_the_board_with_a_note_and_it_leaves_the_board(
        client, db, test_settings, staff_user):
    first, second = listed_reports(db, test_settings, 2)
    html = board(client, staff_user)
    action = f"/staff/postal/checks/{first}/resolve"
    assert f'action="{action}"' in html and 'name="note"' in html
    r = client.post(action, data={"note": "Bưu điện xác nhận gửi trùng", "board_date": "2026-11-27",
                                  "csrf_token": page_csrf(client, BOARD)})
    assert r.status_code in (302, 303)
    html = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Đã đánh dấu báo cáo" in html and "đã xử lý" in html
    assert f'id="check-{first}"' not in html and f'id="check-{second}"' in html
    (who, *what), = audits(db)
    assert who.startswith("user:") and what == ["shipment.check.resolve", str(first), "Bưu điện xác nhận gửi trùng"]


def test_a_refused_resolution_says_why_and_keeps_the_note_typed(client, db, test_settings, staff_user):
    (listed,) = listed_reports(db, test_settings, 1)
    board(client, staff_user)
    action = f"/staff/postal/checks/{listed}/resolve"
    empty = client.post(action, data={"note": "  ", "csrf_token": page_csrf(client, BOARD)})
    assert empty.status_code == 400 and "Vui lòng điền ghi chú." in empty.get_data(as_text=True)
    typed = "Đã liên hệ bưu tá " + "rất dài " * 130
    long = client.post(action, data={"note": typed, "csrf_token": page_csrf(client, BOARD)})
    html = long.get_data(as_text=True)
    assert long.status_code == 400 and "Ghi chú quá dài: tối đa 1000 ký tự." in html
    assert typed.strip() in html  # what was typed is back in the form, which comes open
    assert f'id="check-{listed}"' in html and audits(db) == []


def test_an_auditor_sees_the_reports_but_no_resolve_button(client, db, test_settings, staff_user):
    (listed,) = listed_reports(db, test_settings, 1)
    html = board(client, staff_user, roles=("auditor",), name="kiemtoan")
    assert f'id="check-{listed}"' in html and f"/staff/postal/checks/{listed}/resolve" not in html
    staff_user("kiemtoan2", ("auditor",))
    r = client.post(f"/staff/postal/checks/{listed}/resolve", data={"note": "x",
                                                                    "csrf_token": page_csrf(client, BOARD)})
    assert r.status_code == 403 and audits(db) == []


def test_the_resolve_form_reads_in_english(client, db, test_settings, staff_user):
    listed_reports(db, test_settings, 1)
    board(client, staff_user)
    html = client.get(f"{BOARD}?lang=en").get_data(as_text=True)
    assert "Mark as dealt with" in html and "Note: what was done" in html


def test_two_clerks_resolving_one_report_at_once_record_one_resolution(db, engine, test_settings):
    """The second waits for the first's row lock, then finds its resolution (no unique-key error, one audit)."""
    from tests.integration.test_cash_fix_drawer_close_race import in_thread
    from tests.locks import wait_until_blocked

    (listed,) = listed_reports(db, test_settings, 1)

    def second():
        with unit_of_work(db) as s:
            (_, _, resolution), created = checks.resolve(s, event_id=listed, note="Lần hai", actor="user:2:b",
                                                         now=now_utc())
            return resolution.note, created

    with unit_of_work(db) as s:
        checks.resolve(s, event_id=listed, note="Lần một", actor="user:1:a", now=now_utc())
        thread, out = in_thread(second)
        wait_until_blocked(engine, thread)
    thread.join()
    assert out == [("Lần một", False)]
    assert [(who, reason) for who, _, _, reason in audits(db)] == [("user:1:a", "Lần một")]


def test_paging_unresolved_reports_interleaved_with_resolved_ones_skips_and_repeats_none(
        client, auth, db, test_settings):
    ids = listed_reports(db, test_settings, 7)
    for event_id in ids[1::2]:
        assert client.post(f"{CHECKS}/{event_id}/resolve", json={"note": "ok"}, headers=auth("postal")).status_code == 201
    for resolved, expected in (("false", ids[0::2]), ("true", ids[1::2]), (None, ids)):
        seen, after = [], 0
        while True:
            query = f"?limit=2&after={after}" + (f"&resolved={resolved}" if resolved else "")
            page = client.get(f"{CHECKS}{query}", headers=auth("intake")).json
            seen += [c["id"] for c in page["checks"]]
            if page["next_after"] is None:
                break
            after = page["next_after"]
        assert seen == expected, resolved


def test_the_board_never_counts_fewer_reports_than_it_shows(client, db, test_settings, staff_user, monkeypatch):
    """The list and the count are two statements: under READ COMMITTED a clerk may resolve reports between
    them, so the count can come back below the rows already listed. The board says no negative rest."""
    from web import postal_board

    listed_reports(db, test_settings, 3)
    monkeypatch.setattr(postal_board, "CHECKS_SHOWN", 3)
    counted = checks.unresolved_count
    monkeypatch.setattr(checks, "unresolved_count", lambda session: counted(session) - 2)  # two resolved meanwhile
    html = board(client, staff_user)
    assert "Còn -" not in html and 'id="more-checks"' not in html
    assert "Báo cáo của bưu điện cần kiểm tra (3)" in html
