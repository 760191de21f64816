"""The outbox: written with the business change, delivered after commit, retried, never lost."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from kernel.db import unit_of_work
from kernel.jobs import PeriodicJob, run_due
from kernel.notify import SmsGatewayClient, queue_sms, sms_topic
from kernel.outbox import (DONE, FAILED, PENDING, OutboxAttempt, OutboxMessage, OutboxWorker,
                           PermanentError, Topic, enqueue, replay)
from sandbox.server import serve_in_thread
from sandbox.sms import create_sms_gateway
from tests.conftest import T0


class Clock:
    def __init__(self, at):
        self.at = at

    def __call__(self):
        return self.at

    def advance(self, delta):
        self.at += delta


def messages(db):
    with db() as s:
        return s.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()


def test_nothing_is_queued_when_the_transaction_rolls_back(db):
    with pytest.raises(RuntimeError):
        with unit_of_work(db) as s:
            enqueue(s, topic="sms", key="k1", payload={"to": "0912345678", "text": "x"}, now=T0)
            raise RuntimeError("business rule failed after the enqueue")
    assert messages(db) == []


def test_the_same_key_is_queued_once(db):
    with unit_of_work(db) as s:
        first = enqueue(s, topic="sms", key="k1", payload={"n": 1}, now=T0)
        second = enqueue(s, topic="sms", key="k1", payload={"n": 2}, now=T0)
        assert first.id == second.id
    assert len(messages(db)) == 1


def _worker(db, clock, **topics):
    return OutboxWorker(sessions=db, topics=topics, clock=clock)


def test_a_successful_send_marks_done_logs_the_attempt_and_runs_on_success_atomically(db):
    seen = []

    def on_success(session, delivery, result, now):
        seen.append((delivery.payload["n"], result["ref"], now))

    topic = Topic("t", send=lambda d: {"ref": f"R{d.payload['n']}"}, on_success=on_success)
    with unit_of_work(db) as s:
        enqueue(s, topic="t", key="a", payload={"n": 7}, now=T0)
    assert _worker(db, Clock(T0), t=topic).drain() == 1
    [m] = messages(db)
    assert m.status == DONE and m.attempts == 1 and m.done_at == T0
    assert seen == [(7, "R7", T0)]
    with db() as s:
        [attempt] = s.execute(select(OutboxAttempt)).scalars().all()
    assert attempt.ok and attempt.attempt == 1


def test_failures_back_off_on_the_schedule_then_raise_an_alert(db):
    calls = []

    def send(delivery):
        calls.append(delivery.attempt)
        raise ConnectionError("receiver down")

    schedule = (timedelta(minutes=1), timedelta(minutes=5))
    topic = Topic("t", send=send, schedule=schedule)
    with unit_of_work(db) as s:
        enqueue(s, topic="t", key="a", payload={}, now=T0)
    clock = Clock(T0)
    worker = _worker(db, clock, t=topic)
    worker.run_once()
    [m] = messages(db)
    assert m.status == PENDING and m.next_attempt_at == T0 + timedelta(minutes=1)
    assert "receiver down" in m.last_error
    worker.run_once()  # not due yet
    assert calls == [1]
    clock.advance(timedelta(minutes=1))
    worker.run_once()
    assert messages(db)[0].next_attempt_at == clock.at + timedelta(minutes=5)
    clock.advance(timedelta(minutes=5))
    worker.run_once()
    assert calls == [1, 2, 3]
    assert messages(db)[0].status == FAILED


def test_a_permanent_refusal_fails_at_once_and_a_replay_sends_again(db):
    outcome = {"refuse": True}

    def send(delivery):
        if outcome["refuse"]:
            raise PermanentError("invalid phone number")
        return {"ok": True}

    topic = Topic("t", send=send)
    with unit_of_work(db) as s:
        enqueue(s, topic="t", key="a", payload={}, now=T0)
    worker = _worker(db, Clock(T0), t=topic)
    worker.drain()
    assert messages(db)[0].status == FAILED
    outcome["refuse"] = False
    with unit_of_work(db) as s:
        replay(s, message_id=messages(db)[0].id, now=T0)
    worker.drain()
    assert messages(db)[0].status == DONE


def test_concurrent_workers_never_send_a_message_twice(db):
    sent = []
    lock = threading.Lock()

    def send(delivery):
        with lock:
            sent.append(delivery.id)

    topic = Topic("t", send=send)
    with unit_of_work(db) as s:
        for i in range(60):
            enqueue(s, topic="t", key=f"m{i}", payload={}, now=T0)
    workers = [_worker(db, Clock(T0), t=topic) for _ in range(4)]
    threads = [threading.Thread(target=w.drain) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(sent) == sorted(set(sent)) and len(sent) == 60
    assert {m.status for m in messages(db)} == {DONE}


def test_sms_are_retried_while_the_gateway_is_down_and_delivered_once_when_it_returns(db):
    gateway = serve_in_thread(create_sms_gateway("key"))
    try:
        import requests

        requests.post(f"{gateway.url}/_control", json={"mode": "down"}, timeout=5)
        with unit_of_work(db) as s:
            queue_sms(s, phone="0912345678", text="Hồ sơ của bạn đã được thanh toán.", key="pay:1", now=T0)
            queue_sms(s, phone="0912345678", text="Hồ sơ của bạn đã được thanh toán.", key="pay:1", now=T0)
        clock = Clock(T0)
        worker = _worker(db, clock, sms=sms_topic(SmsGatewayClient(gateway.url, "key")))
        worker.drain()
        assert messages(db)[0].status == PENDING and messages(db)[0].attempts == 1
        requests.post(f"{gateway.url}/_control", json={"mode": "ok"}, timeout=5)
        clock.advance(timedelta(minutes=1))
        worker.drain()
        assert messages(db)[0].status == DONE
        received = requests.get(f"{gateway.url}/sms", timeout=5).json()["messages"]
        assert [m["text"] for m in received] == ["Hồ sơ của bạn đã được thanh toán."]
    finally:
        gateway.stop()


def test_a_periodic_job_runs_once_per_interval_across_nodes(db):
    runs = []
    job = PeriodicJob("count", timedelta(minutes=1), lambda s, now: runs.append(now))
    assert run_due(db, [job], T0) == ["count"]
    assert run_due(db, [job], T0 + timedelta(seconds=30)) == []  # another node, same minute
    assert run_due(db, [job], T0 + timedelta(minutes=1)) == ["count"]
    assert len(runs) == 2
