"""Cash at the counter: a cashier takes money for a request into their drawer for the day."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config import Settings
from kernel import audit
from kernel.clock import business_date, format_local
from kernel.errors import Conflict, NotFound, ValidationError
from kernel.money import format_vnd
from kernel.words import amount_in_words
from payments import states
from payments.credits import CONFLICT, DUPLICATE, CreditResult, IncomingCredit, find_payment, record_credit
from payments.ledger import Accounts, balance
from payments.models import CashDrawer, Payment
from payments.service import get_payment_request

PROVIDER = "cash"


def drawer_for(session: Session, *, cashier: str, now: datetime) -> CashDrawer:
    """The cashier's drawer for today's business day, opened on first use."""
    day = business_date(now)
    query = select(CashDrawer).where(CashDrawer.cashier == cashier, CashDrawer.business_date == day)
    drawer = session.execute(query).scalar_one_or_none()
    if drawer is None:
        try:
            with session.begin_nested():
                drawer = CashDrawer(cashier=cashier, business_date=day, opened_at=now)
                session.add(drawer)
                session.flush()
        except IntegrityError:
            drawer = session.execute(query).scalar_one()
    if drawer.closed_at is not None:
        raise Conflict("your cash drawer for today is closed", code="drawer_closed")
    return drawer


def take_cash(session: Session, *, code: str, amount_vnd: int, cashier: str, idempotency_key: str | None,
              settings: Settings, now: datetime) -> CreditResult:
    """Credit cash paid at the counter. Unlike transfers, cash can still be handed back, so
    the cashier takes no more than is owed and nothing for a closed request."""
    request = get_payment_request(session, code, settings=settings, now=now, for_update=True)
    ref = f"{cashier}:{idempotency_key}" if idempotency_key else uuid.uuid4().hex
    if idempotency_key:
        # A retried request after a lost answer: give back what the first one did.
        existing = find_payment(session, PROVIDER, ref[:100])
        if existing is not None:
            return CreditResult(DUPLICATE if existing.amount_vnd == amount_vnd else CONFLICT, existing.id)
    if request.status not in states.OPEN:
        raise Conflict(f"a {request.status} payment request takes no cash", code="request_not_payable",
                       details={"status": request.status})
    if amount_vnd > request.outstanding_vnd:
        raise ValidationError(f"only {request.outstanding_vnd:,} VND is owed", code="amount_exceeds_outstanding",
                              details={"outstanding_vnd": request.outstanding_vnd})
    drawer = drawer_for(session, cashier=cashier, now=now)
    credit = IncomingCredit(provider=PROVIDER, provider_ref=ref[:100], channel="cash", amount_vnd=amount_vnd,
                            booked_at=now, clearing_account=Accounts.cash(drawer.id),
                            payment_code=request.payment_code,
                            details={"drawer_id": drawer.id, "cashier": cashier.split(":", 2)[-1]})
    return record_credit(session, credit, settings=settings, actor=cashier, now=now)


def close_drawer(session: Session, *, drawer_id: int, counted_vnd: int, actor: str, now: datetime) -> dict:
    """Close a drawer with the cash counted; the difference from the ledger is recorded and audited."""
    drawer = session.get(CashDrawer, drawer_id, with_for_update=True)
    if drawer is None:
        raise NotFound(f"no cash drawer {drawer_id}", code="drawer_not_found")
    if drawer.closed_at is not None:
        raise Conflict("this drawer is already closed", code="drawer_closed")
    expected = balance(session, Accounts.cash(drawer.id))
    drawer.closed_at, drawer.counted_vnd = now, counted_vnd
    audit.record(session, actor=actor, action="cash_drawer.close", subject_type="cash_drawer", subject_id=drawer.id,
                 at=now, data={"expected_vnd": expected, "counted_vnd": counted_vnd})
    return {"id": drawer.id, "cashier": drawer.cashier, "business_date": drawer.business_date.isoformat(),
            "expected_vnd": expected, "counted_vnd": counted_vnd, "difference_vnd": counted_vnd - expected}


def receipt_text(payment: Payment) -> str:
    """The counter receipt (phiếu thu) as plain text, 40 columns for thermal printers."""
    lines = ["PHIẾU THU TIỀN MẶT".center(40), "Trung tâm Phục vụ Hành chính công".center(40), "-" * 40]
    for allocation in payment.allocations:
        request = allocation.payment_request
        lines += [f"Mã thanh toán: {request.payment_code}", f"Hồ sơ: {request.dossier.code}",
                  f"Thủ tục: {request.dossier.procedure_name[:80]}"]
    lines += [
        f"Số tiền: {format_vnd(payment.amount_vnd)}",
        f"Bằng chữ: {amount_in_words(payment.amount_vnd)}",
        f"Thời gian: {format_local(payment.booked_at)}",
        f"Thu ngân: {(payment.details or {}).get('cashier', '')}",
        f"Số phiếu: TM-{payment.id:07d}",
        "-" * 40,
        "Biên lai điện tử được gửi khi hồ sơ đã nộp đủ phí.",
    ]
    return "\n".join(lines) + "\n"
