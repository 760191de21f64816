"""Tables of the payments package: dossiers, fee items, payment requests and their events."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from config import ACCOUNT_NAME_MAX
from kernel.db import PK, Base, BigIntPK
from payments.states import outstanding_vnd

FEE_KINDS = ("charge", "fee", "postage")  # also the default crediting order (DESIGN §5)


class Dossier(Base):
    __tablename__ = "dossiers"

    id: Mapped[PK]
    code: Mapped[str] = mapped_column(String(64), unique=True)
    procedure_code: Mapped[str] = mapped_column(String(64))
    procedure_name: Mapped[str] = mapped_column(String(500))
    agency_code: Mapped[str] = mapped_column(String(64), index=True)
    applicant_name: Mapped[str] = mapped_column(String(200))
    applicant_phone: Mapped[str] = mapped_column(String(20))
    applicant_email: Mapped[str | None] = mapped_column(String(254))
    applicant_id_number: Mapped[str | None] = mapped_column(String(12))
    # SHA-256 of the canonical creation body: a repeated POST with the same body is a replay.
    body_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))

    fee_items: Mapped[list[FeeItem]] = relationship(
        back_populates="dossier", order_by="FeeItem.position")
    payment_requests: Mapped[list[PaymentRequest]] = relationship(
        back_populates="dossier", order_by="PaymentRequest.id")


class FeeItem(Base):
    __tablename__ = "fee_items"
    __table_args__ = (CheckConstraint("amount_vnd > 0", name="amount_positive"),)

    id: Mapped[PK]
    dossier_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("dossiers.id"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    amount_vnd: Mapped[int]
    created_at: Mapped[datetime]
    # Set when the item is no longer owed (the postage of a cancelled shipment): never asked for again.
    withdrawn_at: Mapped[datetime | None]

    dossier: Mapped[Dossier] = relationship(back_populates="fee_items")


class PaymentRequest(Base):
    """What a citizen is asked to pay; its code and VietQR payload never change."""

    __tablename__ = "payment_requests"
    __table_args__ = (
        Index("ix_payment_requests_status_expires_at", "status", "expires_at"),
        # 0: every fee item it asked for was withdrawn after it got money (payments.service.withdraw_fee_items)
        CheckConstraint("amount_vnd >= 0", name="amount_not_negative"),
        CheckConstraint("paid_vnd >= 0 AND refunded_vnd >= 0", name="money_not_negative"),
    )

    id: Mapped[PK]
    dossier_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("dossiers.id"), index=True)
    payment_code: Mapped[str] = mapped_column(String(13), unique=True)
    amount_vnd: Mapped[int]
    paid_vnd: Mapped[int] = mapped_column(default=0)
    refunded_vnd: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(20))
    # None: no deadline for now (its dossier's result is out for cash on delivery: postal.cod).
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # The collection account at creation time: later configuration changes must not
    # change where an already-printed QR sends money.
    bank_bin: Mapped[str] = mapped_column(String(6))
    account_number: Mapped[str] = mapped_column(String(19))
    account_name: Mapped[str] = mapped_column(String(ACCOUNT_NAME_MAX))
    vietqr_payload: Mapped[str] = mapped_column(Text)

    dossier: Mapped[Dossier] = relationship(back_populates="payment_requests", lazy="joined", innerjoin=True)
    items: Mapped[list[PaymentRequestItem]] = relationship(
        back_populates="payment_request", lazy="selectin", order_by="PaymentRequestItem.fee_item_id")

    @property
    def outstanding_vnd(self) -> int:
        """What is still owed (money refunded is owed again): payments.states.outstanding_vnd."""
        return outstanding_vnd(self.amount_vnd, self.paid_vnd, self.refunded_vnd)


class PaymentRequestItem(Base):
    """Which fee items (and how much of each) a payment request asks for."""

    __tablename__ = "payment_request_items"

    payment_request_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("payment_requests.id"), primary_key=True)
    fee_item_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("fee_items.id"), primary_key=True)
    amount_vnd: Mapped[int]

    payment_request: Mapped[PaymentRequest] = relationship(back_populates="items")
    fee_item: Mapped[FeeItem] = relationship(lazy="joined")


class PaymentRequestEvent(Base):
    """Every state transition of a payment request: who, what, when, why."""

    __tablename__ = "payment_request_events"

    id: Mapped[PK]
    payment_request_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("payment_requests.id"), index=True)
    at: Mapped[datetime]
    event: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None]


CHANNELS = ("vietqr_transfer", "pos_card", "internet_banking", "cash", "cod")  # cod: collected by the post


class Payment(Base):
    """Money that arrived through one channel, exactly once per (provider, provider_ref).

    Where it went is in its allocations; whatever is not allocated is in suspense.
    A payment is never deleted or edited: a void/reversal sets `reversed_at` and posts a
    reversing ledger entry.
    """

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("provider", "provider_ref", name="uq_payments_provider_ref"),
        CheckConstraint("amount_vnd > 0", name="amount_positive"),
        CheckConstraint("unallocated_vnd >= 0 AND unallocated_vnd <= amount_vnd", name="unallocated_in_range"),
    )

    id: Mapped[PK]
    provider: Mapped[str] = mapped_column(String(20))
    provider_ref: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(20))
    amount_vnd: Mapped[int]
    unallocated_vnd: Mapped[int]  # in suspense; 0 once fully allocated
    status: Mapped[str] = mapped_column(String(12))  # active | reversed
    booked_at: Mapped[datetime] = mapped_column(index=True)  # when the provider booked it
    recorded_at: Mapped[datetime]
    clearing_account: Mapped[str] = mapped_column(String(80), index=True)
    memo: Mapped[str | None] = mapped_column(Text)
    # As the first report wrote it (for a statement payment whose line named none, the late callback's that
    # claims it): shown, never looked up. A payment is looked up by `PaymentReference`.
    bank_reference: Mapped[str | None] = mapped_column(String(100))
    payer_name: Mapped[str | None] = mapped_column(String(200))
    payer_account: Mapped[str | None] = mapped_column(String(40))
    suspense_reason: Mapped[str | None] = mapped_column(String(40))
    details: Mapped[dict[str, Any] | None]
    inbox_id: Mapped[int | None] = mapped_column(BigIntPK)
    reversed_at: Mapped[datetime | None]
    reversal_ref: Mapped[str | None] = mapped_column(String(100))

    allocations: Mapped[list[PaymentAllocation]] = relationship(
        back_populates="payment", order_by="PaymentAllocation.id", lazy="selectin")


class PaymentReference(Base):
    """A bank reference a payment is known by (`references.normalise_ref` of it): its own report's, and
    that of every report of the same transfer linked to it since (a late callback claiming a statement
    payment, a statement line linked to a callback's, a later file's line that is a stored line without
    one). Two reports of one transfer may each name another reference (a CSV's "Số CT" 5000.11111, the
    API's FT330123456); a third report naming either is found.
    Never a filler ("0", N/A). Written by `payment_references.remember`; never updated or deleted."""

    __tablename__ = "payment_references"

    payment_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("payments.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True, index=True)
    source: Mapped[str] = mapped_column(String(20))  # provider of the report that named it (bank, sepay, statement)


class PaymentAllocation(Base):
    """Part (or all) of a payment credited to one payment request. Released, never deleted."""

    __tablename__ = "payment_allocations"
    __table_args__ = (CheckConstraint("amount_vnd > 0", name="amount_positive"),)

    id: Mapped[PK]
    payment_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("payments.id"), index=True)
    payment_request_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("payment_requests.id"), index=True)
    amount_vnd: Mapped[int]
    how: Mapped[str] = mapped_column(String(20))  # exact | corrected | explicit | manual
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    released_at: Mapped[datetime | None]
    released_by: Mapped[str | None] = mapped_column(String(200))

    payment: Mapped[Payment] = relationship(back_populates="allocations")
    payment_request: Mapped[PaymentRequest] = relationship(lazy="joined", innerjoin=True)


class PendingReversal(Base):
    """Every POS void/reversal received: one that came before its sale waits here and is applied when
    the sale lands (`applied_at` set then, or at once when the sale was known); a repeat of the same id
    is compared with it (another sale or amount is a conflict)."""

    __tablename__ = "pending_reversals"
    __table_args__ = (UniqueConstraint("provider", "provider_ref", name="uq_pending_reversals_provider_ref"),)

    id: Mapped[PK]
    provider: Mapped[str] = mapped_column(String(20))
    provider_ref: Mapped[str] = mapped_column(String(100))
    original_ref: Mapped[str] = mapped_column(String(100), index=True)
    amount_vnd: Mapped[int]
    received_at: Mapped[datetime]
    applied_at: Mapped[datetime | None]


class CashDrawer(Base):
    """One cashier's cash for one business day: the principal's (`cashier_key`, `kind:id`), whatever
    name they go by during the day; `cashier` is the actor string it was opened under, for reports."""

    __tablename__ = "cash_drawers"
    __table_args__ = (UniqueConstraint("cashier_key", "business_date", name="uq_cash_drawers_cashier_key_day"),)

    id: Mapped[PK]
    cashier_key: Mapped[str] = mapped_column(String(60))  # kernel.auth.principal_key
    cashier: Mapped[str] = mapped_column(String(200))
    business_date: Mapped[date]
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    counted_vnd: Mapped[int | None]


class VnpayCheckout(Base):
    """One internet-banking checkout sent to VNPay; the IPN confirms it at most once."""

    __tablename__ = "vnpay_checkouts"

    id: Mapped[PK]
    txn_ref: Mapped[str] = mapped_column(String(40), unique=True)
    payment_request_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("payment_requests.id"), index=True)
    amount_vnd: Mapped[int]
    status: Mapped[str] = mapped_column(String(12))  # pending | paid | failed
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    response_code: Mapped[str | None] = mapped_column(String(4))
