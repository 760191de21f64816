"""The cashier's counter (`/staff/counter`): today's cash in their drawer, each payment with
"Hủy giao dịch" (a void with a reason, `payments.cash_voids`) while the drawer is open, and the cash
refunds waiting to be handed over (`payments.refunds`: paid out of this cashier's drawer, or never
collected). Cash is taken through the one-stop system (the API); this page corrects a mistake of the
day and gives money back."""
from __future__ import annotations

import re

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from kernel.audit import AuditEntry
from kernel.auth import principal_key
from kernel.books import hold_books
from kernel.clock import business_date, now_utc
from kernel.errors import Conflict, DomainError, ValidationError
from kernel.http import actor, current_principal, settings, transaction
from kernel.money import format_signed_vnd, format_vnd, parse_typed_vnd
from payments import cash, cash_voids, refunds
from payments.ledger import Accounts
from payments.models import CashDrawer, Payment, PaymentRequest
from web import i18n
from web.auth import AREAS, page_requires
from web.finance_text import error_sentence
from web.forms import form_text, keep_form

_SIGNED_WHOLE = re.compile(r"[+-]?[0-9]{1,13}")
counter_pages = Blueprint("counter_pages", __name__, url_prefix="/staff/counter")
AREAS.append(("counter_pages.desk", "Quầy thu tiền mặt", frozenset({"cashier"})))
NO_CASH_TODAY = ("Tiền mặt thu từ ngày trước không có trong ngăn kéo hôm nay: nếu không quầy nào đủ tiền, đề nghị "
                 "kế toán chuyển sang chuyển khoản vào tài khoản của người nộp.")
EN = {
    NO_CASH_TODAY: "Cash taken on an earlier day is not in today's drawers: if no desk holds enough, ask finance to "
                   "switch the refund to a transfer to the payer's account.",
    "Quầy thu tiền mặt": "Cash desk", "Tiền mặt hôm nay": "Today's cash", "Ngăn kéo": "Drawer",
    "Đang mở": "Open", "Đã đóng lúc": "Closed at", "Tiền mặt phải có trong ngăn kéo": "Cash the drawer should hold",
    "Hôm nay bạn chưa thu tiền mặt.": "You have taken no cash today.",
    "Tiền mặt đếm được khi đóng": "Cash counted at the close",
    "Chênh lệch (thừa +, thiếu −)": "Difference (over +, short −)", "Giao dịch": "Payment",
    "Thời gian thu": "Taken at", "Hồ sơ": "Dossier", "Đã thu": "Taken", "Đã hủy": "Voided",
    "Hủy giao dịch": "Void transaction", "Lý do hủy (bắt buộc)": "Reason for the void (required)",
    "Xác nhận hủy": "Confirm the void", "Phiếu thu": "Counter receipt",
    "Hủy khi thu nhầm (sai hồ sơ, gõ sai số tiền) trong ngày, khi ngăn kéo còn mở: tiền trả lại người nộp tại "
    "quầy. Sau khi đóng ngăn kéo, hãy đề nghị hoàn tiền.":
        "Void cash taken by mistake (the wrong dossier, a mistyped amount) the same day, while the drawer is open: "
        "hand the money back at the desk. Once the drawer is closed, ask for a refund.",
    "Đã hủy giao dịch #{id}: trả lại người nộp {amount}.": "Payment #{id} voided: hand {amount} back to the payer.",
    "Đóng ngăn kéo": "Close the drawer", "Tiền mặt đếm được": "Cash counted",
    "Đóng ngăn kéo sau khi đếm tiền cuối ngày; không thể mở lại, chênh lệch được ghi sổ.":
        "Close the drawer once the day's cash is counted; it cannot be reopened and the difference is booked.",
    "Tôi đã đếm lại: ghi nhận chênh lệch {difference}": "I counted again: book the difference of {difference}",
    "Đã đóng ngăn kéo #{id}: đếm được {counted}, chênh lệch {difference}.":
        "Drawer #{id} closed: {counted} counted, difference {difference}.",
    "Hoàn tiền mặt chờ trả": "Cash refunds to hand over", "Khoản hoàn": "Refund", "Lý do hoàn": "Reason",
    "Người nhận": "Payee", "Đã trả tiền": "Handed over", "Không chi được": "Not collected",
    "Lý do không chi (bắt buộc)": "Why it was not handed over (required)", "Xác nhận": "Confirm",
    "Không có khoản hoàn tiền mặt nào chờ trả.": "No cash refund is waiting to be handed over.",
    "Trả tiền từ ngăn kéo của bạn cho người nộp, rồi bấm “Đã trả tiền”; nếu người nộp không đến nhận, ghi lý do: "
    "tiền trở lại hồ sơ.": "Hand the money from your drawer to the payer, then press “Handed over”; if the payer "
                           "never comes for it, say why: the money goes back to the dossier.",
    "Đã trả {amount} cho người nộp (khoản hoàn #{id}).": "{amount} handed over to the payer (refund #{id}).",
    "Đã ghi nhận không chi khoản hoàn #{id}: tiền trở lại hồ sơ.":
        "Refund #{id} recorded as not collected: the money is the dossier's again.",
}
for _vi, _en in EN.items():
    i18n.EN.setdefault(_vi, _en)


@counter_pages.get("/")
@page_requires("cashier")
def desk():
    principal, now = current_principal(), now_utc()
    with transaction() as session:
        drawer = session.execute(select(CashDrawer).where(  # the principal's, whatever their name (cash.drawer_for)
            CashDrawer.cashier_key == principal_key(principal.actor),
            CashDrawer.business_date == business_date(now))).scalar_one_or_none()
        payments, voids, expected = [], {}, 0
        if drawer is not None:
            account = Accounts.cash(drawer.id)
            payments = session.execute(select(Payment).where(Payment.clearing_account == account)
                                       .order_by(Payment.id.desc())).scalars().all()
            expected = cash.expected_vnd(session, drawer)  # a closed one's balance is its count
            voids = {int(e.subject_id): e for e in session.execute(select(AuditEntry).where(
                AuditEntry.action == cash_voids.ACTION, AuditEntry.subject_type == "payment",
                AuditEntry.subject_id.in_([str(p.id) for p in payments]))).scalars()}
        return render_template("staff/counter.html", drawer=drawer, payments=payments, voids=voids,
                               expected_vnd=expected, cash_due=_cash_due(session))


def _cash_due(session) -> list[tuple[refunds.Refund, list[PaymentRequest]]]:
    """Cash refunds waiting for a cashier, oldest first (whoever took the cash: any drawer holding enough pays
    them out), each with the requests its money came from (the payer is named by them)."""
    due = session.execute(select(refunds.Refund).where(refunds.Refund.status == refunds.CASH_DUE)
                          .order_by(refunds.Refund.id).limit(200)).scalars().all()
    ids = {part.payment_request_id for r in due for part in r.parts if part.payment_request_id is not None}
    found = {r.id: r for r in session.execute(select(PaymentRequest).where(PaymentRequest.id.in_(ids))).scalars()} \
        if ids else {}
    return [(r, [found[i] for i in dict.fromkeys(p.payment_request_id for p in r.parts) if i in found]) for r in due]


def _cash_refund(session, refund_id: int) -> refunds.Refund:
    """The refund, locked, if it is one the counter pays (cash): a transfer or card refund is finance's or the
    acquirer's. Locked (after the books, the order of every writer of money) so that two presses at once see
    each other: the second finds it handed over."""
    hold_books(session)
    refund = refunds.get_refund(session, refund_id, for_update=True)
    if refund.method != "cash":
        raise Conflict(f"a {refund.method} refund is not handed over at the counter", code="refund_not_cash",
                       details={"method": refund.method})
    return refund


@counter_pages.post("/refunds/<int:refund_id>/paid")
@page_requires("cashier")
def refund_paid(refund_id: int):
    """The cash was handed to the payer, out of this cashier's drawer (`refunds.mark_executed`)."""
    try:
        with transaction() as session:
            refund = _cash_refund(session, refund_id)
            if refund.status == refunds.EXECUTED:
                # The API answers a repeat as the first time (a retry is harmless there); a person pressing again
                # (a double click, a page left open) must not read "handed over" twice and pay twice.
                raise Conflict("this cash refund was already handed over", code="refund_already_executed",
                               details={"executed_by": refund.executed_by, "executed_at": refund.executed_at})
            refund = refunds.mark_executed(session, refund_id=refund_id, reference=None, settings=settings(),
                                           actor=actor(), now=now_utc(), method="cash")
            amount = refund.amount_vnd
        flash(i18n.translate("Đã trả {amount} cho người nộp (khoản hoàn #{id}).").format(
            id=refund_id, amount=format_vnd(amount)), "success")
    except DomainError as exc:
        flash(error_sentence(exc.code, exc.details, i18n.translate), "error")
        if exc.code == "insufficient_cash_in_drawer":
            # Cash taken on an earlier day is in that day's drawer, not today's: say what else can be done.
            flash(i18n.translate(NO_CASH_TODAY), "error")
    return redirect(url_for("counter_pages.desk"), 303)


@counter_pages.post("/refunds/<int:refund_id>/failed")
@page_requires("cashier")
def refund_failed(refund_id: int):
    """The payer never came for the cash (`refunds.mark_failed`): the money is the request's again."""
    try:
        reason = form_text("reason")
        with transaction() as session:
            _cash_refund(session, refund_id)
            refunds.mark_failed(session, refund_id=refund_id, reason=reason, settings=settings(), actor=actor(),
                                now=now_utc(), method="cash")
        flash(i18n.translate("Đã ghi nhận không chi khoản hoàn #{id}: tiền trở lại hồ sơ.").format(id=refund_id),
              "success")
    except DomainError as exc:
        flash(error_sentence(exc.code, exc.details, i18n.translate), "error")
        keep_form(exc.code)
    return redirect(url_for("counter_pages.desk"), 303)


@counter_pages.post("/payments/<int:payment_id>/void")
@page_requires("cashier")
def void(payment_id: int):
    """Void cash taken by mistake; a refusal says why and keeps the reason typed (`keep_form`)."""
    try:
        reason = form_text("reason")
        with transaction() as session:
            payment, _, _ = cash_voids.void_cash(
                session, payment_id=payment_id, reason=reason, actor=actor(),
                any_cashier="finance" in current_principal().roles, settings=settings(), now=now_utc())
            amount = payment.amount_vnd
        flash(i18n.translate("Đã hủy giao dịch #{id}: trả lại người nộp {amount}.").format(
            id=payment_id, amount=format_vnd(amount)), "success")
    except DomainError as exc:
        flash(error_sentence(exc.code, exc.details, i18n.translate), "error")
        keep_form(exc.code)
    return redirect(url_for("counter_pages.desk"), 303)


def _confirmed_difference() -> int | None:
    """The box ticked with the difference it was shown (`confirmed_difference_vnd`, the page's hidden field,
    a signed whole number), as the API reads `confirm_difference` with it (`cash.parse_difference_confirmation`)."""
    typed = (request.form.get("confirmed_difference_vnd") or "").strip()
    if typed and not _SIGNED_WHOLE.fullmatch(typed):
        raise ValidationError("confirmed_difference_vnd must be a whole number of đồng", code="invalid_parameter",
                              details={"parameter": "confirmed_difference_vnd"})
    return cash.parse_difference_confirmation(request.form.get("confirm_difference") == "1",
                                              int(typed) if typed else None)


@counter_pages.post("/drawers/<int:drawer_id>/close")
@page_requires("cashier")
def close(drawer_id: int):
    """Close the drawer with the cash counted; a count far from what it should hold comes back asking
    for the confirmation box (the API's `confirm_difference`), the count kept (`keep_form`), and the
    difference shown rides with the box: a close confirms that difference only."""
    try:
        counted = parse_typed_vnd(request.form.get("counted_vnd"), field="counted_vnd", minimum=0,
                                  maximum=cash.MAX_COUNT_VND)
        if counted is None:
            raise ValidationError("counted_vnd is required", code="missing_field", details={"field": "counted_vnd"})
        with transaction() as session:
            closed = cash.close_drawer(session, drawer_id=drawer_id, counted_vnd=counted, actor=actor(),
                                       any_drawer="finance" in current_principal().roles,
                                       confirmed_difference_vnd=_confirmed_difference(),
                                       settings=settings(), now=now_utc())
        flash(i18n.translate("Đã đóng ngăn kéo #{id}: đếm được {counted}, chênh lệch {difference}.").format(
            id=drawer_id, counted=format_vnd(closed["counted_vnd"]), difference=format_signed_vnd(closed["difference_vnd"])),
            "success")
    except DomainError as exc:
        flash(error_sentence(exc.code, exc.details, i18n.translate), "error")
        keep_form(exc.code, exc.details)
    return redirect(url_for("counter_pages.desk"), 303)
