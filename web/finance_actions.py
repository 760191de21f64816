"""The finance workspace's forms: each POST validates the form like the API validates JSON,
calls the same service in one transaction, and goes back to the page it came from (303)
with a message in the visitor's language; a refused action says why, in words, not codes.

CSRF is checked before any of this (web.auth) and roles by `page_requires`, as for the API.
"""
from __future__ import annotations

from collections.abc import Callable
from itertools import zip_longest

from flask import abort, flash, redirect, request, url_for

from kernel.clock import now_utc
from kernel.errors import DomainError, ValidationError
from kernel.http import MAX_ID, actor, current_principal, runtime, settings, transaction
from kernel.money import MAX_MONEY_VND, MAX_REQUEST_VND, parse_typed_vnd
from kernel.text import whole_number
from payments import refund_payees, refunds, suspense
from payments.service import parse_confirmation
from reconciliation import days, resolutions, service
from web.auth import page_requires
from web.dates import typed_day
from web.finance import chosen_day, finance_pages
from web.finance_text import error_sentence
from web.forms import form_text, keep_form, typed_payment_code
from web.i18n import translate
from web.security import local_path

LINE_ACTIONS = {"match": ("match", "Đã khớp dòng sao kê."), "unmatch": ("unmatch", "Đã bỏ khớp dòng sao kê."),
                "refund": ("refund", "Đã đề nghị hoàn tiền cho dòng sao kê."),
                "write-off": ("write_off", "Đã ghi thu khác phần tạm treo."),
                "ignore": ("ignore", "Đã bỏ qua dòng sao kê."),
                "correct-amount": ("correct_amount", "Đã sửa số tiền giao dịch theo sao kê.")}


def _back(default: str | None = None) -> str:
    return (local_path(request.form.get("back"), under="/staff/finance") or default
            or url_for("finance_pages.workspace", date=chosen_day().isoformat()))


def _run(work: Callable[[], str], default_back: str | None = None):
    """Do the work; say what happened (or why not) on the page the form came from, which shows a refused
    form again with what was typed in it."""
    try:
        flash(translate(work()), "success")
    except DomainError as exc:
        flash(error_sentence(exc.code, exc.details, translate), "error")
        keep_form(exc.code, exc.details)
    return redirect(_back(default_back), 303)


def _reason(required: bool = True) -> str | None:
    return form_text("reason", required=required)


def _version() -> int | None:
    """The line's version the page showed; a value that is not one is refused, never skipped."""
    raw = request.form.get("expected_version", "").strip()
    if not raw:
        return None
    version = whole_number(raw, 0, MAX_ID)
    if version is None:
        raise ValidationError("expected_version must be a whole number", code="invalid_version")
    return version


def _vnd(text: str, field: str = "amount_vnd", maximum: int = MAX_REQUEST_VND) -> int | None:
    """What people type (`150.000`, `150000`, `150.000 ₫`) as whole đồng, checked like the API; empty is None."""
    return parse_typed_vnd(text, field=field, maximum=maximum)


def _amount(field: str = "amount_vnd", maximum: int = MAX_REQUEST_VND) -> int | None:
    return _vnd(request.form.get(field, ""), field, maximum)


def _allocations() -> list[tuple[str, int | None]]:
    """The match form's rows (payment code, amount or empty for all); rows without a code are skipped."""
    rows = zip_longest(request.form.getlist("payment_code"), request.form.getlist("amount_vnd"), fillvalue="")
    allocations = [(typed_payment_code(code), _vnd(amount)) for code, amount in rows if code.strip()]
    if not allocations:
        raise ValidationError("give at least one payment code", code="invalid_allocations")
    return allocations


def _confirmation() -> dict[str, int] | None:
    """The over-payment checkbox, with what the page showed each request owed when it asked (hidden
    `confirmed_code` / `confirmed_outstanding_vnd` pairs, from the 409's `outstanding_by_code`): checked as
    the API's `confirm_overpayment` with `confirmed_outstanding_vnd` (`parse_confirmation`)."""
    if request.form.get("confirm_overpayment") != "1":
        return None
    codes, owed = request.form.getlist("confirmed_code"), request.form.getlist("confirmed_outstanding_vnd")
    if len(codes) != len(owed):
        raise ValidationError("confirmed_outstanding_vnd must name each request once", code="invalid_parameter",
                              details={"parameter": "confirmed_outstanding_vnd"})
    named = {code: parse_typed_vnd(amount, field="confirmed_outstanding_vnd", minimum=0, maximum=MAX_MONEY_VND)
             for code, amount in zip(codes, owed)}
    return parse_confirmation(True, named or None, settings())


@finance_pages.post("/lines/<int:line_id>/<action>")
@page_requires("finance")
def line_action(line_id: int, action: str):
    """Match, unmatch, mark for refund, write off or ignore a statement line, with a reason."""
    if action not in LINE_ACTIONS:
        abort(404)
    name, done = LINE_ACTIONS[action]

    def work() -> str:
        reason = _reason()
        extra = {"allocations": _allocations()} if name == "match" else {}
        if name in ("write_off", "refund"):
            extra["amount_vnd"] = _amount(maximum=MAX_MONEY_VND)  # as the API: a line may exceed one request's cap
        version, confirmation = _version(), _confirmation()
        with transaction() as session:
            resolutions.resolve_line(session, line_id=line_id, action=name, reason=reason, settings=settings(),
                                     actor=actor(), now=now_utc(), expected_version=version,
                                     as_adjustment=request.form.get("as_adjustment") == "1",
                                     confirmed_outstanding_vnd=confirmation if name == "match" else None,
                                     **extra)
        return done

    return _run(work)


@finance_pages.post("/resolutions/<int:resolution_id>/undo")
@page_requires("finance")
def undo(resolution_id: int):
    def work() -> str:
        reason, confirmation = _reason(), _confirmation()
        with transaction() as session:
            resolutions.undo(session, resolution_id=resolution_id, reason=reason, settings=settings(), actor=actor(),
                             now=now_utc(), confirmed_outstanding_vnd=confirmation)
        return "Đã hoàn tác quyết định."

    return _run(work)


@finance_pages.post("/days/<day>/acknowledge")
@page_requires("finance")
def acknowledge(day: str):
    """Accept an exception of the day as it is, with a reason."""
    def work() -> str:
        reason = _reason()
        with transaction() as session:
            resolutions.acknowledge(session, day=typed_day(day), key=request.form.get("key", ""), reason=reason,
                                    settings=settings(), actor=actor(), now=now_utc(),
                                    expected_amount_vnd=parse_typed_vnd(request.form.get("expected_amount_vnd"),
                                                                        field="expected_amount_vnd", minimum=0,
                                                                        maximum=MAX_MONEY_VND))
        return "Đã chấp nhận ngoại lệ."

    return _run(work)


def _day_step(day: str, step: Callable, done: str):
    def work() -> str:
        with transaction() as session:
            step(session, typed_day(day), settings=settings(), actor=actor(), now=now_utc())
        return done

    return _run(work)


@finance_pages.post("/days/<day>/close")
@page_requires("finance")
def request_close(day: str):
    return _day_step(day, days.request_close, "Đã đề nghị khóa sổ.")


@finance_pages.post("/days/<day>/close/approve")
@page_requires("approver")
def approve_close(day: str):
    return _day_step(day, days.approve_close, "Đã phê duyệt khóa sổ.")


@finance_pages.post("/days/<day>/close/reject")
@page_requires("approver")
def reject_close(day: str):
    def work() -> str:
        reason = _reason()
        with transaction() as session:
            days.reject_close(session, typed_day(day), reason=reason, actor=actor(), now=now_utc())
        return "Đã từ chối khóa sổ."

    return _run(work)


@finance_pages.post("/suspense/<int:payment_id>/assign")
@page_requires("finance")
def assign_suspense(payment_id: int):
    """Credit money in suspense to a request (audited with the reason, as the API does)."""
    def work() -> str:
        reason, amount = _reason(), _amount()
        # What the page showed in suspense: the same form sent twice (a double click, back and resend)
        # finds it changed and is refused, instead of assigning the money twice.
        expected = _amount("expected_unallocated_vnd", maximum=MAX_MONEY_VND)
        code = typed_payment_code(request.form.get("payment_code"))
        confirmation, now = _confirmation(), now_utc()
        with transaction() as session:
            suspense.assign(session, payment_id=payment_id, payment_code=code, amount_vnd=amount, reason=reason,
                            settings=settings(), actor=actor(), now=now, expected_unallocated_vnd=expected,
                            confirmed_outstanding_vnd=confirmation)
        return "Đã gán tiền tạm treo cho hồ sơ."

    return _run(work)


@finance_pages.post("/payments/<int:payment_id>/refunds")
@page_requires("finance")
def request_refund(payment_id: int):
    """Ask for a refund; `expected_refundable_vnd` is what the page showed (a change is refused)."""
    def work() -> str:
        # Bounded by what is refundable (checked by request_refund), as the API: money that arrived may
        # exceed what one request may ask.
        amount = _amount(maximum=MAX_MONEY_VND)
        expected, reason = _amount("expected_refundable_vnd", maximum=MAX_MONEY_VND), _reason()
        if amount is None or expected is None:
            field = "amount_vnd" if amount is None else "expected_refundable_vnd"
            raise ValidationError(f"{field} is required", code="missing_field", details={"field": field})
        now = now_utc()
        with transaction() as session:
            refund = refunds.request_refund(session, payment_id=payment_id, amount_vnd=amount, reason=reason,
                                            expected_refundable_vnd=expected, settings=settings(), actor=actor(),
                                            now=now)
            refunds.audit_refund(session, "refund.request", refund, actor=actor(), now=now, reason=reason)
        return "Đã gửi đề nghị hoàn tiền."

    return _run(work)


def _decide(refund_id: int, approve: bool):
    def work() -> str:
        reason = _reason(required=not approve)
        now = now_utc()
        with transaction() as session:
            refund = refunds.decide(session, refund_id=refund_id, approve=approve, reason=reason, settings=settings(),
                                    actor=actor(), now=now)
            refunds.audit_refund(session, "refund.approve" if approve else "refund.reject", refund, actor=actor(),
                                 now=now, reason=reason)
        return "Đã phê duyệt khoản hoàn." if approve else "Đã từ chối khoản hoàn."

    return _run(work)


@finance_pages.post("/refunds/<int:refund_id>/approve")
@page_requires("approver")
def approve_refund(refund_id: int):
    return _decide(refund_id, True)


@finance_pages.post("/refunds/<int:refund_id>/reject")
@page_requires("approver")
def reject_refund(refund_id: int):
    return _decide(refund_id, False)


@finance_pages.post("/refunds/<int:refund_id>/executed")
@page_requires("finance")
def refund_executed(refund_id: int):
    """A transfer order was paid out: record the bank reference."""
    def work() -> str:
        reference = form_text("bank_reference", max_len=100, required=False)
        now = now_utc()
        with transaction() as session:
            checked = refunds.get_refund(session, refund_id)
            refunds.check_executor(checked, current_principal().roles, reference)
            refunds.mark_executed(session, refund_id=refund_id, reference=reference, settings=settings(),
                                  actor=actor(), now=now, method=checked.method)
        return "Đã ghi nhận đã chuyển tiền hoàn."

    return _run(work)


@finance_pages.post("/refunds/<int:refund_id>/failed")
@page_requires("finance")
def refund_failed(refund_id: int):
    """The bank returned a refund transfer (a wrong or closed account) `{reason}`: the money is the request's
    again, as `POST /refunds/<id>/failed`; a cash refund is the counter's, a card refund the acquirer's."""
    def work() -> str:
        reason = _reason()
        now = now_utc()
        with transaction() as session:
            checked = refunds.get_refund(session, refund_id)
            refunds.check_payer(checked, current_principal().roles, "failed")
            refunds.mark_failed(session, refund_id=refund_id, reason=reason, settings=settings(), actor=actor(),
                                now=now, method=checked.method)
        return "Đã ghi nhận chuyển khoản hoàn không thành công: tiền trở lại hồ sơ."

    return _run(work)


@finance_pages.post("/refunds/<int:refund_id>/to-transfer")
@page_requires("finance")
def refund_to_transfer(refund_id: int):
    """A cash refund no drawer of today can pay (its cash was taken on an earlier day), or the payer cannot come
    back for: a transfer order to the citizen's account, with a reason (`POST /refunds/<id>/to-transfer`)."""
    def work() -> str:
        form = request.form
        payee = refund_payees.parse_payee(form.get("bank_bin"), form.get("account_number"), form.get("account_name"))
        reason = _reason()
        with transaction() as session:
            refund_payees.switch_to_transfer(session, refund_id=refund_id, payee=payee, reason=reason, actor=actor(),
                                             now=now_utc())
        return translate("Đã đổi khoản hoàn #{id} sang chuyển khoản.").format(id=refund_id)

    return _run(work)


@finance_pages.before_request
def _statement_size_limit():
    # The statement limit, not the app's, from the first byte read: the CSRF check reads the form before the view.
    if request.endpoint == "finance_pages.upload_statement":
        request.max_content_length = settings().statement_max_bytes


@finance_pages.post("/statements")
@page_requires("finance")
def upload_statement():
    """Without JavaScript: the upload form posts here (with it, the page sends the file to the API)."""
    imported: list[int] = []

    def work() -> str:
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise ValidationError("choose a statement file", code="missing_file")
        fmt, profile = request.form.get("format") or None, request.form.get("profile") or None
        imported.append(service.import_statement(
            runtime().sessions, upload.stream, filename=upload.filename, fmt=fmt,
            account_number=request.form.get("account_number") or None, profile=profile, settings=settings(),
            actor=actor(), now=now_utc()))
        return "Đã nhập sao kê."

    # Without JavaScript a refusal goes back to the upload form, whatever the form said.
    response = _run(work, url_for("finance_pages.statements", date=chosen_day().isoformat()))
    if not imported:
        return response
    with transaction() as session:
        day = service.get_import(session, imported[0]).period_to or chosen_day()
    return redirect(url_for("finance_pages.statements", date=day.isoformat(), import_id=imported[0]) + "#lines", 303)
