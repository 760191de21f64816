"""Errors of the postal package (stable codes; the kernel handler shapes them)."""
from __future__ import annotations

from kernel.errors import Conflict, DomainError, NotFound


class Unprocessable(DomainError):
    """Well-formed input that cannot be used (a ward outside its province, a holiday window)."""

    status = 422
    code = "unprocessable"


def shipment_not_found(shipment_id: int) -> NotFound:
    return NotFound(f"no shipment {shipment_id}", code="shipment_not_found",
                    details={"shipment_id": shipment_id})


def route_not_found(code: str) -> NotFound:
    return NotFound(f"no postal route {code}", code="route_not_found", details={"route": code})


def check_not_found(event_id: int) -> NotFound:
    """No courier report listed for people (postal.checks) has this event id."""
    return NotFound(f"no courier report to check with id {event_id}", code="check_not_found",
                    details={"event_id": event_id})


class ShipmentExists(Conflict):
    code = "shipment_exists"
