"""Multi-node operation, QA round 11: the periodic jobs (expiry, the postal dispatch, tracking polls,
the sweep) keep their beat while an outbound send hangs (an SMS gateway that does not answer holds
the outbox loop for minutes: 20 messages of 40 s each)."""
import threading
from datetime import datetime, timedelta, timezone

from kernel.jobs import PeriodicJob
from kernel.worker import Worker


class HangingOutbox:
    """An outbox whose send hangs until released."""

    topics: dict = {}

    def __init__(self, sessions):
        self.sessions = sessions
        self.release = threading.Event()

    def run_once(self) -> int:
        self.release.wait(10)
        return 0


def test_periodic_jobs_run_while_an_outbound_send_hangs(db):
    outbox = HangingOutbox(db)
    ran = threading.Event()
    job = PeriodicJob("payments.expire_requests", timedelta(minutes=1), lambda session, now: ran.set())
    worker = Worker(outbox=outbox, jobs=[job], clock=lambda: datetime.now(timezone.utc),
                    poll_seconds=0.01, inbound_poll_seconds=0.01)
    thread = worker.start_thread()
    try:
        assert ran.wait(5), "the periodic jobs waited for the hanging send"
    finally:
        worker.stop()
        outbox.release.set()
        thread.join(5)
    assert not thread.is_alive() and worker.crashed is None
