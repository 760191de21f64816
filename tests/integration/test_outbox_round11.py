"""Multi-node operation, QA round 11: the periodic jobs (expiry, the postal dispatch, tracking polls,
the sweep) keep their beat while an outbound send hangs (an SMS gateway that does not answer holds
the outbox loop for minutes: 20 messages of 40 s each), and a worker told to stop sends no other message."""
import threading
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from kernel.db import unit_of_work
from kernel.jobs import PeriodicJob
from kernel.outbox import DONE, PENDING, OutboxMessage, OutboxWorker, Topic, enqueue
from kernel.worker import Worker
from tests.unit.test_worker import SlowOutbox, run_while_the_send_hangs


def test_periodic_jobs_run_while_an_outbound_send_hangs(db):
    outbox = SlowOutbox()
    outbox.sessions = db
    ran = threading.Event()
    job = PeriodicJob("payments.expire_requests", timedelta(minutes=1), lambda session, now: ran.set())
    worker = Worker(outbox=outbox, jobs=[job], clock=lambda: datetime.now(timezone.utc),
                    poll_seconds=0.01, inbound_poll_seconds=0.01)
    run_while_the_send_hangs(worker, outbox, ran, "the periodic jobs waited for the hanging send")


def test_a_worker_told_to_stop_finishes_the_message_at_hand_and_claims_no_other(db):
    """SIGTERM (`hccpay worker`, systemd gives 60 s): the send under way ends and is recorded; the rest of
    the batch is left to the other workers at once, not sent one after another until systemd kills the
    process mid-send (that message would then wait out its lease and go out twice)."""
    now = datetime.now(timezone.utc)
    with unit_of_work(db) as s:
        for n in range(3):
            enqueue(s, topic="sms", key=f"stop-{n}", payload={"n": n}, now=now)
    sent = []

    def send(delivery):
        sent.append(delivery.payload["n"])
        worker.stop()  # the signal arrives while this message is being sent
        return {"ok": True}

    clock = lambda: datetime.now(timezone.utc)  # noqa: E731
    outbox = OutboxWorker(sessions=db, topics={"sms": Topic("sms", send=send)}, clock=clock)
    worker = Worker(outbox=outbox, jobs=[], clock=clock, poll_seconds=0.01, inbound_poll_seconds=0.01)
    thread = worker.start_thread()
    thread.join(10)
    assert not thread.is_alive() and worker.crashed is None
    with db() as s:
        rows = s.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()
    assert sent == [0]
    assert [(m.status, m.locked_until) for m in rows] == [(DONE, None), (PENDING, None), (PENDING, None)]


def test_worker_once_delivers_everything_that_is_due_not_one_batch(cli, db):
    """`hccpay worker --once`: "deliver what is due now, then exit" (README: drain the outbox), however many
    are due, not the first batch of 20. Deliveries to a subscription that is gone fail at once (no network)."""
    now = datetime.now(timezone.utc)
    with unit_of_work(db) as s:
        for n in range(25):
            enqueue(s, topic="webhook", key=f"webhook:999:{n}", now=now,
                    payload={"subscription_id": 999, "event": {"id": str(n), "type": "payment_request.paid"}})
    result = cli("worker", "--once")
    assert result.exit_code == 0, result.output
    with db() as s:
        statuses = s.execute(select(OutboxMessage.status)).scalars().all()
    assert statuses == ["failed"] * 25
