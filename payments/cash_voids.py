"""A cashier's void: cash taken by mistake (the wrong request, a mistyped amount) undone the same
business day, while its drawer is still open, instead of a refund.

The money goes back through the one reversal path (`corrections.reverse_payment`, as a card void):
its requests give it back (status, paid, the receipt cancelled, SMS and events as for a card void),
and the ledger credits the drawer, so the drawer's expected cash drops by the amount. Only what
crediting did is undone: once a refund claims some of the payment, or finance moved some of it
(released to suspense), the void is refused and it is finance's case; so is a void of more cash than
the drawer still holds (a refund was paid out of it since). Locks in take_cash's order
(the books, the drawer, then the payment and its requests), so a void and the drawer's close are
serialised on the drawer's row: the close counts the void, or the void sees the drawer closed.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config import Settings
from kernel import audit
from kernel.audit import AuditEntry
from kernel.auth import same_principal
from kernel.books import hold_books
from kernel.clock import business_date
from kernel.errors import Conflict, Forbidden, NotFound
from payments.cash import PROVIDER, hand_out
from payments.corrections import REVERSED, reverse_payment
from payments.models import CashDrawer, Payment, PaymentAllocation
from payments.refunds import NOT_COUNTED, Refund

ACTION = "cash_payment.void"


def void_ref(payment_id: int) -> str:
    """The reversal reference of a cashier's void: one per payment, so a second void is a replay."""
    return f"cash-void:{payment_id}"


def void_cash(session: Session, *, payment_id: int, reason: str, actor: str, any_cashier: bool,
              settings: Settings, now: datetime) -> tuple[Payment, CashDrawer, bool]:
    """Void a cash payment; returns it, its drawer and whether this call voided it (False: it was
    already voided by a cashier's void, and the answer is the same). `any_cashier` (finance) may void
    another cashier's payment; a cashier voids only what they took."""
    hold_books(session)  # first, as every writer of money (kernel.books)
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise NotFound(f"no payment {payment_id}", code="payment_not_found")
    if payment.provider != PROVIDER:
        raise Conflict(f"payment {payment_id} was not taken in cash at the counter ({payment.channel}): "
                       "only cash can be voided here", code="payment_not_cash", details={"channel": payment.channel})
    drawer_id = int(payment.clearing_account.removeprefix("cash:"))  # Accounts.cash: the drawer's account
    drawer = session.get(CashDrawer, drawer_id, with_for_update=True, populate_existing=True)
    if not any_cashier and not same_principal(drawer.cashier, actor):
        raise Forbidden("a cashier may void only cash they took; ask finance", code="not_your_payment",
                        details={"payment_id": payment_id})
    session.refresh(payment, with_for_update=True)  # after the drawer: take_cash's lock order
    if payment.status == REVERSED:
        if payment.reversal_ref == void_ref(payment_id):
            return payment, drawer, False  # voided before: the same answer, nothing moved twice
        raise Conflict("this payment was already reversed", code="payment_reversed")
    if drawer.closed_at is not None:
        raise Conflict("the drawer that took this cash is closed: a refund gives it back now",
                       code="drawer_closed", details={"drawer_id": drawer.id})
    if drawer.business_date != business_date(now):  # left open past its day: it is counted as of its day
        raise Conflict("this cash was taken on another business day: a refund gives it back now",
                       code="drawer_of_another_day", details={"drawer_id": drawer.id,
                                                              "business_date": drawer.business_date.isoformat()})
    _refuse_if_touched(session, payment)
    hand_out(session, drawer, payment.amount_vnd)  # e.g. a refund was paid out of it since
    reverse_payment(session, payment_id=payment_id, reversal_ref=void_ref(payment_id), settings=settings,
                    actor=actor, now=now)
    audit.record(session, actor=actor, action=ACTION, subject_type="payment", subject_id=payment_id, at=now,
                 reason=reason, data={"amount_vnd": payment.amount_vnd, "drawer_id": drawer.id})
    session.refresh(payment)
    return payment, drawer, True


def void_record(session: Session, payment_id: int) -> dict:
    """Who voided the payment at the counter, when and why (its audit row), as the API answers."""
    entry = session.execute(select(AuditEntry).where(
        AuditEntry.action == ACTION, AuditEntry.subject_type == "payment", AuditEntry.subject_id == str(payment_id))
        .order_by(AuditEntry.id).limit(1)).scalar_one()
    return {"voided_by": entry.actor, "voided_at": entry.at.isoformat(), "reason": entry.reason}


def _refuse_if_touched(session: Session, payment: Payment) -> None:
    """Refuse unless all of the payment is still where crediting put it: a refund asked for or paid out
    of it, or some of it taken off its request, is finance's to undo, not the counter's."""
    refund = session.execute(select(Refund.id, Refund.status).where(
        Refund.payment_id == payment.id, Refund.status.not_in(NOT_COUNTED)).order_by(Refund.id).limit(1)).first()
    if refund is not None:
        raise Conflict("a refund was asked for or paid out of this payment: it can no longer be voided",
                       code="payment_refunded", details={"refund_id": refund.id, "refund_status": refund.status})
    released, allocated = session.execute(select(
        func.count(PaymentAllocation.id).filter(PaymentAllocation.released_at.is_not(None)),
        func.coalesce(func.sum(PaymentAllocation.amount_vnd).filter(PaymentAllocation.released_at.is_(None)), 0))
        .where(PaymentAllocation.payment_id == payment.id)).one()
    if released or payment.unallocated_vnd or allocated != payment.amount_vnd:
        raise Conflict("some of this payment was moved since it was taken (released or assigned by finance): "
                       "it can no longer be voided", code="payment_moved")
