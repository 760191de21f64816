"""Round 18, periodic jobs and backoff, probed: a job that raises leaves the others running and is logged with its
run; two workers reaching the same job run it once per period; the outbox's delays stay within their schedule."""
import logging
import threading
from datetime import timedelta

from sqlalchemy import select

from kernel.jobs import JobRun, PeriodicJob, run_due
from kernel.outbound import DEADLINE_SECONDS
from kernel.outbox import DEFAULT_SCHEDULE, LEASE, Topic, _next_delay
from tests.conftest import T0


def test_a_job_that_raises_leaves_the_others_running_and_says_so_in_its_row_and_the_log(db, caplog):
    ran = []

    def broken(session, now):
        raise ValueError("the expiry query failed")

    jobs = [PeriodicJob("a.broken", timedelta(minutes=1), broken),
            PeriodicJob("b.fine", timedelta(minutes=1), lambda s, now: ran.append(now) or "ok")]
    with caplog.at_level(logging.ERROR, logger="hccpay.jobs"):
        assert run_due(db, jobs, T0) == ["b.fine"]
    assert ran == [T0]
    record = next(r for r in caplog.records if r.getMessage() == "periodic job failed")
    assert (record.job, record.run) == ("a.broken", T0.isoformat())
    with db() as s:
        results = dict(s.execute(select(JobRun.name, JobRun.last_result)).all())
    assert results["a.broken"] == "failed: ValueError: the expiry query failed"
    assert results["b.fine"] == "ok"


def test_two_workers_reaching_the_same_job_at_once_run_it_once_per_period(db):
    runs, lock = [], threading.Lock()

    def job(session, now):
        with lock:
            runs.append(now)

    jobs = [PeriodicJob("k.once", timedelta(minutes=5), job)]
    for period in range(3):
        now = T0 + timedelta(minutes=5 * period)
        barrier = threading.Barrier(4)

        def worker(offset):
            barrier.wait()
            run_due(db, jobs, now + timedelta(seconds=offset))  # clocks a little apart

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len(runs) == 3


def test_the_outbox_delays_stay_within_the_schedule():
    topic = Topic("t", send=lambda d: None)
    assert [_next_delay(topic, n) for n in range(1, 7)] == [*DEFAULT_SCHEDULE, None]
    forever = Topic("t", send=lambda d: None, keep_trying=True)
    assert _next_delay(forever, 10_000) == DEFAULT_SCHEDULE[-1]


def test_one_send_with_its_quick_retries_ends_inside_its_lease():
    # three tries of one total deadline each, and the waits between them (at most 2 s each)
    assert 3 * DEADLINE_SECONDS + 2 * 2 < LEASE.total_seconds()
