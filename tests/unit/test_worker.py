"""The worker's two loops: inbound work (callbacks) never waits behind a slow outbound send, and
a bug in either loop stops the whole worker loudly instead of leaving half of it running."""
import threading
from datetime import datetime, timezone

import pytest

from kernel.worker import InboundQueue, Worker


class SlowOutbox:
    """An outbox whose send hangs until released (an SMS gateway that does not answer)."""

    sessions = None
    topics: dict = {}

    def __init__(self):
        self.release = threading.Event()

    def run_once(self, stop=None) -> int:
        self.release.wait(10)
        return 0


def test_callbacks_are_applied_while_an_outbound_send_hangs():
    outbox = SlowOutbox()
    applied = threading.Event()
    rounds = {"n": 0}

    def inbound_step() -> int:
        rounds["n"] += 1
        if rounds["n"] == 3:
            applied.set()
        return 0

    worker = Worker(outbox=outbox, jobs=[], clock=lambda: datetime.now(timezone.utc), inbound=[InboundQueue(inbound_step, batch=500)],
                    poll_seconds=0.01, inbound_poll_seconds=0.01)
    run_while_the_send_hangs(worker, outbox, applied, "the inbound loop waited for the outbound one")


def run_while_the_send_hangs(worker: Worker, outbox: SlowOutbox, happened: threading.Event, why: str) -> None:
    """Run `worker` in its thread until `happened` (else fail with `why`), then stop it: it ends cleanly."""
    thread = worker.start_thread()
    try:
        assert happened.wait(5), why
    finally:
        worker.stop()
        outbox.release.set()
        thread.join(5)
    assert not thread.is_alive() and worker.crashed is None


def test_a_bug_in_the_inbound_loop_stops_the_worker_and_is_raised():
    outbox = SlowOutbox()
    outbox.release.set()

    def broken() -> int:
        raise RuntimeError("bug")

    worker = Worker(outbox=outbox, jobs=[], clock=lambda: datetime.now(timezone.utc), inbound=[InboundQueue(broken, batch=500)],
                    poll_seconds=0.01, inbound_poll_seconds=0.01)
    with pytest.raises(RuntimeError, match="bug"):
        worker.run_forever()
    assert worker.stop_event.is_set()
