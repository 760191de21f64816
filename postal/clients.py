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

import requests
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from kernel.outbound import BearerClient
from kernel.outbox import PermanentError


class CourierUnavailable(Exception):
    """The courier did not answer, or answered 5xx/408/429: try again later."""


class CourierRefused(PermanentError):
    """The courier refused the request for good (bad address, unknown order...)."""


_quick_retries = retry(retry=retry_if_exception_type(CourierUnavailable), stop=stop_after_attempt(3),
                       wait=wait_exponential(multiplier=0.2, max=2), reraise=True)


class CourierClient(BearerClient):
    """requests.Session with timeouts, quick retries with backoff, typed errors."""

    def _call(self, method: str, path: str, **kwargs) -> dict[str, Any]:
        try:
            response = self.http.request(method, f"{self.base_url}{path}", timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise CourierUnavailable(f"courier unreachable: {type(exc).__name__}") from exc
        if response.status_code in (408, 409, 429) or response.status_code >= 500:
            raise CourierUnavailable(f"courier answered {response.status_code}")
        if response.status_code >= 400:
            raise CourierRefused(f"courier refused {method} {path}: {response.status_code} {response.text[:300]}")
        try:
            body = response.json()
        except ValueError as exc:
            raise CourierUnavailable("courier answered something that is not JSON") from exc
        if not isinstance(body, dict):
            raise CourierUnavailable("courier answered JSON that is not an object")
        return body

    @_quick_retries
    def create_order(self, order: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        """Book a pickup or delivery; returns `order_id` and `tracking_number`."""
        body = self._call("POST", "/orders", json=order, headers={"Idempotency-Key": idempotency_key})
        if not isinstance(body.get("tracking_number"), str) or not body["tracking_number"]:
            raise CourierUnavailable("courier booking answer has no tracking number")
        return {"order_id": str(body.get("order_id") or ""), "tracking_number": body["tracking_number"]}

    @_quick_retries
    def cancel_order(self, tracking_number: str, *, idempotency_key: str) -> dict[str, Any]:
        """Cancel an order that has not been picked up yet."""
        return self._call("POST", f"/orders/{tracking_number}/cancel",
                          headers={"Idempotency-Key": idempotency_key}, json={})

    @_quick_retries
    def track(self, tracking_number: str) -> dict[str, Any]:
        """Every tracking event of an order so far."""
        body = self._call("GET", f"/orders/{tracking_number}")
        if not isinstance(body.get("events"), list):
            raise CourierUnavailable("courier tracking answer has no event list")
        return body
