"""The base of outbound HTTP clients (SMS gateway, courier): one `requests.Session` with a
bearer key, a user agent and connect/read timeouts; subclasses add retries and typed errors."""
from __future__ import annotations

import requests


class BearerClient:
    def __init__(self, base_url: str, api_key: str, *, timeout: tuple[float, float] = (3.05, 10.0),
                 session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = session or requests.Session()
        self.http.headers.update({"Authorization": f"Bearer {api_key}", "User-Agent": "hccpay/1"})
