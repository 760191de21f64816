"""E-receipts (biên lai điện tử) for fully paid requests (Decree 123/2020/NĐ-CP Art. 32).

A receipt has a form symbol, a series symbol ending in the year's last two digits, and a
7-digit number that restarts at 0000001 every 1 January (Hà Nội time) per series. Numbers
are drawn from a counter row in the same transaction that issues the receipt, so a rolled
back payment consumes no number: no gaps, no duplicates, whatever the concurrency.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import Connection, ForeignKey, String, UniqueConstraint, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from config import Settings
from kernel.bulk import insert_rows
from kernel.clock import business_date
from kernel.db import PK, Base, BigIntPK
from kernel.errors import NotFound
from kernel.text import is_ascii_digits
from payments.models import Dossier, PaymentRequest


class Receipt(Base):
    __tablename__ = "receipts"
    __table_args__ = (UniqueConstraint("series", "number", name="uq_receipts_series_number"),)

    id: Mapped[PK]
    payment_request_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("payment_requests.id"), unique=True)
    form_symbol: Mapped[str] = mapped_column(String(20))
    series: Mapped[str] = mapped_column(String(20))
    number: Mapped[int]
    amount_vnd: Mapped[int]
    issued_at: Mapped[datetime]

    @property
    def number_text(self) -> str:
        return f"{self.number:07d}"


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
    """Issue a receipt for each (request id, amount) that has none yet, numbered in request order.
    `checked`: the caller already knows none of them has one (it read that under the row lock)."""
    if not requests:
        return
    have = set()
    ids = sorted({request_id for request_id, _ in requests})
    for start in range(0, 0 if checked else len(ids), 1000):
        have |= set(conn.execute(select(Receipt.payment_request_id).where(
            Receipt.payment_request_id.in_(ids[start:start + 1000]))).scalars())
    due = sorted({request_id: amount for request_id, amount in requests if request_id not in have}.items())
    if not due:
        return
    series = series_for(settings, now)
    first = _reserve_numbers(conn, series, len(due))
    insert_rows(conn, Receipt.__table__, [
        {"payment_request_id": request_id, "form_symbol": settings.receipt_form_symbol, "series": series,
         "number": first + offset, "amount_vnd": amount, "issued_at": now}
        for offset, (request_id, amount) in enumerate(due)])


def verification_code(settings: Settings, receipt: Receipt) -> str:
    """A short keyed hash printed in the verify link, so receipts cannot be enumerated."""
    text = f"{receipt.series}|{receipt.number}|{receipt.amount_vnd}|{receipt.payment_request_id}"
    return hmac.new(settings.secret("HCCPAY_SECRET_KEY").encode(), text.encode(), hashlib.sha256).hexdigest()[:16]


def verify_url(settings: Settings, receipt: Receipt) -> str:
    return (f"{settings.public_url}/api/v1/receipts/{receipt.series}/{receipt.number_text}"
            f"?code={verification_code(settings, receipt)}")


def receipt_for_request(session: Session, request: PaymentRequest) -> Receipt:
    receipt = session.execute(select(Receipt).where(Receipt.payment_request_id == request.id)).scalar_one_or_none()
    if receipt is None:
        raise NotFound("no receipt yet: a receipt is issued when the request is fully paid", code="receipt_not_issued")
    return receipt


def find_receipt(session: Session, *, series: str, number: str, code: str, settings: Settings
                 ) -> tuple[Receipt, PaymentRequest, Dossier]:
    """A receipt by series and number, only with its verification code (no enumeration)."""
    receipt = None
    if is_ascii_digits(number) and len(number) <= 7:
        receipt = session.execute(select(Receipt).where(Receipt.series == series, Receipt.number == int(number))
                                  ).scalar_one_or_none()
    if receipt is None or not hmac.compare_digest(verification_code(settings, receipt), code or ""):
        raise NotFound("no such receipt", code="receipt_not_found")
    request = session.get(PaymentRequest, receipt.payment_request_id)
    return receipt, request, request.dossier
