"""The base of every outbound HTTP client (SMS gateway, courier, card acquirer, ...).

One `requests.Session` with a user agent and connect/read timeouts, a few quick retries with
exponential backoff, and one reading of the answer: no answer, 5xx, 408, 429, 401/403 (our key
refused) and whatever a subclass adds is `Unavailable` — worth retrying, first here, then on the
outbox's schedule; any other 4xx is a `PermanentError` (the receiver refused for good: an alert, no more retries).

Redirects are never followed: requests would re-send a POST as a GET to the new location and
count that page's 200 as the receiver's answer (an SMS, a refund, an event taken as delivered).
A 3xx is `Unavailable` with the status and the location in the reason: nothing was done, and the
alert at the end of the schedule says where the receiver moved (fix the configured URL).
"""
from __future__ import annotations

from typing import Any

import requests
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

from kernel.outbox import PermanentError


class Unavailable(Exception):
    """The receiver did not answer, or not usefully: try again later."""


quick_retries = retry(retry=retry_if_exception_type(Unavailable), stop=stop_after_attempt(3),
                      wait=wait_exponential(multiplier=0.2, max=2), reraise=True)


def redirect_reason(response: requests.Response) -> str:
    """`302 redirecting to <location> (redirects are not followed)`, short enough for a log line."""
    location = response.headers.get("Location", "")[:200]
    return f"{response.status_code} redirecting to {location or '(no location)'} (redirects are not followed)"


class OutboundClient:
    """A named HTTP peer; `unavailable` and `refused` are the error types its callers see."""

    name = "receiver"
    unavailable: type[Exception] = Unavailable
    refused: type[PermanentError] = PermanentError
    retry_statuses: frozenset[int] = frozenset({408, 429})
    # Our key refused (rotated at the provider, mistyped in the settings) says nothing about the
    # message: it is retried on the schedule, visible as pending with its last error, until the setting
    # is fixed. A 404 stays final: gateways answer it for a resource (an order) that does not exist.
    configuration_statuses: frozenset[int] = frozenset({401, 403})

    def __init__(self, base_url: str, *, headers: dict[str, str] | None = None,
                 timeout: tuple[float, float] = (3.05, 10.0), session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = session or requests.Session()
        self.http.headers.update({"User-Agent": "hccpay/1", **(headers or {})})

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        """One HTTP exchange, its failure typed (no retries here: callers decorate with quick_retries)."""
        try:
            response = self.http.request(method, f"{self.base_url}{path}", timeout=self.timeout,
                                         allow_redirects=False, **kwargs)
        except requests.RequestException as exc:
            raise self.unavailable(f"{self.name} unreachable: {type(exc).__name__}") from exc
        if 300 <= response.status_code < 400:
            raise self.unavailable(f"{self.name} answered {redirect_reason(response)}")
        if (response.status_code in self.retry_statuses or response.status_code in self.configuration_statuses
                or response.status_code >= 500):
            raise self.unavailable(f"{self.name} answered {response.status_code}")
        if response.status_code >= 400:
            raise self.refused(f"{self.name} refused {method} {path}: {response.status_code} {response.text[:200]}")
        return response

    def json_object(self, response: requests.Response) -> dict[str, Any]:
        """The answer's JSON object (anything else means the peer is not itself: retry later)."""
        try:
            body = response.json()
        except ValueError as exc:
            raise self.unavailable(f"{self.name} answered something that is not JSON") from exc
        if not isinstance(body, dict):
            raise self.unavailable(f"{self.name} answered JSON that is not an object")
        return body


class BearerClient(OutboundClient):
    """A peer that authenticates us with `Authorization: Bearer <key>`."""

    def __init__(self, base_url: str, api_key: str, **kwargs):
        super().__init__(base_url, headers={"Authorization": f"Bearer {api_key}"}, **kwargs)
