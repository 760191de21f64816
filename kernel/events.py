"""Outbound events to subscribed systems (the one-stop system, the portal).

`publish` fans an event out to every active subscription whose patterns match, as outbox
rows written in the caller's transaction, so a rolled-back change announces nothing. The
worker POSTs each one signed like our inbound callbacks (`X-HCC-Signature: t=,v1=`) and
retries on the WEBHOOK_SCHEDULE (about three days); every attempt is logged, a delivery
that exhausts it raises the subscription's alert, and an admin can replay it. A delivery whose type
the subscription no longer asks for when it is due (its event_types changed) is not sent: it is
`done`, no alert, with the reason in its attempt log.

Switching a subscription off holds its pending deliveries: they stay pending, use up no attempt
and raise no alert (the receiver did nothing wrong; someone chose to stop sending). Switching it
on again releases them to the worker at once (`_release_held`), in the same transaction.

A subscription's signing secret is derived from HCCPAY_SECRET_KEY and the subscription's
secret version, so nothing secret is stored; rotating bumps the version and, for a grace
period, both the new and the previous secret sign every delivery. Rotating HCCPAY_SECRET_KEY
itself changes every subscription's secret, so while several values of it are configured a
delivery is signed with the secrets derived from each: subscribers keep verifying with the
secret they hold until they have taken the new one.
"""
from __future__ import annotations

import fnmatch
import hashlib
import hmac
import json
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import requests
from sqlalchemy import JSON, Connection, String, event, inspect, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from kernel.db import PK, Base
from kernel.destinations import InternalDestination, Network, public_only_session, refusal
from kernel.outbound import DEADLINE_SECONDS, AnswerRefused, exchange, outbound_session, redirect_reason
from kernel.outbox import PENDING, Delivery, Held, OutboxMessage, Outgoing, PermanentError, Topic, enqueue_many
from kernel.signing import HEADER, sign

WEBHOOK_TOPIC = "webhook"
WEBHOOK_SCHEDULE = (timedelta(minutes=1), timedelta(minutes=5), timedelta(hours=1), timedelta(days=1),
                    timedelta(days=2))
ROTATION_GRACE = timedelta(days=3)
# How long a held delivery waits before it is looked at again. Reactivation releases it at once; this
# only bounds the wait should the flag be switched on by some other means than the ORM.
HOLD_RECHECK = timedelta(days=1)
# Every event type published (README, "After the money lands"). The kernel imports no domain
# package, so the lists are written here; tests keep them equal to payments.notifications'
# announcements and postal.states.ANNOUNCED (no `scheduled`: planning is not announced). A
# subscription's patterns must each match one.
EVENT_TYPES = tuple(f"payment_request.{kind}" for kind in (
    "paid", "partially_paid", "overpaid", "refunded", "refund_failed", "expired", "status_changed")) + tuple(
    f"shipment.{status}" for status in (
        "requested", "booked", "picked_up", "out_for_delivery", "delivered", "failed_attempt",
        "returned_to_agency", "cancelled"))


class Subscription(Base):
    __tablename__ = "event_subscriptions"

    id: Mapped[PK]
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500))
    event_types: Mapped[list[str]] = mapped_column(JSON)  # patterns such as "payment_request.*"
    active: Mapped[bool] = mapped_column(default=True)
    secret_version: Mapped[int] = mapped_column(default=1)
    previous_version: Mapped[int | None]
    rotated_at: Mapped[datetime | None]
    alert: Mapped[bool] = mapped_column(default=False)  # a delivery gave up: someone must look
    created_at: Mapped[datetime]


@event.listens_for(Subscription, "after_update")
def _release_held(mapper, connection: Connection, subscription: Subscription) -> None:
    """A subscription switched on again gets its held (and waiting) deliveries sent now, whoever
    switched it on (the admin API today): due from their creation, which is never in the future."""
    history = inspect(subscription).attrs.active.history
    if subscription.active and history.deleted and history.deleted[0] is False:
        connection.execute(
            update(OutboxMessage).where(
                OutboxMessage.topic == WEBHOOK_TOPIC, OutboxMessage.status == PENDING,
                OutboxMessage.key.startswith(f"webhook:{subscription.id}:", autoescape=True),
                OutboxMessage.locked_until.is_(None))
            .values(next_attempt_at=OutboxMessage.created_at))


def secret_for(secret_key: str, subscription_id: int, version: int) -> str:
    return hmac.new(secret_key.encode(), f"hccpay-subscription:{subscription_id}:{version}".encode(),
                    hashlib.sha256).hexdigest()


def signing_secrets(secret_keys: Sequence[str], subscription: Subscription | dict, now: datetime) -> list[str]:
    """The secrets that sign a delivery now: the current version, plus the previous during the grace
    period, each derived from every configured value of HCCPAY_SECRET_KEY (the first value's first)."""
    get = subscription.get if isinstance(subscription, dict) else lambda k: getattr(subscription, k)
    versions = [get("secret_version")]
    rotated_at = get("rotated_at")
    if get("previous_version") and rotated_at is not None and now - rotated_at < ROTATION_GRACE:
        versions.append(get("previous_version"))
    return list(dict.fromkeys(secret_for(key, get("id"), version) for version in versions for key in secret_keys))


def matches(patterns: list[str], event_type: str) -> bool:
    return any(fnmatch.fnmatchcase(event_type, pattern) for pattern in patterns)


def unknown_patterns(patterns: list[str]) -> list[str]:
    """The patterns that match no event type we publish (a typo would otherwise never deliver)."""
    return [p for p in patterns if not any(fnmatch.fnmatchcase(t, p) for t in EVENT_TYPES)]


_ACTIVE_SUBSCRIPTIONS = select(Subscription.id, Subscription.event_types).where(Subscription.active.is_(True))


def publish(conn: Connection, events: list[tuple[str, dict[str, Any]]], *, now: datetime) -> None:
    """Announce events `(type, data)` to every matching active subscription, in this transaction."""
    if not events:
        return
    subscriptions = conn.execute(_ACTIVE_SUBSCRIPTIONS).all()
    messages = []
    for event_type, data in events:
        wanted_by = [subscription_id for subscription_id, patterns in subscriptions if matches(patterns, event_type)]
        if not wanted_by:
            continue
        event = {"id": str(uuid.uuid4()), "type": event_type, "created_at": now.isoformat(), "data": data}
        for subscription_id in wanted_by:
            messages.append(Outgoing(WEBHOOK_TOPIC, f"webhook:{subscription_id}:{event['id']}",
                                     {"subscription_id": subscription_id, "event": event}))
    enqueue_many(conn, messages, now=now)


class SubscriberUnavailable(Exception):
    pass


def webhook_topic(sessions, secret_keys: Sequence[str], *, clock, timeout: tuple[float, float] = (3.05, 10.0),
                  deadline: float = DEADLINE_SECONDS, public_only: bool = True, private_networks: Sequence[Network] = ()) -> Topic:
    """Deliver events: one signed POST per attempt; 2xx is delivered, anything else is retried.
    `secret_keys` are all values of HCCPAY_SECRET_KEY (`settings.secret_values`), the current first.
    `public_only` (outside demo mode): nothing is sent to a URL that is not https or whose host resolves, now,
    to an internal address other than in `private_networks` (kernel.destinations); such a delivery fails for
    good, raising the subscription's alert."""
    if isinstance(secret_keys, str):  # a bare key would be taken as one key per character
        raise TypeError("secret_keys: every value of HCCPAY_SECRET_KEY, not one string")
    http = public_only_session(private_networks) if public_only else outbound_session()
    http.headers.update({"User-Agent": "hccpay-events/1", "Content-Type": "application/json"})

    def send(delivery: Delivery) -> dict[str, Any]:
        with sessions() as session:
            subscription = session.get(Subscription, delivery.payload["subscription_id"])
        if subscription is None:
            raise PermanentError("the subscription was removed")
        if not subscription.active:
            raise Held("the subscription is deactivated; it is sent once it is active again", HOLD_RECHECK)
        event_type = delivery.payload["event"]["type"]
        if not matches(subscription.event_types, event_type):
            # Its event_types changed since this was queued: the subscriber no longer asks for it. Done, not
            # failed: nothing went wrong that someone must look at; the attempt log says why nothing was sent.
            return {"skipped": f"not sent: the subscription no longer asks for {event_type}"}
        refused = refusal(subscription.url, private_networks) if public_only else None
        if refused:
            raise PermanentError(f"not sent: {refused[0]}: {refused[1]}")
        body = json.dumps(delivery.payload["event"], ensure_ascii=False, separators=(",", ":")).encode()
        now = clock()
        headers = {HEADER: sign(signing_secrets(secret_keys, subscription, now), body, int(now.timestamp())),
                   "X-HCC-Event-Id": delivery.payload["event"]["id"], "Idempotency-Key": delivery.idempotency_key}
        try:
            # Not followed (see kernel.outbound): the POST would arrive as a GET elsewhere, and its 200 count.
            # The status line is the answer, its body never read: it could go on for ever (a URL on a live
            # feed), and the exchange's deadline bounds a subscriber dripping even its status line.
            response = exchange(http, "POST", subscription.url, data=body, headers=headers, timeout=timeout,
                                deadline=deadline, read=False)
        except InternalDestination as exc:
            raise PermanentError(f"not sent: internal_url: {exc}") from exc
        except AnswerRefused as exc:
            raise SubscriberUnavailable(f"subscriber answered too slowly: {exc}") from exc
        except requests.RequestException as exc:
            raise SubscriberUnavailable(f"subscriber unreachable: {type(exc).__name__}") from exc
        if 300 <= response.status_code < 400:
            raise SubscriberUnavailable(f"subscriber answered {redirect_reason(response)}")
        if not 200 <= response.status_code < 300:
            raise SubscriberUnavailable(f"subscriber answered {response.status_code}")
        return {"status": response.status_code}

    def on_failure(session: Session, delivery: Delivery, error: str, now: datetime) -> None:
        # Only an active subscription's: an inactive one was switched off on purpose (its alert cleared
        # then), and a delivery that was under way meanwhile must not raise it again.
        session.execute(update(Subscription).where(Subscription.id == delivery.payload["subscription_id"],
                                                   Subscription.active.is_(True)).values(alert=True))

    return Topic(WEBHOOK_TOPIC, send=send, on_failure=on_failure, schedule=WEBHOOK_SCHEDULE)
