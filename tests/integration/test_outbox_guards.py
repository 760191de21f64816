"""The outbox when the domain has moved on: a handler that refuses, a replay that must not send again."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from kernel.db import unit_of_work
from kernel.errors import Conflict
from kernel.outbox import (DONE, FAILED, OutboxAttempt, OutboxMessage, OutboxWorker, PermanentError, Topic,
                           enqueue)
from kernel.worker import Worker
from tests.conftest import T0


class Clock:
    def __init__(self, at):
        self.at = at

    def __call__(self):
        return self.at


def messages(db):
    with db() as s:
        return s.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()


def _refusing(calls: list, *, send_fails: bool = False) -> Topic:
    """A topic whose outcome handler writes a row and then refuses, as a settled refund would."""
    def send(delivery):
        calls.append(delivery.attempt)
        if send_fails:
            raise PermanentError("refused by the receiver")
        return {"ref": "R1"}

    def handler(session, delivery, outcome, now):
        enqueue(session, topic="other", key="written-by-the-handler", payload={}, now=now)
        raise Conflict("a failed refund cannot be executed", code="refund_not_executable")

    return Topic("t", send=send, on_success=None if send_fails else handler, on_failure=handler if send_fails else None)


def test_a_handler_that_refuses_marks_the_message_failed_with_its_reason_and_undoes_its_writes(db):
    calls = []
    with unit_of_work(db) as s:
        enqueue(s, topic="t", key="a", payload={}, now=T0)
    clock = Clock(T0)
    worker = OutboxWorker(sessions=db, topics={"t": _refusing(calls)}, clock=clock)
    assert worker.drain() == 1  # no exception escapes
    [m] = messages(db)  # the handler's own enqueue was rolled back with it
    assert m.status == FAILED and m.done_at is None
    assert m.last_error == "on_success refused: refund_not_executable: a failed refund cannot be executed"
    with db() as s:
        [attempt] = s.execute(select(OutboxAttempt)).scalars().all()
    assert attempt.ok and "refund_not_executable" in attempt.detail
    clock.at = T0 + timedelta(hours=1)  # long after the lease: it is not claimed and sent again
    assert worker.drain() == 0 and calls == [1]


def test_an_on_failure_handler_that_refuses_leaves_the_message_failed_with_its_reason(db):
    with unit_of_work(db) as s:
        enqueue(s, topic="t", key="a", payload={}, now=T0)
    OutboxWorker(sessions=db, topics={"t": _refusing([], send_fails=True)}, clock=Clock(T0)).drain()
    [m] = messages(db)
    assert m.status == FAILED and m.last_error.startswith("on_failure refused: refund_not_executable")


def test_a_refusing_handler_does_not_stop_a_running_worker(db):
    calls = []
    with unit_of_work(db) as s:
        enqueue(s, topic="t", key="a", payload={}, now=T0)
    run_worker_until(db, _refusing(calls), lambda: calls)
    assert messages(db)[0].status == FAILED and calls == [1]


def run_worker_until(db, topic: Topic, done) -> None:
    """Run a worker with `topic` in its own thread until `done()`, then check it is still running."""
    outbox = OutboxWorker(sessions=db, topics={"t": topic}, clock=Clock(T0))
    worker = Worker(outbox=outbox, jobs=[], clock=Clock(T0), poll_seconds=0.01, inbound_poll_seconds=0.01)
    thread = threading.Thread(target=worker.run_forever, daemon=True)
    thread.start()
    try:
        for _ in range(300):
            if done():
                break
            threading.Event().wait(0.01)
        threading.Event().wait(0.1)
        assert thread.is_alive() and worker.crashed is None
    finally:
        worker.stop()
        thread.join(timeout=5)


def test_a_handler_that_succeeds_still_commits_with_the_message(db):
    seen = []
    topic = Topic("t", send=lambda d: {"ref": "R1"}, on_success=lambda s, d, r, now: seen.append(r["ref"]))
    with unit_of_work(db) as s:
        enqueue(s, topic="t", key="a", payload={}, now=T0)
    OutboxWorker(sessions=db, topics={"t": topic}, clock=Clock(T0)).drain()
    assert messages(db)[0].status == DONE and seen == ["R1"]


def _crashing(calls: list, error: Exception) -> Topic:
    """A topic whose outcome handler writes a row and then fails unexpectedly (a bug, a unique column)."""
    def handler(session, delivery, outcome, now):
        enqueue(session, topic="other", key="written-by-the-handler", payload={}, now=now)
        raise error

    return Topic("t", send=lambda d: calls.append(d.attempt) or {"ref": "R1"}, on_success=handler)


def test_a_handler_that_crashes_fails_its_message_alone_and_the_worker_goes_on(db, caplog):
    """One poisoned message must not stop the worker (SMS, bookings, events of everyone else; a
    supervisor's restart would claim it again and crash again): it is failed, for people, its
    writes undone, and the error logged with its traceback."""
    calls = []
    with unit_of_work(db) as s:
        enqueue(s, topic="t", key="a", payload={}, now=T0)
        enqueue(s, topic="t", key="b", payload={}, now=T0)
    run_worker_until(db, _crashing(calls, RuntimeError("boom")), lambda: len(calls) == 2)
    assert [(m.key, m.status) for m in messages(db)] == [("a", FAILED), ("b", FAILED)]  # nothing the handler wrote
    assert messages(db)[0].last_error == "on_success crashed: RuntimeError: boom"
    assert any(r.exc_info and r.getMessage() == "outbox message's outcome could not be recorded"
               for r in caplog.records)


def test_a_database_that_goes_away_in_a_handler_is_not_taken_for_a_poisoned_message(db):
    """An OperationalError (the database away, a deadlock) is the weather: the round fails and the
    message is claimed again after its lease, not failed for good."""
    from sqlalchemy.exc import OperationalError

    with unit_of_work(db) as s:
        enqueue(s, topic="t", key="a", payload={}, now=T0)
    outbox = OutboxWorker(sessions=db, topics={"t": _crashing([], OperationalError("SELECT 1", {}, Exception("gone")))},
                          clock=Clock(T0))
    with pytest.raises(OperationalError):  # not swallowed
        outbox.drain()
    [m] = messages(db)
    assert m.status != FAILED


def test_a_schema_behind_the_code_in_a_handler_is_not_taken_for_a_poisoned_message(db):
    """A handler reading a table `hccpay db upgrade` has not made yet (a node started before it ran)
    meets the weather the worker waits out (`unavailable_reason`: migrations pending), on PostgreSQL
    a ProgrammingError as on SQLite an OperationalError: the round fails and the message comes back
    after its lease, it is not failed for good."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    def handler(session, delivery, outcome, now):
        session.execute(text("SELECT id FROM table_of_a_later_migration"))

    with unit_of_work(db) as s:
        enqueue(s, topic="t", key="a", payload={}, now=T0)
    outbox = OutboxWorker(sessions=db, topics={"t": Topic("t", send=lambda d: {"ref": "R1"}, on_success=handler)},
                          clock=Clock(T0))
    with pytest.raises(DBAPIError):  # the missing table is not taken for a poisoned message
        outbox.drain()
    [m] = messages(db)
    assert m.status != FAILED
