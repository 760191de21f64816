"""Security headers on every response and rate limits on public pages and lookups."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Flask, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from config import Settings
from kernel import ratelimit  # also registers its database:// storage with the limiter
from kernel.http import settings as current_settings

# No inline script or style anywhere in our pages: everything comes from /static.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'")
# Swagger UI (flask-restx) needs inline script; it gets a looser policy on its own paths only.
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; frame-ancestors 'none'")

# What anyone may call without logging in: the pay pages and the public lookups behind them.
PUBLIC = re.compile(r"^/(pay/|api/v1/payment-requests/[^/]+(/(qr\.png|qr\.svg|receipt\.pdf|checkout))?$"
                    r"|api/v1/receipts/)")
LOGIN = "/staff/login"


def _exempt() -> bool:
    return not (PUBLIC.match(request.path) or (request.path == LOGIN and request.method == "POST"))


def local_path(target: str | None, *, under: str = "/") -> str | None:
    """`target` when it is a path of this site under `under`, to redirect the browser to (a login's `next`, a
    form's `back`), else None. Never another site (`//host`, `/\\host`, which browsers read as `//host`), and
    only printable characters: a line break cannot go into the Location header (werkzeug refuses it, which
    was a 500 after the form's work was committed), and a NUL or a tab is no address a page links to."""
    if (target and target.startswith(under) and target.isprintable() and "//" not in target
            and "\\" not in target and not urlsplit(target).netloc):
        return target
    return None


def secure_cookies() -> bool:
    """Whether a cookie set now is Secure: always where the site is https (`HCCPAY_SECURE_COOKIES`), and
    for a request that came over TLS anyway. The one rule for every cookie the pages set."""
    return current_settings().secure_cookies or request.is_secure


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed session cookie (flash messages, a refused form's values) under `secure_cookies`."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return secure_cookies()


def init_security(app: Flask, settings: Settings) -> Limiter:
    """Headers, cookie flags and limits; the limiter counts per client address, in the app's database by
    default (kernel.ratelimit: every process and node counts together)."""
    app.config["RATELIMIT_STORAGE_URI"] = settings.rate_limit_storage
    if settings.rate_limit_storage == ratelimit.URI:
        app.config["RATELIMIT_STORAGE_OPTIONS"] = {"engine": app.extensions["hccpay"].engine}
    # A counter that cannot be written (the database away, a Redis down) lets the request through, logged:
    # the page then answers as it can (its own 503), never a 500 from the limiter.
    app.config["RATELIMIT_SWALLOW_ERRORS"] = True
    app.config.update(SESSION_COOKIE_SECURE=settings.secure_cookies, SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax")
    app.session_interface = SessionCookies()
    limits = [settings.public_rate_limit] if settings.public_rate_limit else []

    @app.after_request  # registered before the limiter's own, so that it runs after it (Flask: reversed)
    def _retry_after_only_on_refusals(response):
        # Flask-Limiter writes Retry-After beside every limited answer; on a 200 it misleads clients. A 503
        # may say when to come back too (a courier event that lost a race: postal.routes).
        if response.status_code not in (429, 503):
            response.headers.pop("Retry-After", None)
        return response

    limiter = Limiter(get_remote_address, app=app, default_limits=limits, headers_enabled=True,
                      default_limits_exempt_when=_exempt, default_limits_per_method=True)

    @app.after_request
    def _headers(response):
        docs = request.path.startswith(("/api/v1/docs", "/swaggerui/"))
        response.headers["Content-Security-Policy"] = DOCS_CSP if docs else CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        # Also when TLS ends at a proxy the app is not told about: the browser got this over https.
        if request.is_secure or settings.public_url.lower().startswith("https://"):
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        if request.path.startswith("/staff") or "Authorization" in request.headers \
                or (g.get("principal") and request.path.startswith("/api/")):
            # Staff pages and authenticated answers (a token's, or the login session's: the pages' links to
            # receipts, reports and manifests) hold citizens' names, phones and ID numbers: no browser
            # history (a shared counter PC's back button) or proxy keeps a copy.
            response.headers["Cache-Control"] = "no-store"
        return response

    return limiter
