"""A business day is Hà Nội's calendar day, 17:00 UTC to 17:00 UTC: money booked at 16:59:59.999999Z
counts in the day, at 17:00:00Z (00:00 in Hà Nội) in the next one, on SQLite (which keeps no time
zone) as on PostgreSQL, and the stored instant reads back aware, in UTC, to the microsecond."""
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from payments.models import Payment
from tests.api.test_input_hardening import callback
from tests.factories import make_request

EDGES = {"2026-11-24T16:59:59.999999Z": "2026-11-24", "2026-11-24T17:00:00Z": "2026-11-25",
         "2026-11-24 23:59:59.999999": "2026-11-24", "2026-11-25 00:00:00": "2026-11-25"}


@pytest.mark.parametrize("written,day", EDGES.items())
def test_money_at_the_edge_of_a_business_day_counts_in_hanoi_s_day(client, auth, test_settings, db, written, day):
    code = make_request(client, auth, ("Lệ phí", "charge", 30_000))
    assert callback(client, test_settings, "bank", code=code, amount=30_000, booked_at=written).status_code == 200
    with db() as s:
        [booked] = s.execute(select(Payment.booked_at)).scalars().all()
    assert booked.tzinfo is not None and booked.utcoffset().total_seconds() == 0
    assert booked == datetime.fromisoformat(written.replace(" ", "T") + ("" if "Z" in written else "+07:00"))
    for shown in ("2026-11-24", "2026-11-25"):
        totals = client.get(f"/api/v1/reconciliation/days/{shown}", headers=auth("finance")).json["totals"]
        assert totals["received_vnd"] == (30_000 if shown == day else 0), (shown, totals)


def test_the_stored_instant_compares_with_an_aware_one_on_every_database(client, auth, test_settings, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 30_000))
    callback(client, test_settings, "bank", code=code, amount=30_000, booked_at="2026-11-24T17:00:00Z")
    edge = datetime(2026, 11, 24, 17, tzinfo=timezone.utc)
    with db() as s:
        assert s.execute(select(Payment.id).where(Payment.booked_at >= edge)).scalars().all() != []
        assert s.execute(select(Payment.id).where(Payment.booked_at < edge)).scalars().all() == []
