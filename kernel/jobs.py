"""Periodic jobs that must run once per interval across the whole cluster, not once per node.

A job run is claimed by a conditional UPDATE on its row in `job_runs`: the node whose update
matches runs the job; the others see zero rows and skip. Works the same on both databases.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from kernel.db import Base, unit_of_work
from kernel.logs import without_row_values

log = logging.getLogger("hccpay.jobs")


class JobRun(Base):
    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    last_started_at: Mapped[datetime | None]
    last_result: Mapped[str | None] = mapped_column(String(500))


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    interval: timedelta
    run: Callable[[Session, datetime], Any]  # runs inside one transaction


def claim(sessions: sessionmaker[Session], job: PeriodicJob, now: datetime) -> bool:
    """True if this node won the right to run `job` now."""
    with unit_of_work(sessions) as session:
        if session.execute(select(JobRun.name).where(JobRun.name == job.name)).first() is None:
            try:
                with session.begin_nested():
                    session.add(JobRun(name=job.name, last_started_at=None))
            except IntegrityError:
                pass  # another node created it first
        won = session.execute(
            update(JobRun).where(JobRun.name == job.name,
                                 or_(JobRun.last_started_at.is_(None),
                                     JobRun.last_started_at <= now - job.interval))
            .values(last_started_at=now)
        ).rowcount
        return won == 1


def run_due(sessions: sessionmaker[Session], jobs: list[PeriodicJob], now: datetime) -> list[str]:
    """Run every job whose interval has passed; returns the names that ran."""
    ran = []
    for job in jobs:
        if not claim(sessions, job, now):
            continue
        try:
            with unit_of_work(sessions) as session:
                result = job.run(session, now)
        except Exception as exc:  # noqa: BLE001 - one failing job must not stop the others; it is logged
            # The run is the job and the instant it was claimed for (once per period across the cluster), so
            # the log line and the job's row name the same run; the row no longer shows the last success's result.
            log.exception("periodic job failed", extra={"job": job.name, "run": now.isoformat()})
            _record(sessions, job, f"failed: {type(exc).__name__}: {without_row_values(str(exc))}")
            continue
        _record(sessions, job, str(result))
        ran.append(job.name)
    return ran


def _record(sessions: sessionmaker[Session], job: PeriodicJob, result: str) -> None:
    with unit_of_work(sessions) as session:
        session.execute(update(JobRun).where(JobRun.name == job.name).values(last_result=result[:500]))
