"""JSON views of postal objects for staff."""
from __future__ import annotations

from typing import Any

from postal.models import CheckResolution, Route, Shipment, ShipmentEvent


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def shipment_view(s: Shipment) -> dict[str, Any]:
    return {
        "id": s.id, "dossier_code": s.dossier_code, "direction": s.direction, "status": s.status,
        "due_date": _iso(s.due_date), "j_date": _iso(s.j_date), "postage_vnd": s.postage_vnd,
        "postage_payment_code": s.postage_payment_code, "cod": s.cod, "tracking_number": s.tracking_number,
        "recipient": {"name": s.recipient_name, "phone": s.recipient_phone, "id_number": s.recipient_id_number},
        "address": {"street": s.street, "ward_code": s.ward_code, "ward_name": s.ward_name,
                    "province_code": s.province_code, "province_name": s.province_name,
                    "data_version": s.address_data_version},
        "window": {"date": _iso(s.window_date), "slot": s.window_slot} if s.window_date else None,
        "zone": s.zone, "weight_grams": s.weight_grams, "documents": s.documents, "note": s.note,
        "plan": ({"date": _iso(s.planned_date), "route": s.route_code, "slot": s.slot, "stop": s.stop}
                 if s.planned_date else None),
        "failed_attempts": s.failed_attempts, "next_attempt_date": _iso(s.next_attempt_date),
        "id_check": s.id_check, "created_at": _iso(s.created_at), "updated_at": _iso(s.updated_at),
    }


def event_view(e: ShipmentEvent) -> dict[str, Any]:
    return {"id": e.id, "event": e.event, "occurred_at": _iso(e.occurred_at), "recorded_at": _iso(e.recorded_at),
            "source": e.source, "from_status": e.from_status, "to_status": e.to_status, "applied": e.applied,
            "courier_event_id": e.courier_event_id, "courier_status_code": e.courier_status_code,
            "reason": e.reason, "actor": e.actor, "data": e.data}


def check_view(e: ShipmentEvent, s: Shipment, r: CheckResolution | None, *, kind: str) -> dict[str, Any]:
    """A courier report listed for people (postal.checks), its shipment, and who dealt with it (or null)."""
    return {**event_view(e), "kind": kind,
            "shipment": {"id": s.id, "dossier_code": s.dossier_code, "direction": s.direction, "status": s.status},
            "resolution": ({"resolved_at": _iso(r.resolved_at), "resolved_by": r.resolved_by, "note": r.note}
                           if r is not None else None)}


def route_view(r: Route) -> dict[str, Any]:
    return {"code": r.code, "name": r.name, "ward_codes": r.ward_codes,
            "capacity": {"morning": r.capacity_morning, "afternoon": r.capacity_afternoon}}
