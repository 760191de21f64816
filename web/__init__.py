"""Server-rendered pages (Vietnamese first) for citizens and staff, on the same services as the API."""
from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from config import Settings
from kernel.clock import format_local
from kernel.errors import DomainError
from kernel.money import format_vnd
from web import i18n
from web.auth import csrf_token, init_auth, staff_areas
from web.security import init_security


def _page_error(exc: Exception):
    """Errors on pages are pages, in the visitor's language; unexpected ones are left to the JSON handler."""
    if isinstance(exc, DomainError):
        status, message = exc.status, exc.message
    elif isinstance(exc, HTTPException):
        status, message = exc.code or 500, None
    else:
        return None
    titles = {401: "Đăng nhập", 403: "Bạn không có quyền xem trang này.", 404: "Trang không tồn tại"}
    return render_template("error.html", status=status, title=titles.get(status, "Có lỗi xảy ra"),
                           message=message), status


def init_web(app: Flask, settings: Settings) -> None:
    from web.admin import admin_pages
    from web.citizen import citizen
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
    app.extensions["hccpay_page_errors"] = _page_error
    app.add_template_filter(format_vnd, "vnd")
    app.add_template_filter(format_local, "dt")
    app.add_template_filter(i18n.translate_filter, "t")

    @app.context_processor
    def _globals():
        return {"lang": i18n.current_lang(), "csrf_token": csrf_token, "staff_areas": staff_areas,
                "other_lang": "en" if i18n.current_lang() == "vi" else "vi"}

    @app.after_request
    def _remember_language(response):
        if request.args.get("lang") in i18n.LANGS:
            response.set_cookie(i18n.COOKIE, request.args["lang"], max_age=365 * 86400, samesite="Lax",
                                secure=request.is_secure)
        return response

