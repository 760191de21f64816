"""What follows a payment request's change of state, written in the same transaction:
the e-receipt when it becomes fully paid, the citizen's SMS, and the outbound events.

Everything here lands in tables (receipts, outbox) inside the caller's transaction; the
worker sends after commit. So a change that rolls back announces nothing, and one that
commits is announced at least once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from config import Settings
from kernel.events import publish
from kernel.money import format_vnd
from kernel.notify import sms
from kernel.outbox import enqueue_many
from payments import states
from payments.models import Dossier, PaymentRequest
from payments.receipts import issue_receipts


@dataclass(frozen=True)
class RequestInfo:
    """What the announcements need to know about a request, as it is now."""

    id: int
    payment_code: str
    amount_vnd: int
    paid_vnd: int
    refunded_vnd: int
    status: str
    dossier_code: str
    applicant_phone: str
    has_receipt: bool | None = None  # None: not known, look it up


@dataclass(frozen=True)
class Transition:
    request_id: int
    from_status: str | None
    to_status: str
    event: str


def _text(kind: str, code: str, dossier: str, amount: int, paid: int, refunded: int) -> str:
    """The Vietnamese SMS for a paid, partially paid or refunded request, short enough for a few segments."""
    if kind == "paid":
        return (f"TT Phục vụ HCC: Đã nhận đủ {format_vnd(amount)} phí, lệ phí hồ sơ {dossier} (mã {code}). "
                f"Biên lai điện tử đã được phát hành. Xin cảm ơn.")
    if kind == "partially_paid":
        return (f"TT Phục vụ HCC: Đã nhận {format_vnd(paid)}/{format_vnd(amount)} cho hồ sơ {dossier} "
                f"(mã {code}). Còn thiếu {format_vnd(max(amount - paid + refunded, 0))}.")
    return f"TT Phục vụ HCC: Đã hoàn trả tổng cộng {format_vnd(refunded)} cho hồ sơ {dossier} (mã {code})."


def after_transitions(conn: Connection, transitions: list[Transition], *, settings: Settings, now: datetime,
                      known: dict[int, RequestInfo] | None = None) -> None:
    """Receipts, SMS and events for the requests whose state just changed (`known`: their current
    state when the caller has it, which saves reading it again)."""
    first: dict[int, Transition] = {}
    last: dict[int, Transition] = {}
    for t in transitions:
        first.setdefault(t.request_id, t)
        last[t.request_id] = t
    if not last:
        return
    if known and all(i in known for i in last):
        infos = [known[i] for i in last]
    else:
        infos = [RequestInfo(*row) for row in conn.execute(
            select(PaymentRequest.id, PaymentRequest.payment_code, PaymentRequest.amount_vnd, PaymentRequest.paid_vnd,
                   PaymentRequest.refunded_vnd, PaymentRequest.status, Dossier.code, Dossier.applicant_phone)
            .join(Dossier, Dossier.id == PaymentRequest.dossier_id).where(PaymentRequest.id.in_(list(last))))]
    to_receipt, messages, events = [], [], []
    receipts_known = all(info.has_receipt is not None for info in infos)
    for info in infos:
        request_id, code, amount, paid, refunded = info.id, info.payment_code, info.amount_vnd, info.paid_vnd, \
            info.refunded_vnd
        status, dossier, phone = info.status, info.dossier_code, info.applicant_phone
        began, ended = first[request_id].from_status, last[request_id]
        kind = _kind(began, ended)
        if kind is None:
            continue
        if kind == "paid" and not info.has_receipt:
            to_receipt.append((request_id, amount))
        data = {"payment_code": code, "dossier_code": dossier, "status": status, "amount_vnd": amount,
                "paid_vnd": paid, "refunded_vnd": refunded, "outstanding_vnd": max(amount - paid + refunded, 0)}
        events.append((f"payment_request.{kind}", data))
        if kind in ("paid", "partially_paid", "refunded"):
            text = _text(kind, code, dossier, amount, paid, refunded)
            messages.append(sms(phone, text, f"request:{request_id}:{kind}:{paid}:{refunded}"))
    issue_receipts(conn, to_receipt, settings=settings, now=now, checked=receipts_known)
    enqueue_many(conn, messages, now=now)
    publish(conn, events, now=now)


def _kind(began: str | None, ended: Transition) -> str | None:
    """Which announcement a change deserves, if any."""
    if ended.to_status == states.EXPIRED:
        return "expired"
    if ended.event == "refunded":
        return "refunded"
    if ended.event == "payment_received":
        if states.is_settled(ended.to_status) and not (began and states.is_settled(began)):
            return "paid"
        if ended.to_status == states.PARTIALLY_PAID:
            return "partially_paid"
    return None
