"""A bank's reversal on a statement (MT940 `RC`, camt.053 `RvslInd` on a debit) takes back a
credit it made. When the statement says which one — the reversal carries the credit's bank
reference (as its own, or quoted in its memo), else exactly its payment codes — and exactly one credit of the same amount
on the account in the month before fits, that credit's payment is reversed through the one
reversal path (`payments.corrections.reverse_payment`, as a card void is): its requests give the
money back and the ledger's bank account follows the statement. Otherwise (no single credit
fits, or finance already wrote some of it off or asked to refund it) nothing is moved and the
`reversed` exception waits for finance.
"""
from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from payments.corrections import reverse_payment
from payments.models import Payment, PaymentAllocation
from payments.references import normalise_ref
from payments.refunds import NOT_COUNTED, Refund
from reconciliation import links, resolutions
from reconciliation.models import StatementLine
from reconciliation.statements import CREDIT

if TYPE_CHECKING:
    from reconciliation.importer import ImportContext, Row

LOOKBACK_DAYS = 31
MIN_QUOTED_REF = 6


def apply(session: Session, ctx: ImportContext, rows: list[Row]) -> None:
    """Reverse the credit each stored reversal-of-a-credit row names, where it names exactly one."""
    for row in rows:
        if not (row.is_reversal and row.direction != CREDIT):
            continue
        line_id = session.execute(select(StatementLine.id).where(
            StatementLine.clearing_account == ctx.clearing_account, StatementLine.line_key == row.key)).scalar_one()
        original = _original(session, ctx, row)
        if original is None:
            continue
        reverse_payment(session, payment_id=original.payment_id, reversal_ref=links.reversal_ref(line_id),
                        settings=ctx.settings, actor=ctx.actor, now=ctx.now)
        resolutions.refresh_line(session, original)


def _names(memo: str | None, bank_ref: str | None) -> bool:
    """Whether a memo quotes a bank reference (as a whole word; short ones are too common to count)."""
    ref = normalise_ref(bank_ref)
    if ref is None or len(ref) < MIN_QUOTED_REF:
        return False
    words = re.sub(r"[^0-9A-Za-z]+", " ", memo or "").upper().split()
    return ref in words or ref in {normalise_ref(word) for word in (memo or "").upper().split()}


def _original(session: Session, ctx: ImportContext, row: Row) -> StatementLine | None:
    candidates = session.execute(
        select(StatementLine).join(Payment, Payment.id == StatementLine.payment_id).where(
            StatementLine.clearing_account == ctx.clearing_account, StatementLine.direction == CREDIT,
            StatementLine.is_reversal.is_(False), StatementLine.amount_vnd == row.amount_vnd,
            StatementLine.booking_date <= row.booking_date,
            StatementLine.booking_date >= row.booking_date - timedelta(days=LOOKBACK_DAYS),
            Payment.status == "active").order_by(StatementLine.id)).scalars().all()
    own_ref = normalise_ref(row.bank_ref)  # an RC line often keeps the reference of the transfer it undoes
    named = [c for c in candidates if _names(row.memo, c.bank_ref)
             or (own_ref is not None and len(own_ref) >= MIN_QUOTED_REF and normalise_ref(c.bank_ref) == own_ref)]
    if not named:
        prefix = ctx.settings.payment_code_prefix
        codes = links.codes_in(row.memo, prefix)
        named = [c for c in candidates if codes and links.codes_in(c.memo, prefix) == codes]
    return named[0] if len(named) == 1 and _untouched(session, named[0].payment_id) else None


def _untouched(session: Session, payment_id: int) -> bool:
    """Whether all of a payment is still where crediting put it (on requests or in suspense): once
    finance wrote some off or asked for a refund, undoing it is finance's decision, not ours."""
    amount, unallocated = session.execute(select(Payment.amount_vnd, Payment.unallocated_vnd)
                                          .where(Payment.id == payment_id)).one()
    allocated = session.execute(select(func.coalesce(func.sum(PaymentAllocation.amount_vnd), 0)).where(
        PaymentAllocation.payment_id == payment_id, PaymentAllocation.released_at.is_(None))).scalar_one()
    refunding = session.execute(select(Refund.id).where(Refund.payment_id == payment_id,
                                                        Refund.status.not_in(NOT_COUNTED)).limit(1)).first()
    return allocated + unallocated == amount and refunding is None
