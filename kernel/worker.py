"""The background worker: drains the outbox and runs periodic jobs until told to stop.

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


@dataclass
class Worker:
    outbox: OutboxWorker
    jobs: list[PeriodicJob]
    clock: Callable[[], datetime]
    poll_seconds: float = 1.0
    stop_event: threading.Event = field(default_factory=threading.Event)

    def tick(self) -> int:
        """One round: due outbox messages, then due periodic jobs."""
        handled = self.outbox.run_once()
        run_due(self.outbox.sessions, self.jobs, self.clock())
        return handled

    def run_forever(self) -> None:
        log.info("worker started", extra={"topics": sorted(self.outbox.topics), "jobs": [j.name for j in self.jobs]})
        while not self.stop_event.is_set():
            try:
                handled = self.tick()
            except DBAPIError as exc:
                # The database is away, read-only or full (restart, failover): wait and retry, never die.
                if unavailable_reason(exc) is None:
                    raise
                log.warning("worker: database unavailable", extra={"error": type(exc).__name__})
                handled = 0
            if handled == 0:
                self.stop_event.wait(self.poll_seconds)
        log.info("worker stopped")

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run_forever, name="hccpay-worker", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.stop_event.set()
