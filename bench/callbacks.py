"""Callback throughput: signed /callbacks/bank credits against gunicorn (2 workers) on PostgreSQL.

Usage: .venv/bin/python bench/callbacks.py [--seconds 10] [--clients 16] [--db URL]

Prints the bare /healthz rate of the same server (the ceiling), then callbacks/s with
p50/p99 latency and the ratio callbacks/healthz, then runs the ledger check. The load
comes from a separate process. Every callback credits its own open payment request.
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/hccpay_bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_database(url: str, requests_needed: int) -> list[str]:
    """A fresh schema with `requests_needed` open payment requests; returns their codes."""
    from sqlalchemy import text

    from config import load_settings
    from kernel import migrate
    from kernel.clock import now_utc
    from kernel.db import make_engine, make_session_factory, unit_of_work
    from payments.service import create_dossier
    from payments.validation import parse_dossier

    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        admin_url = url.rsplit("/", 1)[0] + "/postgres"
        name = url.rsplit("/", 1)[1]
        admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    migrate.upgrade(url)
    settings = load_settings({"HCCPAY_DEMO": "1", "DATABASE_URL": url})
    sessions = make_session_factory(engine)
    codes = []
    now = now_utc()
    for start in range(0, requests_needed, 500):
        with unit_of_work(sessions) as session:
            for i in range(start, min(start + 500, requests_needed)):
                body = {"code": f"BENCH-{i:07d}", "procedure_code": "1.0", "procedure_name": "Thủ tục thử",
                        "agency_code": "H40.22", "applicant": {"name": "Nguyễn Văn An", "phone": "0912345678"},
                        "fees": [{"name": "Lệ phí", "kind": "charge", "amount_vnd": 50_000}]}
                _, request, _ = create_dossier(session, data=parse_dossier(body), settings=settings,
                                               actor="bench", now=now)
                codes.append(request.payment_code)
    engine.dispose()
    return codes


def start_server(url: str, port: int) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=url, HCCPAY_DEMO="1", HCCPAY_LOG_LEVEL="WARNING")
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level", "warning",
         "api:create_app()"], cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.2)  # waiting for the server to come up; nothing to wait on but the port
    process.kill()
    raise SystemExit("gunicorn did not start")


def _client(port: int, jobs, seconds: float, results) -> None:
    """One load-generating thread: keep sending until the time is up; record latencies."""
    latencies, errors = [], 0
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            method, path, headers, body = jobs()
        except StopIteration:
            break
        started = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        latencies.append(time.perf_counter() - started)
        errors += not ok
    results.put((latencies, errors))


def drive(port: int, kind: str, seconds: float, clients: int, codes: list[str], offset: int, conn) -> None:
    """Runs in the separate load process: `clients` threads for `seconds`."""
    import itertools
    import queue
    import threading

    from config import load_settings
    from kernel.clock import now_utc
    from sandbox.bank import callback_request

    settings = load_settings({"HCCPAY_DEMO": "1"})
    lock = threading.Lock()
    counter = itertools.count(offset)

    def job():
        if kind == "healthz":
            return "GET", "/healthz", {}, None
        with lock:
            i = next(counter)
        if i >= len(codes):
            raise StopIteration
        path, headers, body = callback_request("bank", settings=settings, payment_code=codes[i], amount_vnd=50_000,
                                               txn_id=f"BENCH{i:09d}", at=now_utc())
        return "POST", path, headers, body

    results: queue.Queue = queue.Queue()
    threads = [threading.Thread(target=_client, args=(port, job, seconds, results)) for _ in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies, errors = [], 0
    while not results.empty():
        lat, err = results.get()
        latencies += lat
        errors += err
    conn.send((latencies, errors, elapsed))


def measure(port: int, kind: str, seconds: float, clients: int, codes: list[str], offset: int = 0) -> dict:
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.Process(target=drive, args=(port, kind, seconds, clients, codes, offset, child))
    process.start()
    latencies, errors, elapsed = parent.recv()
    process.join()
    latencies.sort()
    n = len(latencies)
    return {"requests": n, "errors": errors, "rate": n / elapsed,
            "p50_ms": 1000 * latencies[n // 2] if n else 0, "p99_ms": 1000 * latencies[int(n * 0.99)] if n else 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=40_000, help="open payment requests to credit")
    parser.add_argument("--db", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    args = parser.parse_args()

    print(f"preparing {args.requests} open payment requests on {args.db.rsplit('@', 1)[-1]} ...", flush=True)
    codes = prepare_database(args.db, args.requests)
    port = free_port()
    server = start_server(args.db, port)
    try:
        measure(port, "healthz", 2, args.clients, codes)  # warm-up
        health = measure(port, "healthz", args.seconds, args.clients, codes)
        callbacks = measure(port, "callbacks", args.seconds, args.clients, codes)
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"healthz: {health['rate']:,.0f} req/s  p50 {health['p50_ms']:.1f} ms  p99 {health['p99_ms']:.1f} ms  "
          f"errors {health['errors']}")
    print(f"callbacks: {callbacks['rate']:,.0f} callbacks/s  p50 {callbacks['p50_ms']:.1f} ms  "
          f"p99 {callbacks['p99_ms']:.1f} ms  errors {callbacks['errors']}  ({callbacks['requests']} sent)")
    print(f"ratio callbacks/healthz: {callbacks['rate'] / health['rate']:.2f} (goal >= 0.5)")

    from kernel.db import make_engine, make_session_factory, unit_of_work
    from payments import ledger

    with unit_of_work(make_session_factory(make_engine(args.db))) as session:
        report = ledger.check(session)
        from sqlalchemy import func, select

        from payments.models import Payment

        payments = session.execute(select(func.count()).select_from(Payment)).scalar_one()
    print(f"payments recorded: {payments}; ledger check: {'ok' if report.ok else 'FAILED'}")
    print(json.dumps({"healthz_rps": round(health["rate"]), "callbacks_rps": round(callbacks["rate"]),
                      "ratio": round(callbacks["rate"] / health["rate"], 3)}))


if __name__ == "__main__":
    main()
