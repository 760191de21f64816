"""A day closes only on its whole statement: not while an import that may still bring it lines is
processing (409 `import_in_progress`), unless that import has been stuck for so long that its process
must have died."""
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
