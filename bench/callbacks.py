"""Callback throughput: signed /callbacks/bank credits against gunicorn (2 workers) on PostgreSQL.

Usage: .venv/bin/python bench/callbacks.py [--seconds 10] [--clients 16] [--db URL]

Prints the bare /healthz rate of the same server (the ceiling), then callbacks/s with p50/p99
latency and the ratio callbacks/healthz, then checks the ledger. The load comes from a separate
process; every callback credits its own open payment request.
"""
from __future__ import annotations

import argparse
import json
import os
import threading

from served import (DEFAULT_DB, fresh_database, free_port, healthz_job, measure, open_requests, percentile,
                    start_gunicorn)


def callback_job(codes: list[str]):
    from config import load_settings
    from kernel.clock import now_utc
    from sandbox.bank import callback_request

    settings = load_settings({"HCCPAY_DEMO": "1"})
    mine, lock = iter(enumerate(codes)), threading.Lock()

    def job():
        with lock:
            index, code = next(mine)
        path, headers, body = callback_request("bank", settings=settings, payment_code=code, amount_vnd=50_000,
                                               txn_id=f"BENCH{index:09d}", at=now_utc())
        return [("POST /callbacks/bank", "POST", path, headers, body, lambda s, b: s == 200, None)]

    return job


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=40_000, help="open payment requests to credit")
    parser.add_argument("--db", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    args = parser.parse_args()

    print(f"preparing {args.requests} open payment requests on {args.db.rsplit('@', 1)[-1]} ...", flush=True)
    fresh_database(args.db)
    codes = open_requests(args.db, args.requests)
    port = free_port()
    server = start_gunicorn(args.db, port)
    try:
        measure(port, healthz_job, 2, args.clients)  # warm-up
        health, _, _, health_elapsed = measure(port, healthz_job, args.seconds, args.clients)
        shared = callback_job(codes)
        callbacks, errors, _, elapsed = measure(port, lambda _: shared, args.seconds, args.clients)
    finally:
        server.terminate()
        server.wait(timeout=15)
    health_values, values = health["GET /healthz"], callbacks["POST /callbacks/bank"]
    health_rate, rate = len(health_values) / health_elapsed, len(values) / elapsed
    print(f"healthz: {health_rate:,.0f} req/s  p50 {percentile(health_values, .5):.1f} ms  "
          f"p99 {percentile(health_values, .99):.1f} ms")
    print(f"callbacks: {rate:,.0f} callbacks/s  p50 {percentile(values, .5):.1f} ms  "
          f"p99 {percentile(values, .99):.1f} ms  errors {sum(errors.values())}  ({len(values)} sent)")
    print(f"ratio callbacks/healthz: {rate / health_rate:.2f} (goal >= 0.5)")

    from sqlalchemy import func, select

    from kernel.db import make_engine, make_session_factory
    from payments import ledger
    from payments.models import Payment

    with make_session_factory(make_engine(args.db))() as session:
        report = ledger.check(session)
        payments = session.execute(select(func.count()).select_from(Payment)).scalar_one()
    print(f"payments recorded: {payments}; ledger check: {'ok' if report.ok else 'FAILED'}")
    print(json.dumps({"healthz_rps": round(health_rate), "callbacks_rps": round(rate),
                      "ratio": round(rate / health_rate, 3)}))


if __name__ == "__main__":
    main()
