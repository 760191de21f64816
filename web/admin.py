"""Administration pages: staff users (roles, lock-out, passwords) and API tokens for systems."""
from __future__ import annotations

import base64
import secrets
import unicodedata

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask import session as page_session  # `session` is the database session here
from sqlalchemy import select

from kernel import audit
from kernel.auth import MAX_TTL_DAYS, ROLES, ApiToken, create_token, hash_token, revoke_token
from kernel.clock import now_utc
from kernel.errors import DomainError, ValidationError
from kernel.http import actor, current_principal, transaction
from kernel.text import whole_number
from kernel.users import create_user, list_users, locked_out_until, update_user
from web import i18n
from web.auth import AREAS, ROLE_NAMES, page_requires
from web.finance_text import error_sentence
from web.forms import form_text, show_kept_form
from web.paging import PAGE_SIZE, offset_arg, page_start

admin_pages = Blueprint("admin_pages", __name__, url_prefix="/staff/admin")
AREAS.append(("admin_pages.users", "Quản trị", frozenset({"admin"})))
for _vi, _en in {"Tiếp nhận hồ sơ (một cửa)": "Intake (one-stop desk)", "Thu ngân": "Cashier",
                 "Lãnh đạo phê duyệt": "Approver", "Kiểm toán": "Auditor",
                 "Token mới (chỉ hiển thị một lần)": "New token (shown this once only)",
                 "Tài khoản cán bộ": "Staff accounts", "Họ tên": "Full name", "Vai trò": "Roles",
                 "Thao tác": "Actions", "Hoạt động": "Active", "Đã khóa": "Deactivated", "Khóa": "Deactivate",
                 "tạm khóa đến": "locked until", "Vai trò của": "Roles of", "Mật khẩu mới": "New password",
                 "Lưu": "Save", "Thêm tài khoản": "Add an account", "Token API cho hệ thống": "API tokens for systems",
                 "Tên": "Name", "Tiền tố": "Prefix", "Đã thu hồi": "Revoked", "Thu hồi": "Revoke",
                 "Tạo token": "Create a token", "Đã tạo tài khoản": "Created the account",
                 "Đã cập nhật tài khoản": "Updated the account", "Đã thu hồi token.": "The token was revoked.",
                 "Hiệu lực đến": "Valid until", "Đến khi thu hồi": "Until revoked", "Đã hết hạn": "Expired",
                 "Thời hạn (ngày)": "Lifetime (days)", "Lý do (không bắt buộc)": "Reason (optional)",
                 "Để trống: dùng đến khi thu hồi": "Leave blank: valid until revoked"}.items():
    i18n.EN.setdefault(_vi, _en)


# One code covers every rule of these fields; the general sentence speaks of their length, so a value
# refused for a control character (a NUL pasted in, say) gets its own sentence: (form field, vi, en).
CONTROL_CHARACTERS = {
    "invalid_name": ("name", "Tên token không được chứa ký tự điều khiển.",
                     "A token name may not contain control characters."),
    "invalid_full_name": ("full_name", "Họ tên không được chứa ký tự điều khiển.",
                          "A full name may not contain control characters."),
    "weak_password": ("password", "Mật khẩu không được chứa ký tự điều khiển.",
                      "A password may not contain control characters."),
}
for _field, _vi, _en in CONTROL_CHARACTERS.values():
    i18n.EN.setdefault(_vi, _en)
# `unknown_role` for no role ticked: what to do instead (an account kept from logging in is deactivated).
NO_ROLE = "Vui lòng chọn ít nhất một vai trò. Để tài khoản không đăng nhập được nữa, chọn trạng thái “Khóa”."
i18n.EN.setdefault(NO_ROLE, "Choose at least one role. To keep the account from logging in, set it to “Deactivate”.")


def _refused(exc: DomainError):
    """The admin page again, saying in words (not the service's English) why the form was refused, with that
    form as it was sent (but its password)."""
    show_kept_form(exc.code)
    field, sentence, _ = CONTROL_CHARACTERS.get(exc.code, (None, None, None))
    if field and any(unicodedata.category(ch) in ("Cc", "Cs") for ch in request.form.get(field, "")):
        return _render(error=i18n.translate(sentence)), exc.status
    if exc.code == "unknown_role" and "roles_listed" in request.form and not request.form.getlist("roles"):
        return _render(error=i18n.translate(NO_ROLE)), exc.status
    return _render(error=error_sentence(exc.code, exc.details, i18n.translate)), exc.status


# A token just created is shown on the page the creation redirects to (post-redirect-get: refreshing that page
# creates nothing). Between the two requests its secret rides in the signed session cookie, encrypted (Fernet,
# from the `cryptography` library, under a key derived from the app's secret key), so the browser's cookie store
# never holds it readable; the page shown pops it, so it is shown once, and only if it is the token's (its hash).
NEW_TOKEN = "new_token"
NEW_TOKEN_LIFETIME = 300  # seconds: the redirect follows at once; an older sealed secret is not shown
TOKEN_NOT_SHOWN = ("Token đã được tạo nhưng không hiển thị được (khóa bí mật của máy chủ vừa đổi). Hãy thu hồi "
                   "token này rồi tạo token mới.")
i18n.EN.setdefault(TOKEN_NOT_SHOWN, "The token was created but cannot be shown (the server's secret key just "
                                    "changed). Revoke it and create a new one.")


def _sealer() -> MultiFernet:
    """Fernet keys derived from the app's secret key and its fallbacks (a key rotated between the two requests)."""
    def fernet(key: str | bytes) -> Fernet:
        material = key.encode() if isinstance(key, str) else key
        derived = HKDF(algorithm=SHA256(), length=32, salt=None, info=b"hccpay new API token").derive(material)
        return Fernet(base64.urlsafe_b64encode(derived))

    return MultiFernet([fernet(k) for k in (current_app.secret_key, *current_app.config.get("SECRET_KEY_FALLBACKS", []))])


def _seal(token_id: int, raw: str) -> dict:
    return {"id": token_id, "sealed": _sealer().encrypt(raw.encode()).decode()}


def _unseal(db, kept: object) -> str | None:
    """The secret kept by `_seal` if it is the token's (its hash), else None (the page says it cannot be shown)."""
    try:
        token = db.get(ApiToken, int(kept["id"]))
        raw = _sealer().decrypt(str(kept["sealed"]).encode(), ttl=NEW_TOKEN_LIFETIME).decode()
    except (TypeError, KeyError, ValueError, InvalidToken):
        return None
    return raw if token is not None and secrets.compare_digest(hash_token(raw), token.token_hash) else None


def _list_page() -> str:
    """Where a form of the page goes back to: the page of the users list it was sent from (its `?offset=`,
    carried in the form's action), read before anything is done so an unreadable one changes nothing."""
    offset = offset_arg()
    return url_for("admin_pages.users", offset=offset or None)


def _render(**extra):
    with transaction() as session:
        users, total = list_users(session, limit=PAGE_SIZE, offset=(offset := offset_arg()))
        if page_start(offset, total) != offset:  # past the list (an old link): its last page
            users, total = list_users(session, limit=PAGE_SIZE, offset=(offset := page_start(offset, total)))
        tokens = session.execute(select(ApiToken).order_by(ApiToken.id)).scalars().all()
        now = now_utc()
        lockouts = {u.id: locked_out_until(u, now) for u in users}  # shown only while it lasts, as in the API
        return render_template("staff/admin.html", users=users, tokens=tokens, roles=ROLES, role_names=ROLE_NAMES,
                               max_ttl_days=MAX_TTL_DAYS, now=now, lockouts=lockouts, total=total,
                               offset=offset, page_size=PAGE_SIZE, **extra)


@admin_pages.get("/")
@page_requires("admin")
def users():
    kept = page_session.pop(NEW_TOKEN, None)
    if kept is None:
        return _render()
    with transaction() as db:
        raw = _unseal(db, kept)
    return _render(new_token=raw) if raw else _render(error=i18n.translate(TOKEN_NOT_SHOWN))


@admin_pages.post("/users")
@page_requires("admin")
def create_user_submit():
    back = _list_page()
    now = now_utc()
    try:
        with transaction() as session:
            user = create_user(session, username=request.form.get("username", ""),
                               full_name=request.form.get("full_name", ""), roles=request.form.getlist("roles"),
                               password=request.form.get("password", ""), now=now)
            audit.record(session, actor=actor(), action="user.create", subject_type="user", subject_id=user.id,
                         at=now, data={"username": user.username, "roles": user.roles})
    except DomainError as exc:
        return _refused(exc)
    flash(f"{i18n.translate('Đã tạo tài khoản')} {user.username}.")
    return redirect(back)


@admin_pages.post("/users/<int:user_id>")
@page_requires("admin")
def update_user_submit(user_id: int):
    back = _list_page()
    now = now_utc()
    password = request.form.get("password") or None
    # A browser sends no `roles` once every box is unticked: our form says it listed them (`roles_listed`), so
    # that is a choice of no role, refused (it was taken as "unchanged" and reported done). A post without
    # the marker (no role boxes) leaves the roles as they are.
    roles = request.form.getlist("roles") or ([] if "roles_listed" in request.form else None)
    try:
        active = _active()
        reason = _reason()
        with transaction() as session:
            user = update_user(session, user_id=user_id, roles=roles, active=active, password=password,
                               by_user_id=current_principal().user_id, now=now)
            # What was done, as the API records it: the roles kept (sorted, without repeats), not the form's list.
            audit.record(session, actor=actor(), action="user.update", subject_type="user", subject_id=user.id,
                         at=now, reason=reason, data={"roles": user.roles if roles is not None else None,
                                                      "active": active, "password_reset": bool(password)})
    except DomainError as exc:
        return _refused(exc)
    flash(f"{i18n.translate('Đã cập nhật tài khoản')} {user.username}.")
    return redirect(back)


def _active() -> bool | None:
    """The account state chosen: "1" active, "0" deactivated, blank (or no field) unchanged. Anything else is
    no option of the form and is refused: taken as "unchanged", the page said "updated" for a change not made."""
    chosen = request.form.get("active", "")
    if chosen not in ("", "1", "0"):
        raise ValidationError("active must be 1, 0 or blank", code="invalid_parameter",
                              details={"parameter": "active"})
    return {"1": True, "0": False}.get(chosen)


def _reason() -> str | None:
    """The optional reason, read as every staff form reads text: too long is refused saying the limit
    (`text_too_long`), not as "not valid"."""
    return form_text("reason", max_len=audit.REASON_MAX, required=False)


def _ttl_days(typed: str) -> int | str | None:
    """The lifetime typed on the form: blank for none, digits as a number; anything else is passed on as typed,
    for create_token to refuse in the words it uses for every caller (a number past any lifetime stays one)."""
    typed = typed.strip()
    if not typed:
        return None
    number = whole_number(typed, 0, 10**9)
    return typed if number is None else number


@admin_pages.post("/tokens")
@page_requires("admin")
def create_token_submit():
    back = _list_page()
    now = now_utc()
    try:
        with transaction() as session:
            token, raw = create_token(session, role=request.form.get("role", ""), name=request.form.get("name", ""),
                                      actor=actor(), now=now, ttl_days=_ttl_days(request.form.get("ttl_days", "")))
    except DomainError as exc:
        return _refused(exc)
    page_session[NEW_TOKEN] = _seal(token.id, raw)
    return redirect(back, 303)


@admin_pages.post("/tokens/<int:token_id>/revoke")
@page_requires("admin")
def revoke_token_submit(token_id: int):
    back = _list_page()
    now = now_utc()
    try:
        with transaction() as session:
            revoke_token(session, token_id=token_id, actor=actor(), now=now, reason=_reason())
    except DomainError as exc:
        return _refused(exc)
    flash(i18n.translate("Đã thu hồi token."))
    return redirect(back)
