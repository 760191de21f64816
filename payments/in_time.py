"""Money the bank booked while its request was open pays it, however late we learn of it.

A callback is judged at its arrival: the workers apply it with `now` = its arrival, and expiry waits
for it meanwhile (`service._held`). A statement line has no arrival of ours: the bank booking it is
when the money came, so its request's expiry is judged at that instant (`judged_at`). Its callback
never came, so the sweep may have expired the request meanwhile: an expiry the money beat is undone
(`reopenable`), unless the fees have been asked again since under a renewal's code (the citizen
would be asked twice) or an item was withdrawn (the request asks for something else now). A request
cancelled, refunded or expired before the booking stays as it is: its money waits in suspense.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, exists, or_, select
from sqlalchemy.orm import aliased

from kernel.clock import business_date, ensure_aware_utc, start_of_business_day
from payments import states
from payments.announcements import STATEMENT_PROVIDER
from payments.models import Dossier, FeeItem, Payment, PaymentRequest, PaymentRequestItem

# A line the bank gave a day but no time may have been booked at any moment of that day: judged at its last
# one, so a deadline within the day is never taken as beaten (finance decides that line, as before).
_LAST_MOMENT = timedelta(microseconds=1)
_CHUNK = 1000


def judged_at(booked_at: datetime, now: datetime) -> datetime:
    """The instant a statement line's expiry decisions are taken at: when the bank booked it, never later
    than `now`. A line stored without a time was booked at its day's start (`importer.ImportContext.row`):
    judged at the end of that day instead (a transfer at midnight sharp is judged so too, harmlessly)."""
    at = ensure_aware_utc(booked_at)
    day_start = start_of_business_day(business_date(at))
    if at == day_start:
        at = day_start + timedelta(days=1) - _LAST_MOMENT
    return min(at, now)


def lapsed_after(conn: Connection, codes: Iterable[str], at: datetime, now: datetime) -> list[int]:
    """The requests among `codes` whose deadline came after `at` but has passed (expired, or pending and due
    at `now`), each dossier's row locked (id order).

    Taken before the requests' own locks, in the order a renewal takes them (the dossier, then its
    requests: `service.lock_dossier`): a renewal running meanwhile either committed its new request,
    which `reopenable` then sees, or waits until this transaction ends."""
    codes, rows = sorted(set(codes)), []
    for start in range(0, len(codes), _CHUNK):  # bounded IN lists (SQLite's variable limit)
        rows += conn.execute(select(PaymentRequest.id, PaymentRequest.dossier_id).where(
            PaymentRequest.payment_code.in_(codes[start:start + _CHUNK]), PaymentRequest.expires_at > at,
            or_(PaymentRequest.status == states.EXPIRED,
                and_(PaymentRequest.status == states.PENDING, PaymentRequest.expires_at <= now)))).all()
    dossiers = sorted({dossier_id for _, dossier_id in rows})
    if dossiers:
        conn.execute(select(Dossier.id).where(Dossier.id.in_(dossiers)).order_by(Dossier.id).with_for_update())
    return [request_id for request_id, _ in rows]


def reopenable(conn: Connection, request_ids: Iterable[int]) -> set[int]:
    """Of these lapsed requests (`lapsed_after`), those whose fee items no other live request asks for (no
    renewal since) and none of which was withdrawn: money booked before their deadline may undo their expiry."""
    ids = sorted(set(request_ids))
    if not ids:
        return set()
    other = aliased(PaymentRequestItem)
    live = aliased(PaymentRequest)
    renewed = exists().where(other.fee_item_id == PaymentRequestItem.fee_item_id,
                             other.payment_request_id != PaymentRequestItem.payment_request_id,
                             live.id == other.payment_request_id,
                             live.status.not_in((states.EXPIRED, states.CANCELLED)))
    blocked = conn.execute(select(PaymentRequestItem.payment_request_id).join(
        FeeItem, FeeItem.id == PaymentRequestItem.fee_item_id).where(
        PaymentRequestItem.payment_request_id.in_(ids), or_(renewed, FeeItem.withdrawn_at.is_not(None)))).scalars()
    return set(ids) - set(blocked)


def for_payment(conn: Connection, payment_id: int, codes: Iterable[str],
                now: datetime) -> tuple[datetime | None, list[int]]:
    """Finance putting a payment's money onto requests by hand: for a statement line's money, its instant
    (`judged_at`) and the requests among `codes` it may reopen (`lapsed_after`, their dossiers locked);
    (None, []) for any other money, judged now (a callback's was judged at its arrival, and came too late)."""
    provider, booked_at = conn.execute(select(Payment.provider, Payment.booked_at).where(
        Payment.id == payment_id)).one()
    if provider != STATEMENT_PROVIDER:
        return None, []
    at = judged_at(booked_at, now)
    return at, lapsed_after(conn, codes, at, now)


def reopens(state, at: datetime | None, reopenable_ids: set[int]) -> bool:
    """Whether money judged at `at` undoes this expired request's expiry (`Book.undo_expiry`)."""
    return (at is not None and state.status == states.EXPIRED and state.id in reopenable_ids
            and state.expires_at > at)
