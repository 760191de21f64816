"""The background worker: applies queued inbound work (verified callbacks), drains the outbox
and runs periodic jobs until told to stop.

`hccpay worker` runs it as a process (any number per node on PostgreSQL); `hccpay serve`
runs one in a thread for the single-file SQLite set-up.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import DBAPIError

from kernel.db import unavailable_reason
from kernel.jobs import PeriodicJob, run_due
from kernel.outbox import OutboxWorker

log = logging.getLogger("hccpay.worker")


@dataclass(frozen=True)
class InboundQueue:
    """Inbound work (verified callbacks): `take()` applies one batch of at most `batch` items and
    returns how many it took. A batch that was not full emptied the queue."""

    take: Callable[[], int]
    batch: int


@dataclass(frozen=True)
class Drained:
    """What `Worker.drain` did: callbacks applied, outbox messages handled."""

    callbacks: int
    messages: int


@dataclass
class Worker:
    outbox: OutboxWorker
    jobs: list[PeriodicJob]
    clock: Callable[[], datetime]
    inbound: list[InboundQueue] = field(default_factory=list)
    poll_seconds: float = 1.0  # the outbound loop's beat when idle, and the periodic jobs' beat
    # The inbound loop's beat: how long a verified callback may wait for a worker, and (under
    # load) how long a batch gathers; a query on a partial index when idle.
    inbound_poll_seconds: float = 0.25
    stop_event: threading.Event = field(default_factory=threading.Event)
    crashed: Exception | None = None

    def drain(self) -> Drained:
        """Everything due now, then return (`hccpay worker --once`): the queued callbacks a batch after
        another until none is left, the due periodic jobs, then the outbox until nothing is due (what the
        callbacks and the jobs queued too)."""
        callbacks, full = self._take_inbound()
        while full:
            taken, full = self._take_inbound()
            callbacks += taken
        self._jobs_round()
        return Drained(callbacks, self.outbox.drain())

    def _inbound_round(self) -> int:
        """One batch of each inbound queue; 0 when none was full (the queues are empty): the loop then
        waits its beat while the next batch gathers. Under load that makes fewer, fuller batches (far
        cheaper per callback) for at most a beat of delay."""
        taken, full = self._take_inbound()
        return taken if full else 0

    def _take_inbound(self) -> tuple[int, bool]:
        """(items taken, whether any queue gave a full batch: more may be waiting)."""
        taken, full = 0, False
        for queue in self.inbound:
            count = queue.take()
            taken += count
            full = full or count >= queue.batch
        return taken, full

    def _outbound_round(self) -> int:
        return self.outbox.run_once(self.stop_event)

    def _jobs_round(self) -> int:
        """Run the due periodic jobs; 0: the loop keeps its beat (a job is due a minute apart at most)."""
        run_due(self.outbox.sessions, self.jobs, self.clock())
        return 0

    def run_forever(self) -> None:
        """Inbound work and the periodic jobs have a loop (thread) each: a payment is never kept waiting
        behind an SMS gateway or a courier that is slow to answer, nor is the expiry or the postal
        dispatch (a batch of sends to a gateway that hangs holds the outbound loop for minutes)."""
        log.info("worker started", extra={"topics": sorted(self.outbox.topics), "jobs": [j.name for j in self.jobs]})
        loops = [threading.Thread(target=self._loop, args=(round_, beat), name=name, daemon=True)
                 for name, round_, beat in (("hccpay-inbound", self._inbound_round, self.inbound_poll_seconds),
                                            ("hccpay-jobs", self._jobs_round, self.poll_seconds))]
        for loop in loops:
            loop.start()
        self._loop(self._outbound_round, self.poll_seconds)
        for loop in loops:
            loop.join()
        if self.crashed is not None:
            raise self.crashed  # a bug, not the weather: exit non-zero so the supervisor restarts us
        log.info("worker stopped")

    def _loop(self, round_: Callable[[], int], beat: float) -> None:
        while not self.stop_event.is_set():
            try:
                handled = round_()
            except DBAPIError as exc:
                # The database is away, read-only or full (restart, failover): wait and retry, never die.
                if unavailable_reason(exc) is None:
                    self._crash(exc)
                    return
                log.warning("worker: database unavailable", extra={"error": type(exc).__name__})
                handled = 0
            except Exception as exc:
                self._crash(exc)
                return
            if handled == 0:
                self.stop_event.wait(beat)

    def _crash(self, exc: Exception) -> None:
        """Any loop failing stops them all, so a half-working worker never goes unnoticed."""
        log.error("worker crashed", exc_info=exc)
        self.crashed = self.crashed or exc
        self.stop_event.set()

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, name="hccpay-worker", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.stop_event.set()
