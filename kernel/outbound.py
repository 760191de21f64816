"""The base of every outbound HTTP client (SMS gateway, courier, card acquirer, ...).

One `requests.Session` with a user agent, connect/read timeouts and a total deadline, a few quick retries with
exponential backoff, and one reading of the answer: no answer, 5xx, 408, 429, 401/403 (our key
refused) and whatever a subclass adds is `Unavailable` — worth retrying, first here, then on the
outbox's schedule; any other 4xx is a `PermanentError` (the receiver refused for good: an alert, no more retries).

Redirects are never followed: requests would re-send a POST as a GET to the new location and
count that page's 200 as the receiver's answer (an SMS, a refund, an event taken as delivered).
A 3xx is `Unavailable` with the status and the location in the reason: nothing was done, and the
alert at the end of the schedule says where the receiver moved (fix the configured URL).

Every outbound exchange (these clients' and the webhooks') goes through `exchange`: one total deadline from
the connection to the answer's last byte, and an answer over `MAX_ANSWER_BYTES` refused. requests' read timeout
restarts at each chunk received, so a peer dripping its headers or body a byte at a time held the worker's one
outbound loop (SMS, courier bookings, card refunds) for as long as it liked, and after the lease the next
worker's. A watchdog shuts the exchange's sockets down at the deadline, which ends whatever read is waiting.
"""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from kernel.outbox import PermanentError

# One exchange, connection to last byte: well inside the outbox's lease (2 minutes) with the quick retries.
DEADLINE_SECONDS = 20.0
# The largest answer read: ours are a few hundred bytes of JSON (a courier's tracking list a few KB).
MAX_ANSWER_BYTES = 256 * 1024


class AnswerRefused(requests.RequestException):
    """The exchange ran past its total deadline, or the answer was larger than we read."""


def _within(fired: threading.Event, deadline: float) -> None:
    if fired.is_set():
        raise AnswerRefused(f"no whole answer within {deadline:g} s")


# The sockets of the exchange running in this thread (a watchdog shuts them down at its deadline).
_current = threading.local()


def _watch(sock: socket.socket) -> None:
    watched = getattr(_current, "sockets", None)
    if watched is not None and sock.fileno() != -1:
        # A duplicate of the descriptor: shutting it down ends the connection, TLS wrapped or not, and closing
        # it later leaves the connection's own socket alone.
        watched.append(socket.fromfd(sock.fileno(), sock.family, sock.type))


ConnectionCheck = Callable[[HTTPConnection, socket.socket], None]


def outbound_session(check: ConnectionCheck | None = None) -> requests.Session:
    """A requests session whose connections `exchange` can bound in time; `check` (kernel.destinations) runs
    on each new socket before a byte is sent and may refuse it by raising."""

    def watched(connection_class: type[HTTPConnection]) -> type[HTTPConnection]:
        class Watched(connection_class):
            def _new_conn(self):
                sock = super()._new_conn()
                if check is not None:
                    check(self, sock)
                _watch(sock)  # from before the TLS handshake, which a peer can drip too
                return sock

            def request(self, *args, **kwargs):
                if self.sock is not None:  # a kept-alive connection, used again
                    _watch(self.sock)
                return super().request(*args, **kwargs)
        return Watched

    pools = {"http": type("WatchedPool", (HTTPConnectionPool,), {"ConnectionCls": watched(HTTPConnection)}),
             "https": type("WatchedTLSPool", (HTTPSConnectionPool,), {"ConnectionCls": watched(HTTPSConnection)})}

    class Adapter(HTTPAdapter):
        def init_poolmanager(self, *args, **kwargs):
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = pools

        def proxy_manager_for(self, *args, **kwargs):
            manager = super().proxy_manager_for(*args, **kwargs)
            manager.pool_classes_by_scheme = pools
            return manager

    session = requests.Session()
    for prefix in ("http://", "https://"):
        session.mount(prefix, Adapter())
    return session


def exchange(http: requests.Session, method: str, url: str, *, timeout: tuple[float, float],
             deadline: float = DEADLINE_SECONDS, limit: int = MAX_ANSWER_BYTES, read: bool = True,
             **kwargs) -> requests.Response:
    """One request and its answer within `deadline` seconds in all, redirects not followed. `read`: the
    answer's body is read (at most `limit` bytes, else `AnswerRefused`), else the status line is the answer
    and the connection is closed on it. Past the deadline: `AnswerRefused`. `http` is an `outbound_session`."""
    watched: list[socket.socket] = []
    fired = threading.Event()
    lock = threading.Lock()

    def expire() -> None:
        with lock:
            fired.set()
            for sock in watched:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    started = time.monotonic()
    _current.sockets = watched
    watchdog = threading.Timer(deadline, expire)
    watchdog.daemon = True
    watchdog.start()
    try:
        response = http.request(method, url, timeout=timeout, allow_redirects=False, stream=True, **kwargs)
        if not read:
            response.close()
            _within(fired, deadline)
            return response
        try:
            declared = int(response.headers.get("Content-Length") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            response.close()
            raise AnswerRefused(f"answer of {declared} bytes, over the {limit} read")
        body, size = [], 0
        for chunk in response.iter_content(16384):
            size += len(chunk)
            # Also checked here: through a proxy the sockets may not be ours to watch.
            if size > limit or time.monotonic() - started > deadline:
                response.close()
                if size > limit:
                    raise AnswerRefused(f"answer over the {limit} bytes read")
                raise AnswerRefused(f"no whole answer within {deadline:g} s")
            body.append(chunk)
        response._content, response._content_consumed = b"".join(body), True
        response.close()
        # A connection shut down at the deadline may read as an answer that ended there (headers cut short):
        # it is not one.
        _within(fired, deadline)
        return response
    except requests.RequestException as exc:
        if fired.is_set() and not isinstance(exc, AnswerRefused):
            raise AnswerRefused(f"no whole answer within {deadline:g} s") from exc
        raise
    finally:
        watchdog.cancel()
        _current.sockets = None
        with lock:
            for sock in watched:
                sock.close()
            watched.clear()


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
                 timeout: tuple[float, float] = (3.05, 10.0), deadline: float = DEADLINE_SECONDS,
                 session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout, self.deadline = timeout, deadline
        self.http = session or outbound_session()
        self.http.headers.update({"User-Agent": "hccpay/1", **(headers or {})})

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        """One HTTP exchange, its failure typed (no retries here: callers decorate with quick_retries)."""
        try:
            response = exchange(self.http, method, f"{self.base_url}{path}", timeout=self.timeout,
                                deadline=self.deadline, **kwargs)
        except AnswerRefused as exc:
            raise self.unavailable(f"{self.name} answered too slowly or too much: {exc}") from exc
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
