"""Postal, QA round 9: a courier event whose applying fails unexpectedly is recorded on its inbox row
(`processing failed (ExcType)`), logged with the request id and answered 500 with a stable code, so the
courier retries, and the retry applies it once."""
import logging
from datetime import timedelta

from sqlalchemy import select

from kernel.clock import now_utc
from kernel.inbox import InboundCallback
from postal import tracking
from postal.models import Shipment, ShipmentEvent
from tests.api.test_postal_fix_courier_json import courier_rows
from tests.api.test_postal_round3 import tracking as tracking_number
from tests.api.test_postal_round3 import webhook
from tests.postal_factories import make_booked_shipment


def scheduled_event(shipment_id: int, event_id: str = "R9-1") -> dict:
    return {"event_id": event_id, "tracking_number": tracking_number(shipment_id), "status_code": 2,
            "occurred_at": (now_utc() - timedelta(minutes=1)).isoformat()}


def test_a_courier_event_whose_applying_fails_is_kept_with_the_failure_and_applied_once_on_retry(
        client, db, test_settings, monkeypatch, caplog):
    shipment_id = make_booked_shipment(db, test_settings, "D-R9-FAIL")
    real_apply = tracking.apply_courier_event

    def broken(*args, **kwargs):
        raise KeyError("0912345678")  # a bug's message may carry what the event said: not kept on the row

    monkeypatch.setattr(tracking, "apply_courier_event", broken)
    with caplog.at_level(logging.ERROR):
        r = webhook(client, test_settings, scheduled_event(shipment_id))
    assert (r.status_code, r.json["code"]) == (500, "courier_event_processing_failed")
    request_id = r.headers["X-Request-Id"]
    assert r.json["details"]["request_id"] == request_id
    [row] = courier_rows(db)
    assert (row.status, row.reason) == ("received", "processing failed (KeyError)")
    assert any(getattr(rec, "request_id", None) == request_id and getattr(rec, "inbox_id", None) == row.id
               for rec in caplog.records)
    with db() as s:  # nothing of the failed attempt was written
        assert s.scalars(select(ShipmentEvent).where(ShipmentEvent.courier_event_id.is_not(None))).all() == []

    monkeypatch.setattr(tracking, "apply_courier_event", real_apply)
    retry = webhook(client, test_settings, scheduled_event(shipment_id))
    assert (retry.status_code, retry.json["outcome"]) == (200, "applied")
    again = webhook(client, test_settings, scheduled_event(shipment_id))
    assert (again.status_code, again.json["outcome"]) == (200, "duplicate")
    with db() as s:
        assert s.get(Shipment, shipment_id).status == "scheduled"
        assert len(s.scalars(select(ShipmentEvent).where(ShipmentEvent.courier_event_id == "R9-1")).all()) == 1
        statuses = s.scalars(select(InboundCallback.status).where(InboundCallback.provider == "courier")
                             .order_by(InboundCallback.id)).all()
    assert statuses == ["received", "applied", "duplicate"]
