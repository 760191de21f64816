"""The transactional outbox: side effects (SMS, webhooks, courier bookings) are written as rows
in the same transaction as the change that causes them, and sent after commit by workers.

So a rolled-back transaction sends nothing, and a crash between commit and send delays a
message but never loses it. Delivery is at least once: every message carries a stable
`idempotency_key` for the receiver. Workers claim rows with `FOR UPDATE SKIP LOCKED`
(PostgreSQL; SQLite serialises anyway) and hold them under a lease, so any number of
worker processes on any number of nodes can drain the same table.

A worker claims one message right before sending it, so the lease covers that send only (a
batch claimed at once left the tail's leases to run out while the head was being sent to a
slow receiver, and a second worker sent the tail again). The lease's expiry instant is also
its token: a worker records an outcome only while the row still carries the token it was
given; once another worker or a replay took the message over, its late outcome is logged in
the attempt log and changes nothing else.

A message whose sending kills its worker (a crash, an out-of-memory kill) records no outcome, so its
schedule's limit never applies: it would be claimed again at every lease for ever, killing a worker
each time. Each claim is counted until an outcome is recorded; a message claimed `max_claims` times
without one is set `stuck` and claimed no more, for a person to look at and replay. It is not made
`failed`: a failure handler could then undo what the receiver did (a card refund the acquirer made).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, ForeignKey, Index, String, Text, func, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from kernel.bulk import insert_rows
from kernel.db import PK, Base, BigIntPK, unavailable_reason, unit_of_work
from kernel.errors import Conflict, DomainError, NotFound
from kernel.logs import without_row_values

log = logging.getLogger("hccpay.outbox")

PENDING, DONE, FAILED, STUCK = "pending", "done", "failed", "stuck"
STATUSES = (PENDING, DONE, FAILED, STUCK)
DEFAULT_SCHEDULE = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10),
                    timedelta(hours=1), timedelta(hours=6))
LEASE = timedelta(minutes=2)  # longer than one send with its timeouts and quick retries (SMS: ~31 s)
MAX_CLAIMS = 3  # claims in a row without an outcome recorded before a message is stuck (HCCPAY_OUTBOX_MAX_CLAIMS)


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[PK]
    topic: Mapped[str] = mapped_column(String(50), index=True)
    # Enqueuing the same key twice is a no-op: callers derive it from what the message is about.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(default=0)
    # Claims since an outcome was last recorded (or the message replayed): see `OutboxWorker.max_claims`.
    claims: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]

    @property
    def idempotency_key(self) -> str:
        return f"hccpay-{self.id}"


class OutboxAttempt(Base):
    """One delivery attempt: when, how it ended, how long it took."""

    __tablename__ = "outbox_attempts"

    id: Mapped[PK]
    message_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("outbox.id"), index=True)
    attempt: Mapped[int]
    at: Mapped[datetime]
    ok: Mapped[bool]
    detail: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int]


class PermanentError(Exception):
    """The receiver refused the message for good (e.g. an invalid phone number): do not retry."""


class Held(Exception):
    """The message may not go out now for a reason on our side, not the receiver's (its subscription
    is switched off): it stays pending, uses up no attempt, logs none (nothing was sent) and is
    looked at again after `retry_after`, unless something releases it sooner."""

    def __init__(self, reason: str, retry_after: timedelta):
        super().__init__(reason)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Delivery:
    """What a topic's sender gets: the message content and who it is."""

    id: int
    topic: str
    key: str
    payload: dict[str, Any]
    attempt: int
    idempotency_key: str
    # The lease's expiry as written at the claim: the worker's token, checked when it records.
    lease: datetime | None = None


@dataclass(frozen=True)
class Topic:
    """How to deliver one kind of message.

    `send` runs outside any transaction (it may do HTTP) and returns a result; `on_success`
    and `on_failure` run inside the transaction that records the outcome, so a domain row
    (e.g. a shipment's tracking number) changes atomically with the message's state.
    `schedule` gives the delays between attempts; after the last one the message is
    `failed` (an alert: visible, replayable), unless `keep_trying` repeats the last delay.
    """

    name: str
    send: Callable[[Delivery], dict[str, Any] | None]
    on_success: Callable[[Session, Delivery, dict[str, Any] | None, datetime], None] | None = None
    on_failure: Callable[[Session, Delivery, str, datetime], None] | None = None
    schedule: tuple[timedelta, ...] = DEFAULT_SCHEDULE
    keep_trying: bool = False


@dataclass(frozen=True)
class Outgoing:
    """A message to enqueue; `key` makes it idempotent (the same key twice is one message)."""

    topic: str
    key: str
    payload: dict[str, Any]
    delay: timedelta = timedelta(0)


def enqueue_many(conn: Connection, messages: list[Outgoing], *, now: datetime) -> None:
    """Add messages in the caller's transaction, in one statement; known keys are skipped."""
    if not messages:
        return
    insert_rows(conn, OutboxMessage.__table__, [
        {"topic": m.topic, "key": m.key, "payload": m.payload, "status": PENDING, "attempts": 0,
         # `now` itself when not delayed: insert_rows converts a run of one object once
         "next_attempt_at": now + m.delay if m.delay else now, "created_at": now} for m in messages],
        skip_conflicts_on=("key",))


def enqueue(session: Session, *, topic: str, key: str, payload: dict[str, Any], now: datetime,
            delay: timedelta = timedelta(0)) -> OutboxMessage:
    """Add one message in the caller's transaction; the same key again returns the first message."""
    session.flush()
    enqueue_many(session.connection(), [Outgoing(topic, key, payload, delay)], now=now)
    return session.execute(select(OutboxMessage).where(OutboxMessage.key == key)).scalar_one()


# Why a message of a topic may not be sent again (None: it may), given its payload. A message
# whose sending moves money (a card refund) may only be replayed while the domain object still
# waits for it: replaying one whose refund failed meanwhile would refund the card after all.
ReplayGuard = Callable[[Session, dict[str, Any]], str | None]
_REPLAY_GUARDS: dict[str, ReplayGuard] = {}


def guard_replays(topic: str, guard: ReplayGuard) -> None:
    """Register the check `replay` runs before sending a message of `topic` again."""
    _REPLAY_GUARDS[topic] = guard


def replay(session: Session, *, message_id: int, now: datetime) -> OutboxMessage:
    """Send a message again from now (after an alert, or to re-deliver a done one); 409
    `replay_not_allowed` when its topic's guard says the domain no longer wants it sent."""
    message = session.get(OutboxMessage, message_id, with_for_update=True)
    if message is None:
        raise NotFound(f"no outbox message {message_id}", code="outbox_message_not_found")
    if message.status == PENDING and message.locked_until is not None and message.locked_until > now:
        # A worker is sending it right now: resetting it would let a second worker send it in parallel.
        raise Conflict("the message is being sent right now; replay it once this attempt has ended",
                       code="message_in_flight", details={"topic": message.topic, "status": message.status,
                                                          "locked_until": message.locked_until.isoformat()})
    guard = _REPLAY_GUARDS.get(message.topic)
    refusal = guard(session, dict(message.payload)) if guard else None
    if refusal:
        raise Conflict(refusal, code="replay_not_allowed", details={"topic": message.topic,
                                                                    "status": message.status})
    message.status, message.next_attempt_at, message.locked_until = PENDING, now, None
    message.attempts, message.claims, message.done_at = 0, 0, None
    return message


@dataclass
class OutboxWorker:
    """Claims due messages, sends them outside any transaction, records the outcome."""

    sessions: sessionmaker[Session]
    topics: dict[str, Topic]
    clock: Callable[[], datetime]
    batch: int = 20
    max_claims: int = MAX_CLAIMS
    stats: dict[str, int] = field(default_factory=lambda: {"sent": 0, "retried": 0, "failed": 0,
                                                                  "lease_lost": 0, "held": 0, "stuck": 0})

    def run_once(self, stop: threading.Event | None = None) -> int:
        """Deliver what is due now, up to `batch` messages, each claimed just before it is sent;
        returns how many messages were handled. Once `stop` is set (the worker is shutting down) no
        other message is claimed: the one being sent is finished, the rest left to other workers."""
        handled = 0
        while handled < self.batch and not (stop is not None and stop.is_set()):
            delivery = self._claim(self.clock())
            if delivery is None:
                break
            self._deliver(delivery)
            handled += 1
        return handled

    def drain(self, max_rounds: int = 1000) -> int:
        """Run until nothing is due (tests, CLI)."""
        total = 0
        for _ in range(max_rounds):
            handled = self.run_once()
            total += handled
            if not handled:
                break
        return total

    def _claim(self, now: datetime) -> Delivery | None:
        """Lease the next due message to this worker (`SKIP LOCKED`: others take the next one)."""
        with unit_of_work(self.sessions) as session:
            while True:
                row = session.execute(
                    select(OutboxMessage)
                    .where(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now,
                           OutboxMessage.topic.in_(self.topics),
                           or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until <= now))
                    .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
                    .limit(1).with_for_update(skip_locked=True)
                ).scalar_one_or_none()
                if row is None:
                    return None
                if row.claims < self.max_claims:
                    break
                self._stick(session, row)  # and look for the next one (this one is no longer pending)
            # Claimable only once the previous lease has run out (<= now), so a new token is always
            # later than every token given before: two workers never hold the same one.
            row.locked_until = now + LEASE
            row.attempts += 1
            row.claims += 1
            return Delivery(id=row.id, topic=row.topic, key=row.key, payload=dict(row.payload),
                            attempt=row.attempts, idempotency_key=row.idempotency_key, lease=row.locked_until)

    def _stick(self, session: Session, row: OutboxMessage) -> None:
        """Claimed `max_claims` times and no outcome ever recorded: each of its sends ended its worker. Set
        aside as `stuck` (listed for admins, counted in /metrics) until replayed; neither failed (no failure
        handler runs: the receiver may have done it) nor sent again by itself."""
        row.status, row.locked_until = STUCK, None
        row.last_error = "; ".join(filter(None, [
            f"stuck: claimed {row.claims} times without an outcome recorded (its sending ended the worker each "
            "time); replay it once the cause is found", row.last_error]))[:2000]
        session.flush()
        self.stats["stuck"] += 1
        log.error("outbox message stuck: no outcome recorded after its claims", extra={
            "message_id": row.id, "topic": row.topic, "claims": row.claims})

    def _deliver(self, delivery: Delivery) -> None:
        topic = self.topics[delivery.topic]
        started = time.monotonic()
        result, error, permanent = None, None, False
        try:
            result = topic.send(delivery)
        except Held as exc:
            with unit_of_work(self.sessions) as session:
                self._hold(session, delivery, exc, self.clock())
            return
        except PermanentError as exc:
            error, permanent = f"permanent: {_described(exc)}", True
        except Exception as exc:  # noqa: BLE001 - any failure of a send is retried, and recorded
            error = f"{type(exc).__name__}: {_described(exc)}"
        duration_ms = int((time.monotonic() - started) * 1000)
        with unit_of_work(self.sessions) as session:
            self._record(session, topic, delivery, result, error, permanent, duration_ms, self.clock())

    def _record(self, session: Session, topic: Topic, delivery: Delivery, result, error: str | None,
                permanent: bool, duration_ms: int, now: datetime) -> None:
        message = session.get(OutboxMessage, delivery.id, with_for_update=True)
        attempt = OutboxAttempt(message_id=delivery.id, attempt=delivery.attempt, at=now, ok=error is None,
                                detail=(error or _summary(result))[:2000] if (error or result) else None,
                                duration_ms=duration_ms)
        session.add(attempt)
        if message.status != PENDING or message.locked_until != delivery.lease:
            # Another worker (our lease ran out) or a replay took the message over: its outcome is
            # theirs to record. Ours goes into the attempt log only, so the double send is visible.
            attempt.detail = "; ".join(filter(None, ["lease lost: outcome not recorded", attempt.detail]))[:2000]
            self.stats["lease_lost"] += 1
            log.warning("outbox outcome discarded: the lease was lost", extra={
                "message_id": delivery.id, "topic": delivery.topic, "attempt": delivery.attempt,
                "ok": error is None})
            return
        message.locked_until, message.claims = None, 0
        if error is None:
            message.status, message.done_at, message.last_error = DONE, now, None
            self.stats["sent"] += 1
            self._handle(session, message, attempt, "on_success", topic.on_success, delivery, result, now)
            return
        message.last_error = error[:2000]
        delay = _next_delay(topic, delivery.attempt)
        if permanent or delay is None:
            message.status = FAILED
            self.stats["failed"] += 1
            log.warning("outbox message failed", extra={"message_id": delivery.id, "topic": delivery.topic,
                                                         "attempts": delivery.attempt})
            self._handle(session, message, attempt, "on_failure", topic.on_failure, delivery, error, now)
        else:
            message.next_attempt_at = now + delay
            self.stats["retried"] += 1

    def _hold(self, session: Session, delivery: Delivery, held: Held, now: datetime) -> None:
        message = session.get(OutboxMessage, delivery.id, with_for_update=True)
        if message.status != PENDING or message.locked_until != delivery.lease:
            return  # taken over meanwhile: nothing of ours to undo
        message.locked_until, message.next_attempt_at = None, now + held.retry_after
        message.attempts -= 1  # the claim counted an attempt that was never made
        message.claims = 0
        message.last_error = f"held: {held}"[:2000]
        self.stats["held"] += 1

    def _handle(self, session: Session, message: OutboxMessage, attempt: OutboxAttempt, name: str,
                handler: Callable | None, delivery: Delivery, outcome: Any, now: datetime) -> None:
        """Run a topic's outcome handler in a savepoint. A handler that refuses (a domain error: the
        object it settles has moved on meanwhile) neither stops the worker nor brings the message back
        after its lease, to be sent again and refused again for ever: what it did is undone and the
        message is `failed` (an alert, replayable) with the reason, for a person to look at.

        A handler that fails unexpectedly (a bug, a unique column the far side's answer collides
        with) is treated alike, its traceback logged: a poisoned message must not stop the worker,
        whose restart would claim it again and stop again, holding up everyone else's messages
        (as the inbound loop sets one callback aside). What the worker waits out is the weather
        (`unavailable_reason`: the database away, read-only or full, a deadlock, a schema behind the
        code, which PostgreSQL reports as a ProgrammingError): it fails the round and the message
        comes back after its lease."""
        if handler is None:
            return
        try:
            with session.begin_nested():
                handler(session, delivery, outcome, now)
        except Exception as exc:  # noqa: BLE001 - see above: failed for people, never a stopped worker
            if unavailable_reason(exc) is not None:
                raise
            known = isinstance(exc, DomainError)
            reason = (f"{name} refused: {exc.code}: {_described(exc.message)}" if known
                      else f"{name} crashed: {type(exc).__name__}: {_described(exc)}")
            message.status, message.done_at, message.last_error = FAILED, None, reason[:2000]
            attempt.detail = "; ".join(filter(None, [attempt.detail, reason]))[:2000]
            self.stats["failed"] += 1
            log.error("outbox message's outcome could not be recorded", exc_info=None if known else exc, extra={
                "message_id": delivery.id, "topic": delivery.topic, "handler": name,
                "code": exc.code if known else type(exc).__name__})


def _described(exc: BaseException | str) -> str:
    """An error as the outbox records it (last_error, the attempt log, both shown to admins and auditors):
    without the DETAIL and CONTEXT lines in which PostgreSQL quotes a refused row's values (a name, a phone),
    as the logs keep them out (kernel.logs)."""
    return without_row_values(str(exc))


def _next_delay(topic: Topic, attempt: int) -> timedelta | None:
    """Delay before attempt `attempt + 1`, or None when the schedule is used up."""
    if attempt <= len(topic.schedule):
        return topic.schedule[attempt - 1]
    return topic.schedule[-1] if topic.keep_trying else None


def _summary(result: dict[str, Any] | None) -> str | None:
    return None if result is None else str(result)


def pending_count(session: Session) -> int:
    return session.execute(select(func.count()).select_from(OutboxMessage)
                           .where(OutboxMessage.status == PENDING)).scalar_one()

