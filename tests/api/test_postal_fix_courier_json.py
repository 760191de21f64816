"""The courier webhook reads its body as the payment callbacks do: a lone surrogate escape is
malformed JSON (it was a 500 with the inbox row left `received`, and the courier retried for ever),
and NUL or other control characters never reach a text column (PostgreSQL refuses NUL: a 500)."""
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from kernel.clock import now_utc
from kernel.inbox import InboundCallback
from kernel.signing import HEADER, sign
from postal.models import Shipment, ShipmentEvent
from tests.api.test_postal_round3 import webhook
from tests.postal_factories import make_dossier, shipment_body


def post_raw(client, settings, raw: bytes):
    signature = sign(settings.secret_values("HCCPAY_COURIER_WEBHOOK_SECRET"), raw, int(time.time()))
    return client.post("/api/v1/callbacks/courier", data=raw,
                       headers={HEADER: signature, "Content-Type": "application/json"})


def courier_rows(db):
    with db() as s:
        return list(s.execute(select(InboundCallback).where(InboundCallback.provider == "courier")).scalars())


def booked_shipment(client, auth, db, test_settings, code="D-JSON") -> int:
    make_dossier(db, test_settings, code=code)
    return client.post("/api/v1/postal/shipments", json=shipment_body(dossier_code=code),
                       headers=auth("intake")).json["id"]


def test_the_qa_reproduction_is_malformed_json_kept_as_rejected_with_its_reason(client, db, test_settings):
    raw = (b'{"event_id":"\\ud800","tracking_number":"X","reference":"Y","status_code":5,'
           b'"occurred_at":"2026-11-27T00:00:00+00:00"}')
    r = post_raw(client, test_settings, raw)
    assert (r.status_code, r.json["code"]) == (400, "malformed_json")
    [row] = courier_rows(db)
    assert row.status == "rejected" and "surrogate" in row.reason
    assert row.body == raw  # stored raw before it was read


@pytest.mark.parametrize("field", ["event_id", "tracking_number", "reference", "note"])
def test_a_lone_surrogate_in_any_text_field_is_malformed_json(client, auth, db, test_settings, field):
    shipment_id = booked_shipment(client, auth, db, test_settings)
    body = {"event_id": "S-1", "reference": f"HCC-{shipment_id}", "status_code": 0,
            "occurred_at": (now_utc() - timedelta(minutes=1)).isoformat(), field: "ab\ud83d"}
    r = webhook(client, test_settings, body)  # json.dumps writes the lone surrogate as \ud83d
    assert (r.status_code, r.json["code"]) == (400, "malformed_json")
    [row] = courier_rows(db)
    assert row.status == "rejected" and row.reason
    with db() as s:
        assert s.scalars(select(ShipmentEvent).where(ShipmentEvent.courier_event_id.is_not(None))).all() == []


@pytest.mark.parametrize("field", ["event_id", "tracking_number", "reference"])
@pytest.mark.parametrize("control", ["\x01", "\n", "\x7f", "\u2028"])
def test_a_control_character_in_an_identifier_is_a_malformed_event(client, auth, db, test_settings, field, control):
    shipment_id = booked_shipment(client, auth, db, test_settings)
    body = {"event_id": "C-1", "reference": f"HCC-{shipment_id}", "status_code": 0,
            "occurred_at": (now_utc() - timedelta(minutes=1)).isoformat()}
    body[field] = (body.get(field) or "EB00000001VN") + control
    r = webhook(client, test_settings, body)
    assert (r.status_code, r.json["code"], r.json["details"]["field"]) == (400, "malformed_event", field)
    [row] = courier_rows(db)
    assert row.status == "rejected" and row.reason
    with db() as s:
        assert s.get(Shipment, shipment_id).tracking_number is None


@pytest.mark.parametrize("field", ["event_id", "tracking_number", "reference"])
def test_nul_in_an_identifier_never_reaches_a_column(client, auth, db, test_settings, field):
    """The payment callbacks' reading drops NUL (it means nothing and PostgreSQL cannot keep it)."""
    shipment_id = booked_shipment(client, auth, db, test_settings)
    body = {"event_id": "N-1", "reference": f"HCC-{shipment_id}", "tracking_number": "EB00000001VN",
            "status_code": 0, "occurred_at": (now_utc() - timedelta(minutes=1)).isoformat()}
    body[field] = body[field][:2] + "\x00" + body[field][2:]
    r = webhook(client, test_settings, body)
    assert r.status_code == 200, r.json
    [row] = courier_rows(db)
    assert row.status == "applied" and row.external_id == "N-1"
    with db() as s:
        assert s.get(Shipment, shipment_id).tracking_number == "EB00000001VN"
        [event] = s.scalars(select(ShipmentEvent).where(ShipmentEvent.courier_event_id.is_not(None))).all()
        assert event.courier_event_id == "N-1"


def test_control_characters_in_the_note_are_dropped_and_the_event_kept(client, auth, db, test_settings):
    shipment_id = booked_shipment(client, auth, db, test_settings)
    body = {"event_id": "NOTE-1", "reference": f"HCC-{shipment_id}", "status_code": 0,
            "occurred_at": (now_utc() - timedelta(minutes=1)).isoformat(),
            "note": "Khách hẹn\x00 lại\nchiều\x07 mai\u2028"}
    r = webhook(client, test_settings, body)
    assert r.status_code == 200, r.json
    with db() as s:
        [event] = s.scalars(select(ShipmentEvent).where(ShipmentEvent.courier_event_id == "NOTE-1")).all()
        assert event.data["note"] == "Khách hẹn lại chiều mai"
