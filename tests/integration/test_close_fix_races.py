"""A day's close and the work that may change its money are serialised: a line decision, an undo or an
import chunk that comes while the close is being approved waits for it and then lands in the next open
day (or is refused: `day_closed`); a close that comes while a decision is being written waits for it and
counts it once, never again as an adjustment. Run on PostgreSQL with real locks (the waiting side is
seen waiting in pg_locks); SQLite serialises writers and passes the same assertions."""
import io
import threading
from datetime import timedelta

import pytest

from kernel.clock import now_utc
from kernel.db import unit_of_work
from payments.ledger import balances
from reconciliation import days, importer, resolutions
from tests.factories import make_request
from tests.recon_factories import all_lines, upload, vcb_csv
from tests.locks import wait_until_blocked

DAY, NEXT = "2026-11-24", "2026-11-25"


pytestmark = pytest.mark.usefixtures("ledger_checked")  # the books balance after each test


def day_of(iso: str):
    from datetime import date

    return date.fromisoformat(iso)


def line_in_suspense(client, auth) -> tuple[str, dict, list[int]]:
    """An open request and a 100,000 ₫ line of DAY without its code (acknowledged), the close asked;
    returns the code, the line and the acknowledgements' ids."""
    code = make_request(client, auth, ("Lệ phí", "charge", 100_000))
    imported = upload(client, auth, vcb_csv(("Z1", "", "100.000", "nop le phi khong ma"))).json
    [line] = all_lines(client, auth, imported["import_id"])
    found = client.get(f"/api/v1/reconciliation/days/{DAY}/exceptions", headers=auth("finance")).json["exceptions"]
    acknowledged = []
    for exception in found:
        r = client.post(f"/api/v1/reconciliation/days/{DAY}/exceptions/{exception['key']}/acknowledge",
                        headers=auth("finance"), json={"reason": "xem sau"})
        assert r.status_code == 201, r.json
        acknowledged.append(r.json["id"])
    assert acknowledged
    assert client.post(f"/api/v1/reconciliation/days/{DAY}/close", headers=auth("finance")).status_code == 202
    return code, line, acknowledged




def in_thread(call) -> tuple[threading.Thread, dict]:
    out: dict = {}
    thread = threading.Thread(target=lambda: out.setdefault("response", call()))
    thread.start()
    return thread, out


def summary(client, auth, day: str) -> dict:
    return client.get(f"/api/v1/reconciliation/days/{day}", headers=auth("auditor")).json


def rows(summary_part: dict) -> dict:
    return {row["agency_code"]: row["amount_vnd"] for row in summary_part["by_agency"]}


def test_a_match_that_comes_while_the_close_is_approved_waits_and_is_refused(app, client, auth, db, engine,
                                                                               test_settings):
    code, line, _ = line_in_suspense(client, auth)
    with unit_of_work(db) as s:
        days.approve_close(s, day_of(DAY), settings=test_settings, actor="trưởng phòng Minh", now=now_utc())
        thread, out = in_thread(lambda: app.test_client().post(
            f"/api/v1/reconciliation/lines/{line['id']}/match", headers=auth("finance"),
            json={"reason": "khớp tay", "allocations": [{"payment_code": code}]}))
        wait_until_blocked(engine, thread)
    thread.join()
    r = out["response"]
    assert r.status_code == 409 and r.json["code"] == "day_closed", r.json
    assert rows(summary(client, auth, DAY)["totals"]) == {"suspense": 100_000}
    assert rows(summary(client, auth, NEXT)["totals"]["adjustments"]) == {}
    with db() as s:
        assert not any(balances(s, "revenue:").values())  # nothing moved


def test_a_match_as_adjustment_that_waited_for_the_close_lands_in_the_next_day_and_can_be_undone(
        app, client, auth, db, engine, test_settings):
    code, line, _ = line_in_suspense(client, auth)
    with unit_of_work(db) as s:
        days.approve_close(s, day_of(DAY), settings=test_settings, actor="trưởng phòng Minh",
                           now=now_utc() + timedelta(minutes=1))  # the close's clock ahead of the decision's
        thread, out = in_thread(lambda: app.test_client().post(
            f"/api/v1/reconciliation/lines/{line['id']}/match", headers=auth("finance"),
            json={"reason": "khớp tay", "allocations": [{"payment_code": code}], "as_adjustment": True}))
        wait_until_blocked(engine, thread)
    thread.join()
    r = out["response"]
    assert r.status_code == 201, r.json
    assert (r.json["resolution"]["recon_date"], r.json["resolution"]["adjustment"]) == (NEXT, True)
    assert rows(summary(client, auth, DAY)["totals"]) == {"suspense": 100_000}  # frozen as the close saw it
    moved = summary(client, auth, NEXT)["totals"]["adjustments"]
    assert rows(moved) == {"H40.22": 100_000, "suspense": -100_000}  # ... and the move is the next day's
    undone = client.post(f"/api/v1/reconciliation/resolutions/{r.json['resolution']['id']}/undo",
                         headers=auth("finance"), json={"reason": "nhầm"})
    assert undone.status_code == 200, undone.json


@pytest.mark.parametrize("decided", [timedelta(minutes=-1), timedelta(minutes=1)],
                         ids=["decision-stamped-before-the-close", "decision-stamped-after-the-close-began"])
def test_a_close_that_comes_while_a_match_is_written_waits_and_counts_it_once(app, client, auth, db, engine,
                                                                              test_settings, decided):
    code, line, _ = line_in_suspense(client, auth)
    with unit_of_work(db) as s:
        resolutions.resolve_line(s, line_id=line["id"], action="match", reason="khớp tay", settings=test_settings,
                                 actor="kế toán Lan", now=now_utc() + decided, allocations=[(code, None)])
        thread, out = in_thread(lambda: app.test_client().post(
            f"/api/v1/reconciliation/days/{DAY}/close/approve", headers=auth("approver")))
        wait_until_blocked(engine, thread)
    thread.join()
    assert out["response"].status_code == 200, out["response"].json
    assert rows(summary(client, auth, DAY)["totals"]) == {"H40.22": 100_000}
    assert summary(client, auth, NEXT)["totals"]["adjustments"]["by_agency"] == []  # not a second time


def test_an_undo_that_comes_while_the_close_is_approved_waits_and_is_refused(app, client, auth, db, engine,
                                                                             test_settings):
    _, _, [acknowledged, *_] = line_in_suspense(client, auth)
    with unit_of_work(db) as s:
        days.approve_close(s, day_of(DAY), settings=test_settings, actor="trưởng phòng Minh", now=now_utc())
        thread, out = in_thread(lambda: app.test_client().post(
            f"/api/v1/reconciliation/resolutions/{acknowledged}/undo", headers=auth("finance"),
            json={"reason": "xem lại"}))
        wait_until_blocked(engine, thread)
    thread.join()
    assert out["response"].status_code == 409 and out["response"].json["code"] == "day_closed"


def test_an_import_chunk_stored_after_its_days_close_lands_in_the_next_open_day(client, auth, db, test_settings,
                                                                                monkeypatch):
    first = make_request(client, auth, ("Lệ phí", "charge", 40_000))
    second = make_request(client, auth, ("Lệ phí", "charge", 40_000))
    monkeypatch.setattr(importer, "CHUNK", 1)  # one line a chunk: the day closes between them
    data = vcb_csv(("FT601", "", "40.000", f"{first} nop phi"), ("FT602", "", "40.000", f"{second} nop phi"))
    parsed = importer.parse_upload(io.BytesIO(data.encode()))

    def close_between_chunks(done: int, total: int) -> None:
        # A close waits for a live import (import_in_progress); one taken for dead is what lets it close
        # between two chunks, so the day is closed as if that long after the import began.
        if done == 1:
            later = now_utc() + days.IMPORT_STALE_AFTER + timedelta(minutes=1)
            with unit_of_work(db) as s:
                days.request_close(s, day_of(DAY), settings=test_settings, actor="kế toán Lan", now=later)
            with unit_of_work(db) as s:
                days.approve_close(s, day_of(DAY), settings=test_settings, actor="trưởng phòng Minh", now=later)

    import_id = importer.run_import(db, parsed, filename="s.csv", account_number=None, settings=test_settings,
                                    actor="test", now=now_utc(), on_progress=close_between_chunks)
    assert [line["recon_date"] for line in all_lines(client, auth, import_id)] == [DAY, NEXT]
    assert summary(client, auth, DAY)["totals"]["received_vnd"] == 40_000
    assert summary(client, auth, NEXT)["totals"]["received_vnd"] == 40_000  # counted, in the day its line is
