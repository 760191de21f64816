"""The callback inbox: every inbound callback is stored raw, in its own committed transaction,
before anything interprets it. Rejected ones stay with their reason; processing outcomes are
written back on the same row. So a 2xx is never given for something not durably recorded,
and nothing a bank or courier sent is ever lost, even when our code fails on it.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Request
from sqlalchemy import Index, LargeBinary, String, Text, bindparam, func, insert, update
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from kernel.db import PK, Base, insert_returning_id, unit_of_work

RECEIVED, APPLIED, DUPLICATE, CONFLICT, IGNORED, REJECTED = (
    "received", "applied", "duplicate", "conflict", "ignored", "rejected")
MAX_STORED_BODY = 1024 * 1024
_REDACTED_HEADERS = {"authorization", "cookie", "x-api-key"}


class InboundCallback(Base):
    __tablename__ = "callback_inbox"
    __table_args__ = (Index("ix_callback_inbox_provider_external_id", "provider", "external_id"),)

    id: Mapped[PK]
    provider: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(index=True)
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    query: Mapped[str] = mapped_column(Text)
    headers: Mapped[dict[str, Any]]
    body: Mapped[bytes] = mapped_column(LargeBinary)
    source_ip: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12), index=True)
    reason: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(100))  # the provider's transaction/event id
    processed_at: Mapped[datetime | None]


def _headers(request: Request) -> dict[str, str]:
    # Secrets in headers (API keys) are not kept at rest; signatures are (they prove nothing later).
    return {k: ("<redacted>" if k.lower() in _REDACTED_HEADERS else v) for k, v in request.headers.items()}


# Built once: they run for every callback.
_STORE = insert(InboundCallback).returning(InboundCallback.id)
_MARK = update(InboundCallback).where(InboundCallback.id == bindparam("inbox_id")).values(
    status=bindparam("new_status"), processed_at=bindparam("at"),
    reason=func.coalesce(bindparam("new_reason", type_=Text()), InboundCallback.reason),
    external_id=func.coalesce(bindparam("new_external_id", type_=String()), InboundCallback.external_id))


def store_raw(sessions: sessionmaker[Session], *, provider: str, request: Request, now: datetime) -> int:
    """Commit the raw callback and return its inbox id (before any verification)."""
    body = request.get_data(cache=True)
    return insert_returning_id(sessions.kw["bind"], _STORE, dict(
        provider=provider, received_at=now, method=request.method, path=request.path[:500],
        query=request.query_string.decode("latin-1")[:8000], headers=_headers(request),
        body=body[:MAX_STORED_BODY], source_ip=(request.remote_addr or "")[:64], status=RECEIVED,
        reason="body truncated: too large" if len(body) > MAX_STORED_BODY else None))


def mark(session: Session, inbox_id: int, *, status: str, now: datetime, reason: str | None = None,
         external_id: str | None = None) -> None:
    """Record what became of a callback (in the caller's transaction)."""
    session.connection().execute(_MARK, {"inbox_id": inbox_id, "new_status": status, "at": now,
                                         "new_reason": reason[:2000] if reason is not None else None,
                                         "new_external_id": external_id[:100] if external_id is not None else None})


def mark_alone(sessions: sessionmaker[Session], inbox_id: int, **kwargs) -> None:
    """`mark` in a transaction of its own (for rejections, where nothing else is written)."""
    with unit_of_work(sessions) as session:
        mark(session, inbox_id, **kwargs)
