"""Reads the finance workspace needs beyond what the reconciliation and payments services
already answer: the day's expected amount, 30 days of collections by channel, the day's
decisions, work lists of refunds and money in suspense."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from kernel.clock import business_day_bounds
from payments import corrections, refunds
from payments.models import Payment, PaymentAllocation, PaymentRequest
from reconciliation.models import Resolution

CHART_DAYS = 30


def expected_vnd(session: Session, day: date) -> int:
    """What the centre asked citizens to pay that day: requests issued that day, not cancelled."""
    start, end = business_day_bounds(day)
    total = session.execute(select(func.coalesce(func.sum(PaymentRequest.amount_vnd), 0)).where(
        PaymentRequest.created_at >= start, PaymentRequest.created_at < end,
        PaymentRequest.status != "cancelled")).scalar_one()
    return int(total)


def daily_collections(session: Session, last_day: date, days: int = CHART_DAYS) -> list[tuple[date, dict[str, int]]]:
    """Money received (payments not reversed) per business day and channel, oldest first."""
    first_day = last_day - timedelta(days=days - 1)
    bounds = [business_day_bounds(first_day + timedelta(days=n))[1] for n in range(days)]
    # Business days are Hà Nội days: bucket by instant bounds in one query (portable, no time-zone SQL).
    bucket = case(*((Payment.booked_at < end, n) for n, end in enumerate(bounds)), else_=days)
    rows = session.execute(
        select(bucket, Payment.channel, func.sum(Payment.amount_vnd))
        .where(Payment.booked_at >= business_day_bounds(first_day)[0], Payment.booked_at < bounds[-1],
               Payment.status == corrections.ACTIVE)
        .group_by(bucket, Payment.channel)).all()
    series = [(first_day + timedelta(days=n), {}) for n in range(days)]
    for n, channel, amount in rows:
        series[n][1][channel] = int(amount)
    return series


def day_resolutions(session: Session, day: date) -> list[Resolution]:
    """Every decision that counts in `day`, newest first (undone ones too)."""
    return list(session.execute(select(Resolution).where(Resolution.recon_date == day)
                                .order_by(Resolution.id.desc())).scalars())


def refunds_in(session: Session, *statuses: str, payment_id: int | None = None, limit: int = 100
               ) -> list[refunds.Refund]:
    """Refunds in the given statuses (all when none), of one payment or all, newest first."""
    query = select(refunds.Refund).order_by(refunds.Refund.id.desc()).limit(limit)
    if statuses:
        query = query.where(refunds.Refund.status.in_(statuses))
    if payment_id is not None:
        query = query.where(refunds.Refund.payment_id == payment_id)
    return list(session.execute(query).scalars())


def payments_of_request(session: Session, payment_code: str) -> list[Payment]:
    """Payments with money (ever) allocated to the request with this code."""
    paid = select(PaymentAllocation.payment_id).join(
        PaymentRequest, PaymentRequest.id == PaymentAllocation.payment_request_id).where(
        PaymentRequest.payment_code == payment_code)
    return list(session.execute(select(Payment).where(Payment.id.in_(paid)).order_by(Payment.id)).scalars())


def request_exists(session: Session, payment_code: str) -> bool:
    """Whether a request has this code (the refund desk tells a mistyped code from one not paid yet)."""
    return session.execute(select(PaymentRequest.id).where(PaymentRequest.payment_code == payment_code)
                           ).first() is not None
