"""A day closes only on its whole statement: not while an import that may still bring it lines is
processing (409 `import_in_progress`), unless that import has been stuck for so long that its process
must have died. A part of a closed day's statement imported later is checked too: the bank's figures for
that day against all its lines, late ones included, in the queue of the open day the late lines land in."""
import io
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from kernel.db import unit_of_work
from kernel.errors import Conflict
from reconciliation import days, importer
from reconciliation.models import StatementImport
from tests.recon_factories import upload, vcb_csv

DAY, NEXT = "2026-11-24", "2026-11-25"
ACCOUNT = "bank:970436:0071001234567"
AFTER = datetime(2026, 11, 27, 3, 0, tzinfo=timezone.utc)  # both days are over


def fees_with_a_wrong_closing() -> bytes:
    """Two bank fees of DAY from 100,000: the bank's closing says 97,999 where the lines give 98,000."""
    head = vcb_csv(("H", "", "", "")).splitlines()[0]
    return (f'{head}\n24/11/2026,FEE1,"1.000","","99.000","phi dich vu 1"\n'
            '24/11/2026,FEE2,"1.000","","97.999","phi dich vu 2"\n').encode()


def close(client, auth, day: str):
    return client.post(f"/api/v1/reconciliation/days/{day}/close", headers=auth("finance"))


def approve(client, auth, day: str):
    return client.post(f"/api/v1/reconciliation/days/{day}/close/approve", headers=auth("approver"))


def test_a_day_is_not_closed_while_its_statement_is_still_being_imported(client, auth, db, test_settings,
                                                                         monkeypatch):
    monkeypatch.setattr(importer, "CHUNK", 1)  # one line a chunk: the close comes between them
    parsed = importer.parse_upload(io.BytesIO(fees_with_a_wrong_closing()))
    answers = []

    def close_between_chunks(done: int, total: int) -> None:
        if done < total:
            answers.append((close(client, auth, DAY), approve(client, auth, DAY)))

    importer.run_import(db, parsed, filename="phi.csv", account_number=None, settings=test_settings, actor="test",
                        now=datetime.now(timezone.utc), on_progress=close_between_chunks)
    [(asked, approved)] = answers
    assert asked.status_code == 409 and asked.json["code"] == "import_in_progress", asked.json
    assert asked.json["details"]["import_ids"] == [1]
    assert approved.status_code == 409 and approved.json["code"] == "close_not_requested", approved.json
    # the whole file is in: its closing balance is checked, and the day waits for finance
    refused = close(client, auth, DAY)
    assert refused.status_code == 409 and refused.json["code"] == "open_exceptions"
    assert [e["kind"] for e in refused.json["details"]["exceptions"]] == ["balance_mismatch"]


def test_a_closed_reports_balance_exception_names_the_account_and_its_day_as_people_do(client, auth, db):
    import csv

    assert upload(client, auth, fees_with_a_wrong_closing()).status_code == 201
    assert client.post(f"/api/v1/reconciliation/days/{DAY}/exceptions/balance:{ACCOUNT}:{DAY}/acknowledge",
                       headers=auth("finance"), json={"reason": "ngân hàng xác nhận lệch"}).status_code == 201
    assert close(client, auth, DAY).status_code == 202 and approve(client, auth, DAY).status_code == 200
    report = client.get(f"/api/v1/reconciliation/days/{DAY}/report.csv", headers=auth("auditor")).data
    rows = list(csv.reader(io.StringIO(report.decode("utf-8-sig"))))
    start = rows.index(["VII. Ngoại lệ"]) + 2
    assert rows[start][:3] == ["Tài khoản Vietcombank 0071001234567 (ngày 24/11/2026)", "Lệch số dư", "1"]
    # how it was handled, and (round 13) why, by whom and when
    assert rows[start][3].startswith("Đã xác nhận: ngân hàng xác nhận lệch (test finance, ")


def stuck_import(db, *, began: datetime, period: tuple[date, date] | None = (date(2026, 11, 24),) * 2,
                 lines: int = 1) -> int:
    """The one import made it: left `processing` half-way, as a process that died leaves it."""
    with unit_of_work(db) as s:
        s.execute(update(StatementImport).values(
            status="processing", finished_at=None, created_at=began, lines_total=lines,
            period_from=period[0] if period else None, period_to=period[1] if period else None))
    return 1


@pytest.fixture
def one_import(client, auth):
    assert upload(client, auth, vcb_csv(("FEE9", "1.000", "", "phi"), day="23/11/2026")).status_code == 201


def request_close(db, settings, day: str, now: datetime):
    with unit_of_work(db) as s:
        return days.request_close(s, date.fromisoformat(day), settings=settings, actor="kế toán Lan", now=now)


def test_an_import_stuck_in_processing_holds_a_close_only_until_its_process_must_have_died(one_import, db,
                                                                                         test_settings):
    began = AFTER - timedelta(minutes=30)
    stuck_import(db, began=began, lines=1_000_000)  # a million lines: an hour, and one more, to run
    with pytest.raises(Conflict) as held:
        request_close(db, test_settings, DAY, began + timedelta(hours=2) - timedelta(seconds=1))
    assert held.value.code == "import_in_progress"
    assert held.value.details["import_ids"] == [1]
    assert request_close(db, test_settings, DAY, began + timedelta(hours=2, seconds=1)).status == "close_requested"


def test_an_import_whose_period_is_not_known_yet_holds_every_close(one_import, db, test_settings):
    stuck_import(db, began=AFTER, period=None)
    for day in ("2026-11-20", DAY):
        with pytest.raises(Conflict) as held:
            request_close(db, test_settings, day, AFTER)
        assert held.value.code == "import_in_progress"


def test_an_import_of_a_closed_day_holds_the_day_its_lines_land_in_and_no_other(one_import, db, test_settings):
    for day in ("2026-11-23", DAY):
        request_close(db, test_settings, day, AFTER)
        with unit_of_work(db) as s:
            days.approve_close(s, date.fromisoformat(day), settings=test_settings, actor="trưởng phòng Minh",
                               now=AFTER)
    stuck_import(db, began=AFTER, period=(date(2026, 11, 23), date(2026, 11, 23)))
    with pytest.raises(Conflict) as held:  # 23 and 24 are closed: its lines land in 25/11
        request_close(db, test_settings, NEXT, AFTER)
    assert held.value.code == "import_in_progress"
    assert request_close(db, test_settings, "2026-11-26", AFTER).status == "close_requested"


def test_the_approval_too_waits_for_an_import_that_began_after_the_request(one_import, db, test_settings):
    request_close(db, test_settings, DAY, AFTER)
    stuck_import(db, began=AFTER)
    with unit_of_work(db) as s, pytest.raises(Conflict) as held:
        days.approve_close(s, date.fromisoformat(DAY), settings=test_settings, actor="trưởng phòng Minh", now=AFTER)
    assert held.value.code == "import_in_progress"


# --- a part of a closed day's statement imported after its close ----------------------------------

def mt940(n: int, opening: int, entries: list[tuple[str, int, str]], closing: int) -> str:
    text = f":20:QA{n}\r\n:25:0071001234567\r\n:28C:{n}/1\r\n:60F:C261124VND{opening},\r\n"
    for mark, amount, ref in entries:
        text += f":61:2611241124{mark}{amount},NTRF{ref}//{ref}\r\n:86:phi {ref}\r\n"
    return text + f":62F:C261124VND{closing},\r\n-\r\n"


def queue(client, auth, day: str, state: str = "open") -> list[dict]:
    r = client.get(f"/api/v1/reconciliation/days/{day}/exceptions?state={state}", headers=auth("finance"))
    assert r.status_code == 200, r.json
    return r.json["exceptions"]


def closed_with_its_morning(client, auth, *, morning_closing: int = 990_000, acknowledge: bool = False) -> None:
    assert upload(client, auth, mt940(1, 1_000_000, [("D", 10_000, "800001")], morning_closing),
                  "sang.sta").status_code == 201
    if acknowledge:
        [found] = queue(client, auth, DAY)
        assert client.post(f"/api/v1/reconciliation/days/{DAY}/exceptions/{found['key']}/acknowledge",
                           headers=auth("finance"), json={"reason": "ngân hàng xác nhận lệch"}).status_code == 201
    assert close(client, auth, DAY).status_code == 202
    assert approve(client, auth, DAY).status_code == 200


def test_a_late_part_whose_closing_does_not_add_up_shows_where_its_lines_landed(client, auth, db):
    closed_with_its_morning(client, auth)
    assert upload(client, auth, mt940(2, 990_000, [("D", 5_000, "800002")], 984_999), "chieu.sta").status_code == 201
    [found] = queue(client, auth, NEXT)
    assert (found["key"], found["kind"], found["amount_vnd"]) == (f"balance:{ACCOUNT}:{DAY}", "balance_mismatch", 1)
    assert found["details"]["business_date"] == DAY
    assert (found["details"]["debits_vnd"], found["details"]["closing_stated_vnd"],
            found["details"]["closing_computed_vnd"]) == (15_000, 984_999, 985_000)
    late = client.get(f"/api/v1/reconciliation/days/{NEXT}", headers=auth("finance")).json["late_balances"]
    assert [(b["business_date"], b["difference_vnd"]) for b in late] == [(DAY, -1)]
    assert queue(client, auth, DAY, "all") == []  # the closed day is as it was frozen
    refused = close(client, auth, NEXT)
    assert refused.status_code == 409 and refused.json["code"] == "open_exceptions"
    assert client.post(f"/api/v1/reconciliation/days/{NEXT}/exceptions/{found['key']}/acknowledge",
                       headers=auth("finance"), json={"reason": "ngân hàng xác nhận"}).status_code == 201
    assert close(client, auth, NEXT).status_code == 202
    assert approve(client, auth, NEXT).status_code == 200
    assert queue(client, auth, "2026-11-26", "all") == []  # shown once: the day that closed with it froze it


def test_a_late_part_that_adds_up_raises_nothing(client, auth, db):
    closed_with_its_morning(client, auth)
    assert upload(client, auth, mt940(2, 990_000, [("D", 5_000, "800002")], 985_000), "chieu.sta").status_code == 201
    assert queue(client, auth, NEXT, "all") == []
    late = client.get(f"/api/v1/reconciliation/days/{NEXT}", headers=auth("finance")).json["late_balances"]
    assert [(b["business_date"], b["difference_vnd"]) for b in late] == [(DAY, 0)]


def test_a_difference_accepted_at_the_close_is_not_asked_again_when_a_late_part_adds_up(client, auth, db):
    closed_with_its_morning(client, auth, morning_closing=989_999, acknowledge=True)
    assert upload(client, auth, mt940(2, 989_999, [("D", 5_000, "800002")], 984_999), "chieu.sta").status_code == 201
    assert queue(client, auth, NEXT, "all") == []  # still the one đồng the close accepted, nothing new
    assert upload(client, auth, mt940(3, 984_999, [("D", 1_000, "800003")], 983_998), "toi.sta").status_code == 201
    [found] = queue(client, auth, NEXT)  # a third part loses one more: two now
    assert (found["kind"], found["amount_vnd"], found["details"]["closed_difference_vnd"]) == (
        "balance_mismatch", 2, -1)
