"""E-receipts (biên lai điện tử) for fully paid requests (Decree 123/2020/NĐ-CP Art. 32).

A receipt has a form symbol, a series symbol ending in the year's last two digits, and a
7-digit number that restarts at 0000001 every 1 January (Hà Nội time) per series. Numbers
are drawn from a counter row in the same transaction that issues the receipt, so a rolled
back payment consumes no number: no gaps, no duplicates, whatever the concurrency.

A receipt acknowledges money the request holds. When that money goes back (a POS void, a
reversal or a released match leaves the request short; a full refund is paid out) the
receipt is cancelled, never deleted or edited: it stays retrievable, marked cancelled, with
when, why and by whom. If the request is paid again it gets a new receipt with a new number.
So a request may have several receipts over time, at most one of them valid.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import Connection, ForeignKey, Index, String, UniqueConstraint, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from config import Settings
from kernel.bulk import insert_rows
from kernel.clock import business_date
from kernel.db import PK, Base, BigIntPK
from kernel.errors import NotFound
from kernel.signing import same_secret
from kernel.text import is_ascii_digits
from payments.models import Dossier, Payment, PaymentAllocation, PaymentRequest

# Why a receipt was cancelled, as its verify page and PDF say it.
PAYMENT_REVERSED, REFUNDED = "payment_reversed", "refunded"
CANCEL_REASONS = {
    PAYMENT_REVERSED: "Khoản thanh toán của biên lai này đã bị hủy hoặc trả lại (giao dịch thẻ hoặc "
                      "tiền mặt tại quầy bị hủy, khoản tiền được tách khỏi hồ sơ); hồ sơ không còn được thanh toán đủ.",
    REFUNDED: "Khoản phí của biên lai này đã được hoàn trả toàn bộ cho người nộp.",
}
_VALID = text("cancelled_at IS NULL")


class Receipt(Base):
    __tablename__ = "receipts"
    __table_args__ = (
        UniqueConstraint("series", "number", name="uq_receipts_series_number"),
        # A request may have had several receipts (each cancelled when its money went back), one valid at most.
        Index("uq_receipts_valid_per_request", "payment_request_id", unique=True,
              postgresql_where=_VALID, sqlite_where=_VALID),
    )

    id: Mapped[PK]
    payment_request_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("payment_requests.id"), index=True)
    form_symbol: Mapped[str] = mapped_column(String(20))
    series: Mapped[str] = mapped_column(String(20))
    number: Mapped[int]
    amount_vnd: Mapped[int]
    issued_at: Mapped[datetime]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(String(20))  # payment_reversed | refunded
    cancelled_by: Mapped[str | None] = mapped_column(String(200))

    @property
    def number_text(self) -> str:
        return f"{self.number:07d}"

    @property
    def valid(self) -> bool:
        return self.cancelled_at is None

    @property
    def cancel_reason_text(self) -> str | None:
        return CANCEL_REASONS.get(self.cancel_reason) if self.cancel_reason else None


class ReceiptCounter(Base):
    """The last number issued in a series (a series is one year)."""

    __tablename__ = "receipt_counters"

    series: Mapped[str] = mapped_column(String(20), primary_key=True)
    last_number: Mapped[int]


def series_for(settings: Settings, at: datetime) -> str:
    """`BL-HCC-26` for receipts issued in 2026 (Hà Nội time)."""
    return f"{settings.receipt_series_prefix}{business_date(at).year % 100:02d}"


def _reserve(dialect):
    insert_ = dialect.insert(ReceiptCounter)
    return insert_.on_conflict_do_update(
        index_elements=["series"], set_={"last_number": ReceiptCounter.last_number + insert_.excluded.last_number},
    ).returning(ReceiptCounter.last_number)


_RESERVE = {"postgresql": _reserve(postgresql), "sqlite": _reserve(sqlite)}  # built once: runs with every receipt


def _reserve_numbers(conn: Connection, series: str, count: int) -> int:
    """Reserve `count` consecutive numbers of a series; returns the first.

    One statement: the first receipts of a series create its counter, later ones add to it under
    the row's lock, which this transaction holds until it commits or rolls back (so numbers of a
    rolled-back payment are never used, and never skipped).
    """
    last = conn.execute(_RESERVE[conn.dialect.name], {"series": series, "last_number": count}).scalar_one()
    return last - count + 1


def issue_receipts(conn: Connection, requests: list[tuple[int, int]], *, settings: Settings,
                   now: datetime, checked: bool = False) -> None:
    """Issue a receipt for each (request id, amount) that has no valid one yet, numbered in request order.
    `checked`: the caller already knows none of them has one (it read that under the row lock)."""
    if not requests:
        return
    have = set()
    ids = sorted({request_id for request_id, _ in requests})
    for start in range(0, 0 if checked else len(ids), 1000):
        have |= set(conn.execute(select(Receipt.payment_request_id).where(
            Receipt.payment_request_id.in_(ids[start:start + 1000]), Receipt.cancelled_at.is_(None))).scalars())
    due = sorted({request_id: amount for request_id, amount in requests if request_id not in have}.items())
    if not due:
        return
    series = series_for(settings, now)
    first = _reserve_numbers(conn, series, len(due))
    insert_rows(conn, Receipt.__table__, [
        {"payment_request_id": request_id, "form_symbol": settings.receipt_form_symbol, "series": series,
         "number": first + offset, "amount_vnd": amount, "issued_at": now}
        for offset, (request_id, amount) in enumerate(due)])


def cancel_receipts(conn: Connection, reasons: dict[int, str], *, actor: str, now: datetime) -> None:
    """Cancel the valid receipt (if any) of each request id, for its reason (PAYMENT_REVERSED, REFUNDED)."""
    by_reason: dict[str, list[int]] = {}
    for request_id, reason in sorted(reasons.items()):
        by_reason.setdefault(reason, []).append(request_id)
    for reason, ids in by_reason.items():
        for start in range(0, len(ids), 1000):  # bounded IN lists (SQLite's variable limit)
            conn.execute(update(Receipt).where(Receipt.payment_request_id.in_(ids[start:start + 1000]),
                                               Receipt.cancelled_at.is_(None))
                         .values(cancelled_at=now, cancel_reason=reason, cancelled_by=actor))


def verification_code(settings: Settings, receipt: Receipt) -> str:
    """A short keyed hash printed in the verify link, so receipts cannot be enumerated."""
    text = f"{receipt.series}|{receipt.number}|{receipt.amount_vnd}|{receipt.payment_request_id}"
    return hmac.new(settings.secret("HCCPAY_SECRET_KEY").encode(), text.encode(), hashlib.sha256).hexdigest()[:16]


def verify_url(settings: Settings, receipt: Receipt) -> str:
    return (f"{settings.public_url}/api/v1/receipts/{receipt.series}/{receipt.number_text}"
            f"?code={verification_code(settings, receipt)}")


def receipt_for_request(session: Session, request: PaymentRequest) -> Receipt:
    """The request's valid receipt, else its latest cancelled one (still retrievable, marked cancelled)."""
    receipt = session.execute(select(Receipt).where(Receipt.payment_request_id == request.id)
                              .order_by(Receipt.cancelled_at.is_not(None), Receipt.id.desc()).limit(1)
                              ).scalar_one_or_none()
    if receipt is None:
        raise NotFound("no receipt yet: a receipt is issued when the request is fully paid", code="receipt_not_issued")
    return receipt


def neighbours(session: Session, receipt: Receipt) -> tuple[Receipt | None, Receipt | None]:
    """The receipt of the same request issued just before this one (which this one replaces: it was
    cancelled when its money went back) and just after it (which replaced it once the request was paid
    again). A request holds one valid receipt at a time, so each neighbour is the other's pair."""
    same_request = select(Receipt).where(Receipt.payment_request_id == receipt.payment_request_id)
    before = session.execute(same_request.where(Receipt.id < receipt.id).order_by(Receipt.id.desc()).limit(1)
                             ).scalar_one_or_none()
    after = session.execute(same_request.where(Receipt.id > receipt.id).order_by(Receipt.id).limit(1)
                            ).scalar_one_or_none()
    return before, after


def receipt_channels(session: Session, receipt: Receipt) -> list[str]:
    """How the money this receipt acknowledges was paid: the channels of the request's allocations
    that were in place when it was issued (not those of a later payment, after a void, say)."""
    return sorted(set(session.execute(
        select(Payment.channel).join(PaymentAllocation, PaymentAllocation.payment_id == Payment.id)
        .where(PaymentAllocation.payment_request_id == receipt.payment_request_id,
               PaymentAllocation.created_at <= receipt.issued_at,
               (PaymentAllocation.released_at.is_(None)) | (PaymentAllocation.released_at > receipt.issued_at))
    ).scalars()))


def find_receipt(session: Session, *, series: str, number: str, code: str, settings: Settings
                 ) -> tuple[Receipt, PaymentRequest, Dossier]:
    """A receipt by series and number, only with its verification code (no enumeration)."""
    receipt = None
    if is_ascii_digits(number) and len(number) <= 7:
        receipt = session.execute(select(Receipt).where(Receipt.series == series, Receipt.number == int(number))
                                  ).scalar_one_or_none()
    if receipt is None or not same_secret(verification_code(settings, receipt), code or ""):
        raise NotFound("no such receipt", code="receipt_not_found")
    request = session.get(PaymentRequest, receipt.payment_request_id)
    return receipt, request, request.dossier
