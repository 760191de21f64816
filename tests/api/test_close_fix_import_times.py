"""An import says when it began and when it finished (they were the same instant: the request's)."""
import io
from datetime import datetime, timedelta, timezone

from reconciliation import importer
from reconciliation.models import StatementImport
from tests.factories import make_request
from tests.recon_factories import vcb_csv

BEGAN = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)


def test_an_import_is_finished_when_its_last_chunk_is_stored_not_when_it_began(client, auth, db, test_settings,
                                                                              monkeypatch):
    code = make_request(client, auth, ("Lệ phí", "charge", 40_000))
    monkeypatch.setattr(importer, "CHUNK", 1)
    parsed = importer.parse_upload(io.BytesIO(vcb_csv(("FT701", "", "40.000", f"{code} nop phi"),
                                                      ("FT702", "", "10.000", "khong ma")).encode()))
    ticks = iter(BEGAN + timedelta(minutes=n) for n in range(1, 100))
    import_id = importer.run_import(db, parsed, filename="s.csv", account_number=None, settings=test_settings,
                                    actor="test", now=BEGAN, clock=lambda: next(ticks))
    with db() as s:
        done = s.get(StatementImport, import_id)
        assert (done.status, done.created_at, done.finished_at) == ("done", BEGAN, BEGAN + timedelta(minutes=1))


def test_the_api_shows_an_import_finishing_after_it_began(client, auth):
    from tests.recon_factories import upload

    body = upload(client, auth, vcb_csv(("FT703", "", "10.000", "khong ma"))).json
    shown = client.get(f"/api/v1/reconciliation/statements/{body['import_id']}", headers=auth("finance")).json
    assert shown["finished_at"] > shown["created_at"]
