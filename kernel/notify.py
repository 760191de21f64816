"""Citizen SMS: queued in the outbox inside the business transaction, sent by the worker
through an HTTP SMS gateway.

The gateway contract (the sandbox implements it; a real provider gets an adapter with the
same shape): `POST {base}/sms` with `Authorization: Bearer <key>`, JSON `{"to", "text",
"idempotency_key"}` → 2xx `{"message_id"}`. A 4xx other than 408/429 means the message can
never be sent (bad number): permanent failure, visible to operators. Everything else is
retried: a few quick tries here, then the outbox's backoff schedule.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from kernel.outbound import BearerClient, Unavailable, quick_retries
from kernel.outbox import Delivery, Outgoing, Topic, enqueue_many

SMS_TOPIC = "sms"
# How every SMS to a citizen starts, whichever module sends it: one name for the centre.
SENDER = "TT Phục vụ HCC"
SMS_SCHEDULE = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(hours=1),
                timedelta(hours=3), timedelta(hours=6), timedelta(hours=12))
SMS_MAX = 201  # three UCS-2 segments: the longest a text to a citizen may be (Vietnamese is UCS-2)


def fit(*texts: str) -> str:
    """The first of `texts` within three segments (SMS_MAX); else the last, the compact form, which its tests
    hold within them in the worst case (postal: the longest dossier code, tracking number and amounts)."""
    return next((text for text in texts if len(text) <= SMS_MAX), texts[-1])


def sms(phone: str, text: str, key: str) -> Outgoing:
    """An SMS for `enqueue_many`; `key` makes it idempotent."""
    return Outgoing(SMS_TOPIC, f"sms:{key}", {"to": phone, "text": text})


def queue_sms(session: Session, *, phone: str, text: str, key: str, now: datetime) -> None:
    """Send `text` to `phone` once this transaction commits. `key` makes it idempotent."""
    session.flush()
    enqueue_many(session.connection(), [sms(phone, text, key)], now=now)


class GatewayUnavailable(Unavailable):
    """The gateway did not answer or answered 5xx/408/429: worth retrying."""


class SmsGatewayClient(BearerClient):
    """HTTP client of the SMS gateway: a session, timeouts, quick retries, typed errors."""

    name, unavailable = "SMS gateway", GatewayUnavailable

    @quick_retries
    def send(self, *, to: str, text: str, idempotency_key: str) -> dict[str, Any]:
        response = self.request("POST", "/sms", json={"to": to, "text": text, "idempotency_key": idempotency_key})
        return {"message_id": self.json_object(response).get("message_id")}


def sms_topic(client: SmsGatewayClient) -> Topic:
    def send(delivery: Delivery) -> dict[str, Any]:
        return client.send(to=delivery.payload["to"], text=delivery.payload["text"],
                           idempotency_key=delivery.idempotency_key)

    return Topic(name=SMS_TOPIC, send=send, schedule=SMS_SCHEDULE)
