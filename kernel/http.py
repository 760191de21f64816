"""Flask glue shared by every namespace: the per-request session and transaction, request
ids, authentication, and the one error shape `{"code", "message", "details"?}`.

Routes use it like this::

    @ns.route("/things")
    class Things(Resource):
        @requires("intake")
        def post(self):
            body = json_body()
            with transaction() as session:
                thing = service.create_thing(session, **body, now=now_utc())
            return marshal(thing), 201
"""
from __future__ import annotations

import logging
import re
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cached_property, wraps
from typing import Any
from urllib.parse import quote

from flask import Flask, Request, current_app, g, jsonify, request
from flask_restx import Api, Model, fields
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import IntegerConverter

from config import Settings
from kernel.auth import Principal, authenticate_token
from kernel.clock import now_utc, parse_iso_day
from kernel.db import MAX_ID, lost_race, unavailable_reason  # MAX_ID: also for the routes
from kernel.errors import DomainError, Forbidden, Unauthenticated, ValidationError
from kernel.jsonobjects import DuplicateKey
from kernel.text import whole_number

log = logging.getLogger("hccpay.http")
access = logging.getLogger("hccpay.access")
CALLBACKS_PATH = "/api/v1/callbacks/"


@dataclass
class Runtime:
    """What the app holds for its lifetime: settings and the database handles."""

    settings: Settings
    engine: Any
    sessions: sessionmaker[Session]


def runtime() -> Runtime:
    return current_app.extensions["hccpay"]


def settings() -> Settings:
    return runtime().settings


class JSONRequest(Request):
    """Malformed JSON is a client error with a stable code, not a bare 400 page."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        detail = f": {e}" if isinstance(e, DuplicateKey) else ""
        raise ValidationError(f"request body is not valid JSON{detail}", code="malformed_json")

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True) -> Any:
        # Flask hands only ValueError to on_json_loading_failed; arrays nested thousands deep make
        # the decoder raise RecursionError instead, which would otherwise be a 500.
        try:
            return super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            return None if silent else self.on_json_loading_failed(None)


def db_session() -> Session:
    """This request's session (created on first use, closed at teardown)."""
    if "db_session" not in g:
        g.db_session = runtime().sessions()
    return g.db_session


@contextmanager
def transaction() -> Iterator[Session]:
    """The request's one transaction: commit on success, roll back on any error."""
    session = db_session()
    with session.begin():
        yield session


def json_body() -> dict[str, Any]:
    """The request's JSON object; anything else is a 400."""
    if not request.is_json:
        raise ValidationError("send a JSON body with Content-Type: application/json",
                              code="unsupported_media_type", status=415)
    body = request.get_json()
    if not isinstance(body, dict):
        raise ValidationError("the JSON body must be an object", code="malformed_json")
    if _has_lone_surrogate(body):
        # Only a \u escape can make one (UTF-8 cannot carry it): it is not text, it cannot be stored,
        # hashed or answered, and I-JSON (RFC 7493) forbids it. Refused here, before any reader sees it.
        raise ValidationError("the JSON body contains an unpaired surrogate escape (\\ud800-\\udfff), "
                              "which is not a character", code="malformed_json")
    return body


def optional_json_body() -> dict[str, Any]:
    """`json_body()` when the request has a body, else {} (a call whose body is optional, e.g. a reason).
    Whether it has one is read from the body itself: a chunked body declares no Content-Length, and a
    client streaming its JSON (or a server in front that does not re-frame it) lost what it said."""
    return json_body() if request.get_data(cache=True) else {}


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # a pair decodes to one character outside this range


def _has_lone_surrogate(value: Any) -> bool:
    """Whether any key or string in a decoded JSON value holds a lone surrogate. Iterative, so a
    body nested as deep as the decoder allows cannot exhaust the recursion limit here."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _LONE_SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


def flag(body: dict, name: str) -> bool:
    """A flag of a JSON body: a boolean or nothing. "yes" or 1 taken as false would, e.g., record a line's
    decision in its own day (or refuse it there as closed) when the caller asked for an adjustment, or
    refuse a confirmed overpayment. Null is the flag not given (false), as null is for the optional
    numbers beside it."""
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise ValidationError(f"{name} must be true or false", code="invalid_parameter", details={"parameter": name})
    return value is True


# The one rule for a list's filters (query parameters): left out, the list is not filtered by it (or
# `default`); sent, it must be one of its values, and sent empty is refused like any other value it
# does not know, never read as "no filter" (a form field left blank, a script's unset variable: the
# answer, everything, would read as the filter meant). Every refusal names the parameter.

def choice_arg(name: str, choices: Iterable[str], *, default: str | None = None,
               code: str = "invalid_parameter") -> str | None:
    """A filter of a list that takes one of `choices`; `default` when it is not sent. `code` keeps the
    machine code an endpoint answered before this rule (`invalid_status` on some)."""
    raw = request.args.get(name)
    if raw is None:
        return default
    allowed = tuple(choices)
    if raw not in allowed:
        raise ValidationError(f"{name} must be one of {', '.join(allowed)}" + (" (sent empty)" if not raw else ""),
                              code=code, details={"parameter": name, "allowed": list(allowed)})
    return raw


def day_arg(name: str = "date") -> date | None:
    """A day filter of a list, exactly YYYY-MM-DD (`clock.parse_iso_day`); None when it is not sent."""
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        return parse_iso_day(raw)
    except ValidationError as exc:
        raise ValidationError(exc.message, code=exc.code, details={"parameter": name}) from None


def int_arg(name: str, default: int, lowest: int, highest: int) -> int:
    """A whole-number query parameter in [lowest, highest]; anything else is a 400 (never silently clamped)."""
    raw = request.args.get(name)
    if raw is None:
        return default
    number = whole_number(raw, lowest, highest)
    if number is None:
        raise ValidationError(f"{name} must be a whole number from {lowest} to {highest}", code="invalid_parameter",
                              details={"parameter": name})
    return number


# --- authentication -------------------------------------------------------------------

def current_principal() -> Principal | None:
    """The authenticated caller of this request, if any (bearer token or login session)."""
    if "principal" in g:
        return g.principal
    principal = None
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() == "bearer" and raw.strip():
        try:
            with runtime().sessions() as session:
                principal = authenticate_token(session, raw.strip(), now=now_utc())
            if principal is None:
                raise Unauthenticated("the API token is unknown or revoked", code="invalid_token")
        except Unauthenticated:
            # On a page a refused token (unknown, revoked, expired) counts for nothing (the login session
            # decides): one left stale in a tool or a browser extension must not turn the public pay page into a 401.
            if request.blueprint not in current_app.extensions.get("hccpay_pages", ()):
                raise
    if principal is None:
        # Other ways in (the pages' login session) register a resolver; they enforce CSRF themselves.
        for resolver in current_app.extensions.get("hccpay_principal_resolvers", []):
            try:
                principal = resolver()
            except DomainError:
                g.principal = None  # refused once (e.g. CSRF): the error page renders as anonymous
                raise
            if principal is not None:
                break
    g.principal = principal
    return principal


def requires(*roles: str) -> Callable:
    """Allow the decorated view only to callers holding one of `roles`."""
    allowed = frozenset(roles)

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            principal = current_principal()
            if principal is None:
                raise Unauthenticated("authentication required: send Authorization: Bearer <token>")
            if not principal.roles & allowed:
                raise Forbidden("your role may not do this", details={"allowed_roles": sorted(allowed)})
            return view(*args, **kwargs)

        wrapper.required_roles = allowed  # read by the access-control table test
        return wrapper

    return decorate


def actor() -> str:
    """The audit name of the caller."""
    principal = current_principal()
    return principal.actor if principal else "anonymous"


# --- errors ---------------------------------------------------------------------------

def error_response(status: int, code: str, message: str, details: dict | None = None,
                   extra: dict | None = None):
    """The error shape; `extra` adds channel-specific fields (e.g. SePay's `success: false`)."""
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    if extra:
        body.update(extra)
    response = jsonify(_encodable(body))
    response.status_code = status
    return response


def _encodable(value: Any) -> Any:
    """`value` with every string made UTF-8-encodable: an error may echo what it refuses, and a lone
    surrogate (from a JSON \\u escape a reader did not refuse) would otherwise make the answer itself
    fail, a 500 in place of the 400. Such a character is written as its escape, e.g. `\\ud800`."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8") if _LONE_SURROGATE.search(value) else value
    if isinstance(value, dict):
        return {_encodable(k): _encodable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encodable(item) for item in value]
    return value


def _http_code(exc: HTTPException) -> str:
    return {
        400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
        405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
        415: "unsupported_media_type", 429: "rate_limited",
    }.get(exc.code or 500, "http_error")


def with_allow(response, exc: Exception):
    """A 405 says which methods the address takes (`Allow`, which HTTP requires of it), JSON or page."""
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


# A 401 for want of a token names the scheme that would be accepted (RFC 7235 requires the header on every
# 401; RFC 6750 its `error` for a token refused). A callback's refused signature is no call for a token.
BEARER_CHALLENGES = {"unauthenticated": 'Bearer realm="hccpay"',
                     "invalid_token": 'Bearer realm="hccpay", error="invalid_token"',
                     "token_expired": 'Bearer realm="hccpay", error="invalid_token", error_description="expired"'}


def to_error_response(exc: Exception):
    """Any exception -> the service's error shape. Unexpected ones are logged with the request id."""
    if isinstance(exc, DomainError):
        response = error_response(exc.status, exc.code, exc.message, exc.details)
        response.headers.update(getattr(exc, "headers", None) or {})
        if exc.status == 401 and exc.code in BEARER_CHALLENGES:
            response.headers["WWW-Authenticate"] = BEARER_CHALLENGES[exc.code]
        return response
    if isinstance(exc, HTTPException):
        data = getattr(exc, "data", None)
        if isinstance(data, dict) and "errors" in data:  # restx payload validation
            return error_response(400, "validation_error", "the request body does not match the schema",
                                  {"fields": data["errors"]})
        return with_allow(error_response(exc.code or 500, _http_code(exc), exc.description or exc.name), exc)
    if lost_race(exc):
        # Not an outage: two transactions took the same rows in opposite orders and PostgreSQL undid this
        # one. Re-running it here is not safe in general (a route may have committed something before its
        # transaction, e.g. a callback's raw row), so the caller is told to try again.
        log.warning("transaction lost a race", extra={"request_id": request_id(), "error": type(exc).__name__})
        return error_response(409, "concurrent_update", "another change to the same records ran at the same "
                              "moment and this one was undone; nothing was written: try again",
                              {"request_id": request_id()})
    unavailable = unavailable_reason(exc)
    if unavailable is not None:
        log.error("database unavailable", extra={"request_id": request_id(), "reason": unavailable[0],
                                                 "error": type(exc).__name__})
        return error_response(503, unavailable[0], unavailable[1], {"request_id": request_id()})
    log.exception("unexpected error", extra={"request_id": request_id()})
    return error_response(500, "internal_error", "an unexpected error occurred; it has been logged",
                          {"request_id": request_id()})


REASON_IN = Model("ReasonIn", {"reason": fields.String(required=True, max_length=1000,
                                                        description="why, kept in the audit trail")})
OPTIONAL_REASON_IN = Model("OptionalReasonIn", {"reason": fields.String(
    max_length=1000, description="why (optional), kept in the audit trail")})


class HccApi(Api):
    """flask-restx Api whose every error uses the service's error shape, and whose OpenAPI
    document says so for every operation."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Bodies several namespaces read alike are one definition: `@ns.expect(REASON_IN)`.
        for model in (REASON_IN, OPTIONAL_REASON_IN):
            self.models[model.name] = model

    def add_namespace(self, ns, path=None):
        super().add_namespace(ns, path)
        # flask-restx keeps each Api in its namespace's `apis`, to register resources and models added to the
        # namespace later. Ours are module-level and complete once imported, so that list only kept every app
        # ever built alive (each test builds one: the suite's process grew by about 0.5 MB a test).
        ns.apis.remove(self)

    def handle_error(self, e):  # noqa: D401 - restx hook
        return to_error_response(e)

    @cached_property
    def __schema__(self):
        schema = super().__schema__
        if "paths" in schema:
            document_errors(schema)
        return schema


ERROR_SCHEMA = {
    "type": "object", "required": ["code", "message"],
    "properties": {"code": {"type": "string", "description": "stable machine code, e.g. invalid_field"},
                   "message": {"type": "string", "description": "what went wrong, for a person"},
                   "details": {"type": "object", "description": "the field, limits, ids involved"}},
}
_ERRORS = {
    "400": "bad input (`code` names the rule: missing_field, invalid_field, malformed_json, invalid_date, ...)",
    "401": "no token (`unauthenticated`), an unknown or revoked one (`invalid_token`), an expired one (`token_expired`)",
    "403": "the token's role may not do this (`forbidden`)",
    "404": "no such object (`*_not_found`)",
    "409": "the object's state does not allow it (`code` says which rule), or another change to the same "
           "records ran at the same moment (`concurrent_update`: nothing was written, try again)",
    "413": "the request body is larger than the limit (`payload_too_large`)",
    "415": "the body is not in the media type this operation reads (`unsupported_media_type`)",
    "429": "too many requests from this client (`rate_limited`)",
    "503": "the database is unavailable; retry (`database_unavailable`)",
}


def document_errors(schema: dict) -> None:
    """Add the error responses every operation can give (in the one error shape) to the OpenAPI
    document: bad input and an unavailable database everywhere; 401/403 where a token is needed;
    404 where the path names an object; 409 where the call changes something; 413 where it takes a
    body (the app's size limit) and 415 where that body goes through json_body or a form check
    (callbacks read their raw bytes instead).

    What only some operations send (201/202, a 200 replay, 304, 412, 422, a signed callback's 401)
    each declares with `@ns.response(status, "code: when")`; an error declared so is given the
    Error schema here, so the description is all a route writes."""
    schema.setdefault("definitions", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/definitions/Error"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            codes = ["400", "429", "503"]
            if operation.get("security"):
                codes += ["401", "403"]
            if "{" in path:
                codes.append("404")
            if method != "get":
                codes.append("409")
            if any(p.get("in") in ("body", "formData") for p in operation.get("parameters", [])):
                codes += ["413"] if ("/api/v1" + path).startswith(CALLBACKS_PATH) else ["413", "415"]
            responses = operation.setdefault("responses", {})
            for code, response in responses.items():
                if int(code) >= 400:
                    response.setdefault("schema", ref)
            for code in sorted(codes):
                responses.setdefault(code, {"description": _ERRORS[code], "schema": ref})


# --- downloads ----------------------------------------------------------------------

def content_disposition(filename: str, *, inline: bool = False) -> str:
    """A Content-Disposition value for any file name. Headers travel as Latin-1, so a name such as
    `Sao kê đối soát.csv` goes as RFC 6266 `filename*` (UTF-8, percent-encoded) beside a plain ASCII
    `filename` for old clients; quotes and control characters never reach the header."""
    kind = "inline" if inline else "attachment"
    plain = unicodedata.normalize("NFKD", filename.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in plain.encode("ascii", "ignore").decode() if ch.isprintable() and ch not in '"\\')
    if plain == filename:
        return f'{kind}; filename="{plain}"'
    return f"{kind}; filename=\"{plain or 'file'}\"; filename*=UTF-8''{quote(filename, safe='')}"


# --- request ids ----------------------------------------------------------------------

def request_id() -> str:
    return g.get("request_id", "-")


def _at_most(bound: int) -> str:
    """A regular expression of the numbers from 0 to `bound` in decimal (leading zeros allowed)."""
    digits = str(bound)
    same_length = [f"{digits[:i]}[{0 if i else 1}-{int(d) - 1}][0-9]{{{len(digits) - i - 1}}}"
                   for i, d in enumerate(digits) if int(d) > (0 if i else 1)]
    return f"0*(?:[0-9]{{1,{len(digits) - 1}}}|{'|'.join([*same_length, digits])})"


class Int64Converter(IntegerConverter):
    """`<int:id>` only matches what a BIGINT column can hold: a bigger number is simply not found,
    instead of an overflow deep in the database driver. Its digits are ASCII: werkzeug's `\\d+` also
    matches other scripts' digits ("１２", "١٢"), which `int` reads as 12, so such a path reached the
    route as object 12. The bound is in the pattern, not only in `max`: a number past it that only `max`
    refused matched the path, so werkzeug answered "method not allowed" where another method's rule has
    that path, and flask-restx's error routing, matching it again for that method, crashed (a bare 500)."""

    regex = _at_most(MAX_ID)

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def init_http(app: Flask, runtime_: Runtime) -> None:
    """Wire the runtime, request ids, teardown and error handlers into `app`."""
    app.url_map.converters["int"] = Int64Converter
    # `//` in an address is not found, not redirected to the merged path: flask-restx's error routing
    # re-matches the URL for another method and crashes on that redirect (a bare 500, no request id).
    app.url_map.merge_slashes = False
    app.request_class = JSONRequest
    app.extensions["hccpay"] = runtime_
    app.extensions.setdefault("hccpay_principal_resolvers", [])

    @app.before_request
    def _assign_request_id():
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        g.started = time.perf_counter()
        # PostgreSQL text cannot hold NUL: refuse it at the door rather than as a 500 from a query.
        # Callbacks are let in: they are stored raw first, and their own checks refuse them.
        if "\x00" in request.path or (not request.path.startswith(CALLBACKS_PATH) and any(
                "\x00" in k or "\x00" in v for k, v in request.args.items(multi=True))):
            raise ValidationError("the address may not contain NUL characters", code="invalid_parameter")

    @app.after_request
    def _echo_request_id(response):
        response.headers["X-Request-Id"] = request_id()
        # One line per request, so the id a client was given can be found whatever the answer.
        # The route's pattern, not the path: paths carry payment and dossier codes.
        access.info("request", extra={
            "request_id": request_id(), "method": request.method,
            "route": request.url_rule.rule if request.url_rule else "(no route)", "status": response.status_code,
            "ms": round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 1)})
        return response

    @app.teardown_appcontext
    def _close_session(_exc):
        session = g.pop("db_session", None)
        if session is not None:
            session.close()

    @app.errorhandler(Exception)
    def _any_error(exc):
        # Pages (outside /api) may render errors as HTML; the API always answers JSON.
        render_page_error = app.extensions.get("hccpay_page_errors")
        if render_page_error is not None and not request.path.startswith("/api/"):
            page = render_page_error(exc)
            if page is not None:
                return with_allow(app.make_response(page), exc)
        return to_error_response(exc)
