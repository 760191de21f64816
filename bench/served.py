"""What the served benches share: a fresh PostgreSQL database with open requests (bulk Core
inserts), gunicorn with 2 workers (deploy/gunicorn.conf.py), `hccpay worker` processes, and a
load-generating process that records latencies."""
from __future__ import annotations

import http.client
import multiprocessing
import os
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/hccpay_bench"
ACCOUNT = "0071001234567"


def fresh_database(url: str) -> None:
    """An empty schema at the migration head (the database is created if missing)."""
    from sqlalchemy import text

    from kernel import migrate
    from kernel.db import make_engine

    admin = make_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    name = url.rsplit("/", 1)[1]
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    migrate.upgrade(url)


def code_for(i: int) -> str:
    from payments.codes import check_digits

    body = f"{i:09d}"
    return f"HS{body}{check_digits(body)}"


def open_requests(url: str, n: int, amount_vnd: int = 50_000) -> list[str]:
    """n open payment requests (one fee item each), inserted in bulk; returns their codes."""
    from sqlalchemy import insert, text

    from kernel.db import make_engine
    from payments.models import Dossier, FeeItem, PaymentRequest, PaymentRequestItem

    engine = make_engine(url)
    now = datetime.now(timezone.utc)
    with engine.begin() as conn:
        for start in range(0, n, 5000):
            ids = range(start + 1, min(start + 5000, n) + 1)
            conn.execute(insert(Dossier), [{
                "id": i, "code": f"BENCH-{i:09d}", "procedure_code": "1.004227", "procedure_name": "Cấp giấy phép",
                "agency_code": "H40.22", "applicant_name": "Nguyễn Văn An", "applicant_phone": "0912345678",
                "applicant_email": None, "applicant_id_number": None, "body_hash": "x" * 64, "created_at": now,
                "created_by": "bench"} for i in ids])
            conn.execute(insert(FeeItem), [{"id": i, "dossier_id": i, "position": 0, "name": "Lệ phí", "kind": "charge",
                                            "amount_vnd": amount_vnd, "created_at": now} for i in ids])
            conn.execute(insert(PaymentRequest), [{
                "id": i, "dossier_id": i, "payment_code": code_for(i), "amount_vnd": amount_vnd, "paid_vnd": 0,
                "refunded_vnd": 0, "status": "pending", "expires_at": now + timedelta(days=3), "created_at": now,
                "updated_at": now, "bank_bin": "970436", "account_number": ACCOUNT, "account_name": "TRUNG TAM",
                "vietqr_payload": _payload(code_for(i), amount_vnd)} for i in ids])
            conn.execute(insert(PaymentRequestItem), [{"payment_request_id": i, "fee_item_id": i,
                                                       "amount_vnd": amount_vnd} for i in ids])
        for table in ("dossiers", "fee_items", "payment_requests"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {n + 1})"))
    with engine.begin() as conn:
        # Fresh statistics for what was filled, as autovacuum would give a live database. Empty
        # tables stay never-analysed: the planner then sizes them by their pages as they grow,
        # whereas "analysed, 0 rows" would make every plan (foreign-key checks included) a
        # sequential scan for the whole run, which no live database sees.
        conn.execute(text("ANALYZE dossiers, fee_items, payment_requests, payment_request_items"))
    engine.dispose()
    return [code_for(i) for i in range(1, n + 1)]


def _payload(code: str, amount: int) -> str:
    from payments.vietqr import build_payload

    return build_payload(bin="970436", account=ACCOUNT, amount_vnd=amount, purpose=code)


def api_token(url: str, role: str) -> str:
    from kernel.auth import create_token
    from kernel.db import make_engine, make_session_factory, unit_of_work

    with unit_of_work(make_session_factory(make_engine(url))) as session:
        return create_token(session, role=role, name=f"bench {role}", actor="bench", now=datetime.now(timezone.utc))[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(url: str, port: int, workers: int = 2) -> subprocess.Popen:
    # The deployed settings (deploy/gunicorn.conf.py: gthread workers), without the access log.
    env = dict(os.environ, DATABASE_URL=url, HCCPAY_DEMO="1", HCCPAY_LOG_LEVEL="WARNING", HCCPAY_ACCESS_LOG="",
               HCCPAY_BIND=f"127.0.0.1:{port}", HCCPAY_WORKERS=str(workers),
               HCCPAY_PUBLIC_RATE_LIMIT="")  # a load generator is one client address: no per-client limit
    process = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-c", "deploy/gunicorn.conf.py",
                                "--log-level", "warning", "api:create_app()"], cwd=ROOT, env=env)
    _wait_for(port, process)
    return process


def _wait_for(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)  # nothing to wait on but the port
    process.kill()
    raise SystemExit("gunicorn did not start")


def start_bare_flask(port: int) -> subprocess.Popen:
    """bench/bare_app.py under gunicorn with 2 sync workers (the issue's reference machine figure)."""
    process = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}",
                                "--log-level", "warning", "bare_app:app"], cwd=ROOT / "bench")
    _wait_for(port, process)
    return process


def analyze(url: str) -> None:
    """Refresh the planner's statistics, as autovacuum does on a live database."""
    from sqlalchemy import text

    from kernel.db import make_engine

    engine = make_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def start_workers(url: str, count: int = 1) -> list[subprocess.Popen]:
    """`hccpay worker` processes: they apply the callbacks gunicorn queued (and send the outbox)."""
    env = dict(os.environ, DATABASE_URL=url, HCCPAY_DEMO="1", HCCPAY_LOG_LEVEL="WARNING")
    return [subprocess.Popen([str(ROOT / ".venv/bin/hccpay"), "worker"], cwd=ROOT, env=env) for _ in range(count)]


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        process.wait(timeout=30)


def wait_applied(url: str, timeout: float = 600) -> float:
    """Seconds until no verified callback waits for a worker."""
    from kernel.db import make_engine, make_session_factory
    from kernel.inbox import queued_count

    engine = make_engine(url)
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < timeout:
            with make_session_factory(engine)() as session:
                if not queued_count(session):
                    return time.perf_counter() - started
            time.sleep(0.05)  # polling the database is the point: the workers live in other processes
        raise SystemExit("callbacks were still queued after the timeout")
    finally:
        engine.dispose()


# A job: () -> list of (route label, method, path, headers, body, ok(status, body) -> bool, record(status, body))
Job = Callable[[], list]


def _client(port: int, next_job: Job, end: float, results) -> None:
    samples: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    acknowledged: list = []
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.monotonic() < end:
        try:
            steps = next_job()
        except StopIteration:
            break
        for label, method, path, headers, body, ok, note in steps:
            started = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                status, data = 0, b""
            samples[label].append(time.perf_counter() - started)
            if not ok(status, data):
                errors[label] += 1
            elif note is not None:
                acknowledged.append(note(data))
    results.put((dict(samples), dict(errors), acknowledged))


def _drive(port: int, make_job: Callable[[int], Job], seconds: float, clients: int, conn) -> None:
    import queue

    results: queue.Queue = queue.Queue()
    end = time.monotonic() + seconds
    threads = [threading.Thread(target=_client, args=(port, make_job(i), end, results)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    merged: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    acknowledged: list = []
    while not results.empty():
        samples, errs, acks = results.get()
        for label, values in samples.items():
            merged[label] += values
        for label, count in errs.items():
            errors[label] += count
        acknowledged += acks
    conn.send((dict(merged), dict(errors), acknowledged, elapsed))


def measure(port: int, make_job: Callable[[int], Job], seconds: float, clients: int):
    """Run `clients` threads in a separate process for `seconds`; returns (samples, errors, acks, elapsed)."""
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.Process(target=_drive, args=(port, make_job, seconds, clients, child))
    process.start()
    result = parent.recv()
    process.join()
    return result


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(int(len(ordered) * p), len(ordered) - 1)] if ordered else 0.0


def healthz_job(_: int) -> Job:
    step = [("GET /healthz", "GET", "/healthz", {}, None, lambda s, b: s == 200, None)]
    return lambda: step
