"""Round 18, the worker: a message whose sending ends its worker every time (a crash, an out-of-memory kill)
recorded no outcome, so the schedule's limit never applied and it was claimed again at every lease for ever,
killing a worker each time. Claims without an outcome are now counted; past the limit the message is `stuck`:
claimed no more, its failure handler not run (a card refund may have been made), listed for admins, replayable."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from kernel.db import unit_of_work
from kernel.outbox import LEASE, PENDING, STUCK, DONE, OutboxMessage, OutboxWorker, Topic, enqueue, replay
from tests.conftest import T0


class Killed(BaseException):
    """What a worker killed mid-send looks like to the outbox: no outcome recorded, the process gone."""


class Clock:
    def __init__(self, at):
        self.at = at

    def __call__(self):
        return self.at


def message(db, key="k"):
    with db() as s:
        return s.execute(select(OutboxMessage).where(OutboxMessage.key == key)).scalar_one()


def _queue(db, key="k"):
    with unit_of_work(db) as s:
        enqueue(s, topic="t", key=key, payload={"n": 1}, now=T0)


def _killing_topic(sent, failed):
    def send(delivery):
        sent.append(delivery.key)
        if delivery.key.startswith("k"):
            raise Killed()
        return {"ok": True}
    return Topic("t", send=send, on_failure=lambda s, d, error, now: failed.append(d.key))


def test_a_message_that_kills_its_worker_each_time_is_stuck_after_the_claims_allowed_never_failed(db):
    sent, failed, clock = [], [], Clock(T0)
    _queue(db)
    worker = OutboxWorker(sessions=db, topics={"t": _killing_topic(sent, failed)}, clock=clock, max_claims=3)
    for _ in range(3):
        with pytest.raises(Killed):
            worker.run_once()
        clock.at += LEASE  # the lease of the dead worker runs out: a restarted one claims it again
    assert len(sent) == 3
    assert worker.run_once() == 0  # the fourth claim sets it aside instead of sending it
    stuck = message(db)
    assert (stuck.status, stuck.claims, stuck.locked_until) == (STUCK, 3, None)
    assert stuck.last_error.startswith("stuck: claimed 3 times without an outcome recorded")
    assert failed == [] and worker.stats["stuck"] == 1
    clock.at += timedelta(days=1)
    assert worker.run_once() == 0 and len(sent) == 3  # claimed no more


def test_the_next_message_is_sent_in_the_same_round_a_stuck_one_is_set_aside(db):
    sent, failed, clock = [], [], Clock(T0)
    _queue(db, "k")
    _queue(db, "ok")
    with unit_of_work(db) as s:  # as after three claims that all ended the worker
        s.execute(OutboxMessage.__table__.update().where(OutboxMessage.key == "k").values(claims=3, attempts=3))
    worker = OutboxWorker(sessions=db, topics={"t": _killing_topic(sent, failed)}, clock=clock, max_claims=3)
    assert worker.run_once() == 1
    assert sent == ["ok"] and message(db, "ok").status == DONE and message(db, "k").status == STUCK


def test_a_recorded_outcome_resets_the_claims(db):
    calls, clock = [], Clock(T0)

    def send(delivery):
        calls.append(1)
        if len(calls) <= 2:
            raise Killed()
        raise RuntimeError("the receiver is down")  # recorded: a retry on the schedule

    _queue(db)
    worker = OutboxWorker(sessions=db, topics={"t": Topic("t", send=send)}, clock=clock, max_claims=3)
    for _ in range(2):
        with pytest.raises(Killed):
            worker.run_once()
        clock.at += LEASE
    worker.run_once()
    recorded = message(db)
    assert (recorded.status, recorded.claims, recorded.attempts) == (PENDING, 0, 3)


def test_a_stuck_message_is_replayed_from_a_clean_count(db):
    sent, failed, clock = [], [], Clock(T0)
    _queue(db)
    with unit_of_work(db) as s:
        s.execute(OutboxMessage.__table__.update().values(claims=3, attempts=3))
    worker = OutboxWorker(sessions=db, topics={"t": _killing_topic(sent, failed)}, clock=clock, max_claims=3)
    worker.run_once()
    with unit_of_work(db) as s:
        replayed = replay(s, message_id=message(db).id, now=clock())
        assert (replayed.status, replayed.claims, replayed.attempts) == (PENDING, 0, 0)
    with pytest.raises(Killed):
        worker.run_once()
    assert sent == ["k"]


def test_stuck_messages_are_listed_for_admins_and_counted_in_the_metrics(client, auth, db):
    _queue(db)
    with unit_of_work(db) as s:
        s.execute(OutboxMessage.__table__.update().values(status=STUCK, claims=3, last_error="stuck: claimed 3"))
    listed = client.get("/api/v1/admin/outbox?status=stuck", headers=auth("auditor"))
    assert listed.status_code == 200 and [m["key"] for m in listed.json["messages"]] == ["k"]
    assert listed.json["messages"][0]["claims"] == 3
    assert 'hccpay_outbox_messages{status="stuck",topic="t"} 1.0' in client.get("/metrics").get_data(as_text=True)
    r = client.post(f"/api/v1/admin/outbox/{message(db).id}/replay", headers=auth("admin"))
    assert r.status_code == 200 and r.json["status"] == PENDING and r.json["claims"] == 0


def test_workers_claiming_at_once_set_a_message_stuck_once_and_share_the_rest(db):
    import threading

    sent, failed, clock = [], [], Clock(T0)
    _queue(db, "k")
    for n in range(6):
        _queue(db, f"ok{n}")
    with unit_of_work(db) as s:
        s.execute(OutboxMessage.__table__.update().where(OutboxMessage.key == "k").values(claims=3, attempts=3))
    workers = [OutboxWorker(sessions=db, topics={"t": _killing_topic(sent, failed)}, clock=clock, max_claims=3)
               for _ in range(3)]
    barrier = threading.Barrier(len(workers))

    def run(worker):
        barrier.wait()
        worker.drain()

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(sent) == [f"ok{n}" for n in range(6)]  # each sent once, the stuck one never
    assert sum(w.stats["stuck"] for w in workers) == 1 and message(db, "k").status == STUCK
