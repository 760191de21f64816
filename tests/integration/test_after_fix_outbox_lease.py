"""The outbox lease covers the send: a message is claimed when it is sent, not long before with a batch,
and a worker records an outcome only while the message is still leased to it (fake clock, no sleeps)."""
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from kernel.db import unit_of_work
from kernel.errors import Conflict
from kernel.outbox import (DONE, FAILED, LEASE, PENDING, OutboxAttempt, OutboxWorker, Topic,
                           enqueue, replay)
from tests.conftest import T0
from tests.integration.test_outbox_guards import Clock, messages




def attempts(db):
    with db() as s:
        return s.execute(select(OutboxAttempt).order_by(OutboxAttempt.id)).scalars().all()


def _enqueue(db, n):
    with unit_of_work(db) as s:
        for i in range(n):
            enqueue(s, topic="t", key=f"m{i}", payload={}, now=T0)


def test_a_slow_receiver_never_gets_the_tail_of_a_batch_twice_from_a_second_worker(db):
    clock, sent, other = Clock(T0), Counter(), {}

    def send(delivery):
        sent[delivery.key] += 1
        if "b" in other:
            return  # B's receiver answers at once
        clock.at += timedelta(seconds=30)  # A's SMS gateway hangs: 3 tries x 10 s read timeout each
        if delivery.key == "m5":  # meanwhile, 3 minutes in, worker B takes its round
            other["b"] = None
            other["b"] = OutboxWorker(sessions=db, topics={"t": topic}, clock=clock).run_once()

    topic = Topic("t", send=send)
    _enqueue(db, 20)
    OutboxWorker(sessions=db, topics={"t": topic}, clock=clock).run_once()
    assert other["b"] > 0  # B did work: the tail was not reserved for A
    assert {key for key, n in sent.items() if n > 1} == set()
    assert sorted(sent) == sorted(f"m{i}" for i in range(20))
    assert {m.status for m in messages(db)} == {DONE}
    assert len(attempts(db)) == 20


def test_an_outcome_that_comes_back_after_the_lease_was_taken_over_is_discarded(db):
    clock, calls = Clock(T0), []

    def send(delivery):
        calls.append(delivery.attempt)
        if len(calls) == 1:  # A's send hangs past its lease; B takes the message over and delivers it
            clock.at += LEASE + timedelta(seconds=1)
            assert OutboxWorker(sessions=db, topics={"t": topic}, clock=clock).run_once() == 1
            raise ConnectionError("A's receiver timed out")
        return {"ref": "B"}

    topic = Topic("t", send=send, schedule=(timedelta(minutes=1),))
    _enqueue(db, 1)
    OutboxWorker(sessions=db, topics={"t": topic}, clock=clock).run_once()
    [m] = messages(db)
    assert m.status == DONE and m.last_error is None and m.attempts == 2  # A's late failure changed nothing
    first, second = attempts(db)  # both sends are in the log, in the order they were recorded
    assert (second.attempt, second.ok) == (1, False) and "lease lost" in second.detail
    assert (first.attempt, first.ok) == (2, True)


def test_a_late_success_does_not_run_on_success_when_the_message_was_replayed_meanwhile(db):
    clock, handled = Clock(T0), []

    def send(delivery):
        clock.at += LEASE + timedelta(seconds=1)  # past the lease: an admin may replay it now
        with unit_of_work(db) as s:
            replay(s, message_id=delivery.id, now=clock())
        return {"ref": "late"}

    topic = Topic("t", send=send, on_success=lambda s, d, r, now: handled.append(r))
    _enqueue(db, 1)
    OutboxWorker(sessions=db, topics={"t": topic}, clock=clock).run_once()
    [m] = messages(db)
    assert handled == [] and m.status == PENDING and m.attempts == 0 and m.locked_until is None


def test_a_replay_of_a_message_being_sent_is_refused(db):
    clock, refusals = Clock(T0), []

    def send(delivery):
        clock.at += timedelta(seconds=30)  # still inside the lease
        with pytest.raises(Conflict) as caught, unit_of_work(db) as s:
            replay(s, message_id=delivery.id, now=clock())
        refusals.append(caught.value.code)
        return {"ref": "R"}

    _enqueue(db, 1)
    OutboxWorker(sessions=db, topics={"t": Topic("t", send=send)}, clock=clock).run_once()
    assert refusals == ["message_in_flight"]
    [m] = messages(db)
    assert m.status == DONE and m.attempts == 1


def test_a_failed_message_can_still_be_replayed(db):
    from kernel.outbox import PermanentError

    def send(delivery):
        raise PermanentError("bad number")

    _enqueue(db, 1)
    clock = Clock(T0)
    OutboxWorker(sessions=db, topics={"t": Topic("t", send=send)}, clock=clock).run_once()
    assert messages(db)[0].status == FAILED
    with unit_of_work(db) as s:
        replay(s, message_id=messages(db)[0].id, now=clock())
    assert messages(db)[0].status == PENDING
