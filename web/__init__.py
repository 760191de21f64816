"""Server-rendered pages (Vietnamese first) for citizens and staff, on the same services as the API."""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, current_app, g, render_template, request, url_for
from markupsafe import escape
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import Rule

from config import Settings
from kernel.clock import format_local
from kernel.errors import DomainError
from kernel.http import _http_code, current_principal, request_id, to_error_response
from kernel.money import format_signed_vnd, format_vnd
from web import i18n
from web.auth import UNSAFE, csrf_token, init_auth, refused_page_sentence, staff_areas
from web.finance_text import ERRORS, error_sentence
from web.forms import kept_form, take_kept_form
from web.security import init_security, secure_cookies

log = logging.getLogger("hccpay.web")


TITLES = {400: "Thông tin chưa hợp lệ", 401: "Đăng nhập", 403: "Bạn không có quyền xem trang này.",
          404: "Trang không tồn tại", 413: "Tệp quá lớn", 429: "Bạn thao tác quá nhanh",
          409: "Chưa lưu được thay đổi", 503: "Chưa thể phục vụ lúc này"}
CODE_TITLES = {"csrf_failed": "Phiên làm việc đã hết hạn"}
# What the page says for an answer without its own sentence: a lost race (409), a crash (500), the
# database away (503).
STATUS_CODES = {409: "concurrent_update", 500: "internal_error", 503: "service_unavailable"}
TOO_LARGE = "Mỗi lần gửi tối đa {size}; vui lòng chọn tệp nhỏ hơn."
SUPPORT = "Mã yêu cầu (cho bộ phận hỗ trợ)"
FALLBACK_PAGE = ('<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>{title}</title></head>'
                 '<body><main><h1>{title}</h1><p>{support}: <code>{request_id}</code></p>'
                 '<p><a href="/">Trang chủ</a></p></main></body></html>')


def _page_error(exc: Exception):
    """Errors on pages are pages, in the visitor's language, never the API's English JSON: refusals say
    their code as a sentence, and a crash or an unavailable database is logged exactly as for the API and
    shown as a page with the request id to quote to support. This never raises."""
    if not _is_page():
        return None  # not a page (health, readiness, metrics): those are read by machines, in JSON
    if isinstance(exc, DomainError):
        status, code = exc.status, exc.code
        message = error_sentence(code, exc.details, i18n.translate)
    elif isinstance(exc, HTTPException):
        status, code = exc.code or 500, _http_code(exc)
        message = error_sentence(code, None, i18n.translate) if code in ERRORS else None
    else:
        status = to_error_response(exc).status_code  # logs it with the request id, as for the API
        code = STATUS_CODES.get(status, "internal_error")
        message = error_sentence(code, None, i18n.translate)
    if status == 413:
        message = i18n.translate(TOO_LARGE).format(size=_size(request.max_content_length))  # this request's limit
    title = CODE_TITLES.get(code) or TITLES.get(status, "Có lỗi xảy ra")
    if code == "forbidden" and request.method in UNSAFE:  # a form of another role: the action refused, said once
        title, message = ERRORS["forbidden"][0], None
    elif code == "forbidden":  # a page of another role: whom it is for, rather than the title said again
        message = refused_page_sentence() or message
    try:
        current_principal()
    except Exception:  # noqa: BLE001 - the refusal shown (CSRF, the database away) must not refuse its own page
        g.principal = None
    try:
        return render_template("error.html", status=status, title=title, message=message, back=_way_back(),
                               request_id=request_id()), status
    except Exception:  # noqa: BLE001 - an error page that fails would turn any refusal into a 500
        log.exception("error page failed", extra={"request_id": request_id()})
        return FALLBACK_PAGE.format(title=escape(i18n.translate(title)), support=escape(i18n.translate(SUPPORT)),
                                    request_id=escape(request_id())), status


def _size(limit: int | None) -> str:
    """`20 MB` (or `512 KB` for a small limit): how the upload limit reads on the 413 page."""
    if not limit:
        return "?"
    megabytes = limit / (1024 * 1024)
    return f"{megabytes:g} MB".replace(".", ",") if megabytes >= 1 else f"{max(limit // 1024, 1)} KB"


def _way_back() -> str:
    """The page the visitor came from (on this site), else the start of the area they are in."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/") and referrer.path != request.path:
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    if request.path.startswith("/staff/") and g.get("principal") is not None:
        return url_for("staff.home")
    return "/"


def _is_page() -> bool:
    """Whether the request is for a page, by its rule's blueprint. An address nobody serves is (a
    visitor's mistyped link); one asked with a method it does not take matched no rule, so the rule
    it has for the methods it takes decides (TRACE /healthz is read by a machine, not a person)."""
    rule = request.url_rule or _rule_for_another_method()
    if rule is None:
        return True
    return rule.endpoint.rpartition(".")[0] in current_app.extensions["hccpay_pages"]


def _rule_for_another_method() -> Rule | None:
    refused = request.routing_exception
    if not isinstance(refused, MethodNotAllowed) or not refused.valid_methods:
        return None
    try:
        rule, _ = current_app.create_url_adapter(request).match(method=refused.valid_methods[0], return_rule=True)
    except HTTPException:  # a redirect, or no rule after all: leave it to the page
        return None
    return rule


def init_web(app: Flask, settings: Settings) -> None:
    from web.admin import admin_pages
    from web.auth import staff
    from web.citizen import citizen
    from web.counter import counter_pages
    from web.postal_board import postal_board
    from web.finance import finance_pages

    if settings.trust_proxy:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)
    app.extensions["hccpay_limiter"] = init_security(app, settings)
    init_auth(app)
    app.register_blueprint(citizen)
    app.register_blueprint(admin_pages)
    app.register_blueprint(postal_board)
    app.register_blueprint(finance_pages)
    app.register_blueprint(counter_pages)
    app.extensions["hccpay_page_errors"] = _page_error
    app.extensions["hccpay_pages"] = frozenset(bp.name for bp in (staff, citizen, admin_pages, postal_board,
                                                                   finance_pages, counter_pages))
    app.add_template_filter(format_vnd, "vnd")
    app.add_template_filter(format_signed_vnd, "signed_vnd")  # a difference: "+50.000 ₫" / "−50.000 ₫"

    @app.before_request
    def _kept_form():
        if request.blueprint in app.extensions["hccpay_pages"]:  # not an API call a page's script makes meanwhile
            take_kept_form()

    app.add_template_filter(format_local, "dt")
    app.add_template_filter(i18n.translate_filter, "t")

    @app.context_processor
    def _globals():
        return {"lang": i18n.current_lang(), "csrf_token": csrf_token, "staff_areas": staff_areas,
                "kept_form": kept_form,
                "other_lang": i18n.other_lang(), "other_lang_query": i18n.other_lang_query()}

    @app.after_request
    def _remember_language(response):
        if request.args.get("lang") in i18n.LANGS:
            response.set_cookie(i18n.COOKIE, request.args["lang"], max_age=365 * 86400, samesite="Lax",
                                secure=secure_cookies())
        return response

