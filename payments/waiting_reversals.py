"""Card voids and reversals still waiting for their sale (`pending_reversals`, `applied_at` NULL).

A void that came before its sale waits for it (`credits.record_reversal`) and is applied when it lands. One whose
sale never comes (lost by the terminal's gateway, or sent under a key no sale has) waited for ever, unseen: the
card got its money back while the request may still show it paid. Once `HCCPAY_RECON_SWEEP_WORKING_DAYS` working
days have ended since it arrived (the missed-callback sweep's wait, run by the same job), its stored callback
becomes a conflict for finance (`reversal_without_sale`), listed with the others and marked handled the same way
(a reason, audited). It still undoes its sale should the sale come later: the terminal said the card was paid back.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from config import Settings
from kernel import inbox
from kernel.clock import business_date, business_day_bounds, working_days_between
from kernel.inbox import InboundCallback
from payments.models import PendingReversal

CODE = inbox.REVERSAL_WITHOUT_SALE


def _overdue(received_at: datetime, now: datetime, settings: Settings) -> bool:
    """Arrived `recon_sweep_working_days` ended working days ago or more (today, not over yet, not counted)."""
    today = business_date(now)
    return working_days_between(business_date(received_at), today - timedelta(days=1),
                                settings.holidays) >= settings.recon_sweep_working_days


def flag_overdue(session: Session, *, settings: Settings, now: datetime) -> int:
    """Make each void/reversal overdue for its sale a conflict for finance (once); returns how many were new."""
    before_today = business_day_bounds(business_date(now))[0]
    waiting = session.execute(select(
        PendingReversal.provider, PendingReversal.provider_ref, PendingReversal.original_ref,
        PendingReversal.amount_vnd, PendingReversal.received_at,
    ).where(PendingReversal.applied_at.is_(None), PendingReversal.received_at < before_today)
        .order_by(PendingReversal.id)).all()
    flagged = 0
    for provider, ref, original, amount, received_at in waiting:
        if not _overdue(received_at, now, settings):
            continue
        flagged += inbox.flag_reversal_conflict(session, provider=provider, reversal_ref=ref, now=now, reason=(
            f"{CODE}: void/reversal {ref} of {amount} VND names sale {original}, which has not arrived "
            f"{settings.recon_sweep_working_days} working day(s) after the void (received "
            f"{received_at.isoformat()}): the card was given its money back; find the sale (another key, another "
            f"terminal or batch) and undo it, or confirm with the acquirer, then mark this handled"))
    return flagged


def open_count(session: Session) -> int:
    """Voids/reversals flagged `reversal_without_sale` that finance has not marked handled."""
    return len(session.execute(select(InboundCallback.id).where(
        InboundCallback.status == inbox.CONFLICT, InboundCallback.handled_at.is_(None),
        InboundCallback.event["type"].as_string() == "reversal",
        InboundCallback.reason.contains(f"{CODE}: ", autoescape=True))).all())
