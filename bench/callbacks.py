"""Callback throughput: signed /callbacks/bank credits against gunicorn (2 workers, deployed settings) on PostgreSQL.

Usage: .venv/bin/python bench/callbacks.py [--seconds 15] [--rounds 3] [--clients 16] [--workers 1] [--bare] [--db URL]

Prints the bare /healthz rate of the same server (the ceiling), then callbacks/s answered (each
stored and verified) with p50/p99 latency and the ratio callbacks/healthz. `hccpay worker`
processes apply the queued callbacks meanwhile, on the same machine; the bench then waits until
all are applied and prints the applied rate, the ledger check and whether every answered
callback made exactly one payment. The load comes from a separate process; every callback
credits its own open payment request.
"""
from __future__ import annotations

import argparse
import json
import os
import threading

from served import (DEFAULT_DB, fresh_database, free_port, healthz_job, measure, open_requests, percentile,
                    analyze, start_bare_flask, start_gunicorn, start_workers, stop, wait_applied)


def callback_job(codes: list[str], first: int, count: int):
    """Signed callbacks for codes[first:first + count], built before the clock starts: the load
    generator shares the machine, so it should spend no more per request than for /healthz."""
    from config import load_settings
    from kernel.clock import now_utc
    from sandbox.bank import callback_request

    settings = load_settings({"HCCPAY_DEMO": "1"})
    at = now_utc()  # the signatures stay inside the 300 s window for any sensible run

    def step(index: int, code: str):
        path, headers, body = callback_request("bank", settings=settings, payment_code=code, amount_vnd=50_000,
                                               txn_id=f"BENCH{index:09d}", at=at)
        return [("POST /callbacks/bank", "POST", path, headers, body, lambda s, b: s == 200,
                 lambda _body, ref=f"BENCH{index:09d}": ref)]

    steps = iter([step(i, code) for i, code in enumerate(codes[first:first + count], first)])
    lock = threading.Lock()

    def job():
        with lock:
            return next(steps)

    return job


def drain_here(url: str) -> float:
    """Apply every queued callback from this process (as one worker would), in seconds."""
    import time

    from config import load_settings
    from kernel.db import make_engine, make_session_factory
    from payments.inbox_apply import drain

    engine = make_engine(url)
    started = time.perf_counter()
    drain(make_session_factory(engine), load_settings({"HCCPAY_DEMO": "1", "DATABASE_URL": url}))
    engine.dispose()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15, help="of /healthz, and of callbacks, in all rounds")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=40_000, help="open payment requests to credit")
    parser.add_argument("--workers", type=int, default=1,
                        help="`hccpay worker` processes applying callbacks during the run; with 0 (worker nodes "
                             "elsewhere) the bench applies them itself after the run")
    parser.add_argument("--db", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--bare", action="store_true",
                        help="also measure a bare Flask app (bench/bare_app.py), the issue's machine reference")
    args = parser.parse_args()

    if args.bare:
        port = free_port()
        bare = start_bare_flask(port)
        try:
            measure(port, healthz_job, 2, args.clients)  # warm-up
            samples, _, _, elapsed = measure(port, healthz_job, args.seconds, args.clients)
        finally:
            stop([bare])
        print(f"bare Flask app, gunicorn 2 sync workers: {len(samples['GET /healthz']) / elapsed:,.0f} req/s "
              "(the issue's 2-core reference machine: about 4,000)", flush=True)

    print(f"preparing {args.requests} open payment requests on {args.db.rsplit('@', 1)[-1]} ...", flush=True)
    fresh_database(args.db)
    codes = open_requests(args.db, args.requests)
    port = free_port()
    server = start_gunicorn(args.db, port)
    workers = start_workers(args.db, args.workers)
    try:
        measure(port, healthz_job, 2, args.clients)  # warm-up
        # Warm-up: some payment history, then the statistics autovacuum keeps for a live database.
        # (Each measurement runs in a process of its own: each starts after the codes used before.)
        warm_up = callback_job(codes, 0, 5_000)
        warm, _, acknowledged, _ = measure(port, lambda _: warm_up, 2, args.clients)
        wait_applied(args.db) if workers else drain_here(args.db)
        analyze(args.db)
        # Rounds of /healthz then callbacks, so that a slow spell of the (shared) machine weighs
        # on both; every round's callbacks are applied before the next round's /healthz.
        used, phase = len(warm["POST /callbacks/bank"]), args.seconds / args.rounds
        health_values, values, errors, health_elapsed, elapsed, backlog, ratios = [], [], 0, 0.0, 0.0, 0.0, []
        for _ in range(args.rounds):
            health, _, _, h_elapsed = measure(port, healthz_job, phase, args.clients)
            job = callback_job(codes, used, args.requests - used)
            callbacks, errs, acks, c_elapsed = measure(port, lambda _: job, phase, args.clients)
            backlog = wait_applied(args.db) if workers else drain_here(args.db)
            round_values = callbacks["POST /callbacks/bank"]
            used += len(round_values)
            ratios.append((len(round_values) / c_elapsed) / (len(health["GET /healthz"]) / h_elapsed))
            health_values += health["GET /healthz"]
            values += round_values
            errors += sum(errs.values())
            acknowledged += acks
            health_elapsed += h_elapsed
            elapsed += c_elapsed
    finally:
        server.terminate()
        server.wait(timeout=15)
        stop(workers)
    health_rate, rate = len(health_values) / health_elapsed, len(values) / elapsed
    print(f"healthz: {health_rate:,.0f} req/s  p50 {percentile(health_values, .5):.1f} ms  "
          f"p99 {percentile(health_values, .99):.1f} ms")
    print(f"callbacks: {rate:,.0f} callbacks/s  p50 {percentile(values, .5):.1f} ms  "
          f"p99 {percentile(values, .99):.1f} ms  errors {errors}  ({len(values)} sent)")
    print(f"ratio callbacks/healthz: {rate / health_rate:.2f} (goal >= 0.5); by round: "
          f"{', '.join(f'{r:.2f}' for r in ratios)}")
    if args.workers:
        applied_rate = len(values) / (elapsed + backlog)
        print(f"applied by {args.workers} worker(s) meanwhile: all within {backlog:.1f} s after the last answer "
              f"of the last round")
    else:
        applied_rate = len(round_values) / backlog
        print(f"applied after each round by one worker: the last {len(round_values)} in {backlog:.1f} s "
              f"({applied_rate:,.0f}/s)")

    from sqlalchemy import func, select

    from kernel.db import make_engine, make_session_factory
    from payments import ledger
    from payments.models import Payment

    with make_session_factory(make_engine(args.db))() as session:
        report = ledger.check(session)
        payments = dict(session.execute(select(Payment.provider_ref, func.count())
                                        .group_by(Payment.provider_ref)).all())
    twice_or_never = [ref for ref in acknowledged if payments.get(ref) != 1]
    print(f"payments recorded: {sum(payments.values())}; every answered callback applied exactly once: "
          f"{'yes' if not twice_or_never else f'NO ({len(twice_or_never)})'}; "
          f"ledger check: {'ok' if report.ok else 'FAILED'}")
    print(json.dumps({"healthz_rps": round(health_rate), "callbacks_rps": round(rate),
                      "ratio": round(rate / health_rate, 3), "applied_rps": round(applied_rate),
                      "backlog_s": round(backlog, 1)}))


if __name__ == "__main__":
    main()
