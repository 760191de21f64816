"""Tables of the postal package: shipments, their event history, and delivery routes."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from kernel.db import PK, Base, BigIntPK

# Written out (not bound) so PostgreSQL can match a query to the partial index below.
EVENTS_TO_CHECK = "event IN ('cod_check', 'courier_conflict')"


class Shipment(Base):
    """One postal job: collect a dossier (pickup) or bring a result (delivery)."""

    __tablename__ = "shipments"
    __table_args__ = (
        Index("ix_shipments_status_planned_date", "status", "planned_date"),
        CheckConstraint("postage_vnd > 0", name="postage_positive"),
    )

    id: Mapped[PK]
    dossier_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("dossiers.id"), index=True)
    dossier_code: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20))
    recipient_name: Mapped[str] = mapped_column(String(200))
    recipient_phone: Mapped[str] = mapped_column(String(20))
    recipient_id_number: Mapped[str | None] = mapped_column(String(12))
    street: Mapped[str] = mapped_column(String(300))
    ward_code: Mapped[str] = mapped_column(String(5))
    ward_name: Mapped[str] = mapped_column(String(100))
    province_code: Mapped[int]
    province_name: Mapped[str] = mapped_column(String(100))
    address_data_version: Mapped[str] = mapped_column(String(60))
    window_date: Mapped[date | None]
    window_slot: Mapped[str | None] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)
    documents: Mapped[list[Any]]
    weight_grams: Mapped[int]
    zone: Mapped[str] = mapped_column(String(10))
    postage_vnd: Mapped[int]
    postage_payment_code: Mapped[str] = mapped_column(String(13))
    cod: Mapped[bool]
    j_date: Mapped[date]
    due_date: Mapped[date]
    tracking_number: Mapped[str | None] = mapped_column(String(40), unique=True)
    courier_order_id: Mapped[str | None] = mapped_column(String(64))
    planned_date: Mapped[date | None]
    route_code: Mapped[str | None] = mapped_column(String(20))
    slot: Mapped[str | None] = mapped_column(String(10))
    stop: Mapped[int | None]
    failed_attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_date: Mapped[date | None]
    id_check: Mapped[dict[str, Any] | None]
    # occurred_at of the event that set the current state: an older event never moves it back.
    state_at: Mapped[datetime]
    body_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime]

    @property
    def reference(self) -> str:
        """Our order reference at the courier (echoed back in its tracking events)."""
        return f"HCC-{self.id}"


class ShipmentEvent(Base):
    """Every event of a shipment, applied or not: staff actions, courier webhooks and polls."""

    __tablename__ = "shipment_events"
    __table_args__ = (
        UniqueConstraint("courier_event_id"),
        # The reports people must look at (postal.checks.events_to_check): rare rows among millions.
        Index("ix_shipment_events_to_check", "id", postgresql_where=text(EVENTS_TO_CHECK),
              sqlite_where=text(EVENTS_TO_CHECK)),
    )

    id: Mapped[PK]
    shipment_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("shipments.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(index=True)  # a day's handovers are found by it
    recorded_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(20))  # staff | courier_webhook | courier_poll | system
    event: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    applied: Mapped[bool]
    courier_event_id: Mapped[str | None] = mapped_column(String(100))
    courier_status_code: Mapped[int | None]
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any] | None]


class CheckResolution(Base):
    """A courier report listed for people (postal.checks) that a postal clerk marked as dealt with: who,
    when and why. One per report; the report leaves the board's list."""

    __tablename__ = "shipment_check_resolutions"

    id: Mapped[PK]
    event_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("shipment_events.id"), unique=True)
    resolved_at: Mapped[datetime]
    resolved_by: Mapped[str] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text)


class Route(Base):
    """A postman's round: an ordered set of wards and a capacity per time slot."""

    __tablename__ = "postal_routes"
    __table_args__ = (CheckConstraint("capacity_morning >= 0 AND capacity_afternoon >= 0",
                                      name="capacity_not_negative"),)

    id: Mapped[PK]
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    ward_codes: Mapped[list[Any]]
    capacity_morning: Mapped[int]
    capacity_afternoon: Mapped[int]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
