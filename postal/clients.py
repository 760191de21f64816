"""HTTP client of the VNPost-like courier API (the sandbox courier implements it).

Contract: `Authorization: Bearer <key>`; JSON both ways.
- `POST {base}/orders` with `Idempotency-Key` → 201/200 `{"order_id", "tracking_number", "status_code"}`;
  the same key again returns the same order (so a retried booking never books twice).
- `POST {base}/orders/<tracking>/cancel` → 200 `{"tracking_number", "status_code": 18}`.
- `GET {base}/orders/<tracking>` → 200 `{"tracking_number", "reference", "events": [{"event_id",
  "status_code", "occurred_at", ...}]}`.
A 4xx other than 408/409/429 is a permanent refusal; anything else is worth retrying: a few
quick tries here, then the outbox's backoff schedule.
"""
from __future__ import annotations

from typing import Any

from kernel.outbound import BearerClient, Unavailable, quick_retries
from kernel.outbox import PermanentError
from postal.models import Shipment

MAX_TRACKING = Shipment.__table__.c.tracking_number.type.length
MAX_ORDER_ID = Shipment.__table__.c.courier_order_id.type.length


class CourierUnavailable(Unavailable):
    """The courier did not answer, or answered 5xx/408/409/429: try again later."""


class CourierRefused(PermanentError):
    """The courier refused the request for good (bad address, unknown order...)."""


class CourierClient(BearerClient):
    """requests.Session with timeouts, quick retries with backoff, typed errors."""

    name, unavailable, refused = "courier", CourierUnavailable, CourierRefused
    retry_statuses = frozenset({408, 409, 429})  # 409: the order is being changed right now

    def _call(self, method: str, path: str, **kwargs) -> dict[str, Any]:
        return self.json_object(self.request(method, path, **kwargs))

    @quick_retries
    def create_order(self, order: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        """Book a pickup or delivery; returns `order_id` and `tracking_number`."""
        body = self._call("POST", "/orders", json=order, headers={"Idempotency-Key": idempotency_key})
        if not isinstance(body.get("tracking_number"), str) or not body["tracking_number"]:
            raise CourierUnavailable("courier booking answer has no tracking number")
        order_id = str(body.get("order_id") or "")
        if len(body["tracking_number"]) > MAX_TRACKING or len(order_id) > MAX_ORDER_ID:  # would not fit its column
            raise CourierRefused(f"courier booking answer has a tracking number over {MAX_TRACKING} or an order id "
                                 f"over {MAX_ORDER_ID} characters")
        return {"order_id": order_id, "tracking_number": body["tracking_number"]}

    @quick_retries
    def cancel_order(self, tracking_number: str, *, idempotency_key: str) -> dict[str, Any]:
        """Cancel an order that has not been picked up yet."""
        return self._call("POST", f"/orders/{tracking_number}/cancel",
                          headers={"Idempotency-Key": idempotency_key}, json={})

    @quick_retries
    def track(self, tracking_number: str) -> dict[str, Any]:
        """Every tracking event of an order so far."""
        body = self._call("GET", f"/orders/{tracking_number}")
        if not isinstance(body.get("events"), list):
            raise CourierUnavailable("courier tracking answer has no event list")
        return body
