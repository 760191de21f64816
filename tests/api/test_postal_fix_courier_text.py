"""Courier tracking events are held to the columns that keep them: a text longer than its column
is a malformed event kept as rejected (it was a 500 on PostgreSQL and stored on SQLite)."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from kernel.clock import now_utc
from kernel.inbox import InboundCallback
from postal.models import Shipment
from tests.api.test_postal_round3 import webhook
from tests.postal_factories import make_dossier, shipment_body


@pytest.mark.parametrize("field, value", [
    ("tracking_number", "EB" + "1" * 60 + "VN"),
    ("tracking_number", "E" * 41),
    ("reference", "HCC-" + "1" * 100),
    ("event_id", "E" * 101),
])
def test_a_courier_text_longer_than_its_column_is_a_malformed_event_kept_as_rejected(client, auth, db,
                                                                                    test_settings, field, value):
    make_dossier(db, test_settings, code="D-LONG")
    shipment_id = client.post("/api/v1/postal/shipments", json=shipment_body(dossier_code="D-LONG"),
                              headers=auth("intake")).json["id"]
    body = {"event_id": "L-0", "reference": f"HCC-{shipment_id}", "status_code": 0,
            "occurred_at": (now_utc() - timedelta(minutes=1)).isoformat(), field: value}
    r = webhook(client, test_settings, body)
    assert (r.status_code, r.json["code"], r.json["details"]["field"]) == (400, "malformed_event", field)
    with db() as s:
        assert [c.status for c in s.execute(select(InboundCallback).where(InboundCallback.provider == "courier"))
                .scalars()] == ["rejected"]
        assert s.get(Shipment, shipment_id).tracking_number is None


def test_a_tracking_number_of_exactly_the_column_size_is_taken(client, auth, db, test_settings):
    make_dossier(db, test_settings, code="D-40")
    shipment_id = client.post("/api/v1/postal/shipments", json=shipment_body(dossier_code="D-40"),
                              headers=auth("intake")).json["id"]
    body = {"event_id": "L-40", "reference": f"HCC-{shipment_id}", "tracking_number": "E" * 40, "status_code": 0,
            "occurred_at": (now_utc() - timedelta(minutes=1)).isoformat()}
    assert webhook(client, test_settings, body).status_code == 200
    with db() as s:
        assert s.get(Shipment, shipment_id).tracking_number == "E" * 40
