"""Staff login for the pages: a session cookie (HttpOnly, SameSite=Lax, Secure behind TLS)
naming a server-side session, and CSRF protection on every state-changing request.

A logged-in person is a `Principal` like an API token is, so the same `requires(...)` guards
pages and API routes, and the pages' JavaScript calls the same API with the session cookie
plus the `X-CSRF-Token` header. Cookie-authenticated writes without the right token are 403.
"""
from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from functools import wraps

from flask import Blueprint, Flask, abort, current_app, g, make_response, redirect, render_template, request, session, url_for

from kernel.auth import Principal
from kernel.clock import now_utc
from kernel.errors import Forbidden
from kernel.http import current_principal, request_id, runtime, transaction
from kernel.signing import same_secret
from kernel.users import LOCKOUT, MAX_FAILED_LOGINS, SESSION_LIFETIME, login, logout, resolve_session
from web import i18n
from web.security import local_path, secure_cookies

COOKIE = "hccpay_session"
LOGIN_CSRF_COOKIE = "hccpay_login_csrf"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOCKOUT_MINUTES = int(LOCKOUT.total_seconds() // 60)
# One answer for every failed login, locked or not: only real accounts lock, so a distinct "locked"
# message told anyone trying names which usernames exist. It says how the lock-out works instead.
LOGIN_FAILED = (f"Sai tên đăng nhập hoặc mật khẩu. Sau {MAX_FAILED_LOGINS} lần nhập sai liên tiếp, tài khoản "
                f"bị tạm khóa {LOCKOUT_MINUTES} phút.")
i18n.EN.setdefault(LOGIN_FAILED, f"Wrong username or password. After {MAX_FAILED_LOGINS} wrong attempts in a "
                                 f"row the account is locked for {LOCKOUT_MINUTES} minutes.")
LOGIN_FORM_EXPIRED = "Trang đăng nhập đã cũ (có thể do đã mở ở thẻ khác); vui lòng đăng nhập lại."

# Each role as people read it: the admin page's role choices, the refusal page naming whom a page is for.
ROLE_NAMES = {"intake": "Tiếp nhận hồ sơ (một cửa)", "cashier": "Thu ngân", "finance": "Kế toán",
              "approver": "Lãnh đạo phê duyệt", "postal": "Bưu điện", "auditor": "Kiểm toán", "admin": "Quản trị"}
PAGE_FOR = "Trang này dành cho: {roles}. Nếu bạn cần vào trang này, vui lòng liên hệ quản trị hệ thống."
i18n.EN.setdefault(PAGE_FOR, "This page is for: {roles}. If you need to open it, please ask the system administrator.")

staff = Blueprint("staff", __name__, url_prefix="/staff")
log = logging.getLogger("hccpay.auth")


def _session_principal() -> Principal | None:
    token = request.cookies.get(COOKIE)
    if not token or request.endpoint == "staff.login_submit":
        # The login form proves itself with the login cookie's token, not a session's: someone already
        # logged in (another tab) who submits it is simply logging in again.
        return None
    with runtime().sessions() as db, db.begin():
        active = resolve_session(db, token, now_utc(), idle=runtime().settings.session_idle)
    if active is None:
        return None
    g.csrf_token = active.csrf_token
    if request.method in UNSAFE:
        sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
        if not same_secret(active.csrf_token, sent):
            g.csrf_refused = active.principal  # for `page_requires` alone: a form of another role says so
            raise Forbidden("the form is missing its security token (CSRF); reload the page and try again",
                            code="csrf_failed")
    return active.principal


def csrf_token() -> str:
    """For templates: the token forms and scripts must send back."""
    current_principal()
    return g.get("csrf_token", "")


def page_requires(*roles: str) -> Callable:
    """Pages for staff: anonymous visitors go to the login page, others need one of `roles`."""
    allowed = frozenset(roles)

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            try:
                principal = current_principal()
            except Forbidden as exc:
                # Someone signed in posting a form of another role without its token: the role refuses it
                # (403 `forbidden`, as with the token), not CSRF ("session expired": reload and retry a form
                # they may never use). Either way nothing runs; a form they may use still needs the token.
                refused = g.get("csrf_refused")
                if exc.code == "csrf_failed" and refused is not None and not refused.roles & allowed:
                    abort(403)
                raise
            if principal is None:
                if request.method in UNSAFE:
                    abort(401)
                # `full_path` ends with "?" even when there is no query: the page itself then.
                here = request.full_path if request.query_string else request.path
                return redirect(url_for("staff.login_form", next=here))
            if not principal.roles & allowed:
                abort(403)
            return view(*args, **kwargs)

        wrapper.required_roles = allowed
        return wrapper

    return decorate


def refused_page_sentence() -> str | None:
    """Why a 403 page refused (`page_requires`): the roles the page is for, in `ROLE_NAMES` order, so the person
    knows whom to ask; None for anything else (a form posted, an endpoint with no roles listed)."""
    if request.method in UNSAFE:
        return None
    view = current_app.view_functions.get(request.endpoint or "")
    roles = getattr(view, "required_roles", None)
    if not roles:
        return None
    names = ", ".join(i18n.translate(name) for role, name in ROLE_NAMES.items() if role in roles)
    return i18n.translate(PAGE_FOR).format(roles=names)


def _cookie_options() -> dict:
    return {"httponly": True, "samesite": "Lax", "secure": secure_cookies(), "path": "/"}


def _safe_next(target: str | None) -> str:
    # Only local paths: never let the login page redirect to another site.
    return local_path(target) or url_for("staff.home")


def _login_page(*, error: str | None = None, status: int = 200):
    """The login form with a fresh token (in its cookie too), so a stale page can always be retried."""
    token = secrets.token_urlsafe(24)
    response = make_response(render_template("staff/login.html", csrf=token, error=error,
                                             next=request.values.get("next", "")), status)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, **{**_cookie_options(), "samesite": "Strict"})
    return response


@staff.get("/login")
def login_form():
    return _login_page()


@staff.post("/login")
def login_submit():
    # Before login there is no session: the form proves it came from our page by echoing the cookie.
    # A page opened before another tab's (or an hour old) no longer matches: show a fresh one.
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not same_secret(cookie, request.form.get("csrf_token", "")):
        return _login_page(error=LOGIN_FORM_EXPIRED, status=403)
    with transaction() as db:
        result = login(db, username=request.form.get("username", ""), password=request.form.get("password", ""),
                       now=now_utc())
    # Someone guessing passwords, and the lock-out it brings, must be visible to whoever watches the logs:
    # by account id and reason, never the username typed (a name, or a password typed in the wrong box).
    if not result.ok:
        log.log(logging.WARNING if result.reason == "locked" else logging.INFO, "staff login refused",
                extra={"request_id": request_id(), "reason": result.reason, "user_id": result.user_id})
        return _login_page(error=LOGIN_FAILED, status=401)
    log.info("staff login", extra={"request_id": request_id(), "user_id": result.user_id})
    _forget_the_last_person()
    response = redirect(_safe_next(request.form.get("next")))
    response.set_cookie(COOKIE, result.token, max_age=int(SESSION_LIFETIME.total_seconds()), **_cookie_options())
    response.delete_cookie(LOGIN_CSRF_COOKIE, **_cookie_options())  # with the flags it was given
    return response


def _forget_the_last_person() -> None:
    """Empty the pages' own cookie (flash messages, a refused form's values): signed but readable, it must not
    carry what one person left, a citizen's name in a reason say, to whoever uses the browser next."""
    session.clear()


@staff.post("/logout")
@page_requires("intake", "cashier", "finance", "approver", "postal", "auditor", "admin")
def logout_submit():
    with transaction() as db:
        logout(db, token=request.cookies.get(COOKIE, ""), now=now_utc())
    _forget_the_last_person()
    response = redirect(url_for("staff.login_form"))
    response.delete_cookie(COOKIE, **_cookie_options())
    return response


# Staff areas: (endpoint, title, roles that may enter). Each area's blueprint adds itself here.
AREAS: list[tuple[str, str, frozenset[str]]] = []


def staff_areas() -> list[tuple[str, str]]:
    """The areas the current person may enter, for the navigation."""
    principal = current_principal()
    roles = principal.roles if principal else frozenset()
    return [(endpoint, title) for endpoint, title, allowed in AREAS if roles & allowed]


@staff.get("/")
@page_requires("intake", "cashier", "finance", "approver", "postal", "auditor", "admin")
def home():
    areas = staff_areas()
    if len(areas) == 1:
        return redirect(url_for(areas[0][0]))
    return render_template("staff/home.html", areas=areas)


def init_auth(app: Flask) -> None:
    app.extensions.setdefault("hccpay_principal_resolvers", []).append(_session_principal)
    app.register_blueprint(staff)
