"""Mixed load against gunicorn (2 workers, deployed settings) on PostgreSQL, from a separate process.

Usage: .venv/bin/python bench/load.py [--seconds 20] [--clients 16] [--db URL]

Traffic: callbacks of every channel (bank push, SePay, payOS, POS, VNPay checkout + IPN) with
10% duplicates, public lookups, QR images, and staff queries. Prints throughput, p50/p95/p99
per route and errors, and the ratio of callback throughput to the bare /healthz rate of the
same server measured in the same run. A `hccpay worker` applies the queued callbacks meanwhile;
afterwards the bench waits until all are applied, then checks that the ledger balances and
that every acknowledged callback was applied exactly once.
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import threading
from urllib.parse import parse_qsl, urlencode, urlsplit

from served import (DEFAULT_DB, api_token, fresh_database, free_port, healthz_job, measure, open_requests,
                    percentile, start_gunicorn, start_workers, stop, wait_applied)

CHANNELS = ("bank", "sepay", "payos", "pos", "vnpay")


def mixed_job(codes: list[str], finance_token: str, seed: int):
    """One client's endless mix; callbacks each pay their own request, 10% are sent twice."""
    from config import load_settings
    from kernel.clock import now_utc
    from payments.channels import vnpay
    from sandbox.bank import callback_request

    settings = load_settings({"HCCPAY_DEMO": "1"})
    rng = random.Random(seed)
    mine = iter(codes)
    sent: list[tuple] = []
    staff = {"Authorization": f"Bearer {finance_token}"}
    lock = threading.Lock()
    counter = itertools.count()

    def callback_steps(code: str):
        channel = CHANNELS[next(counter) % len(CHANNELS)]
        txn = f"LOAD{seed}-{next(counter)}"
        if channel == "vnpay":
            steps = [("POST checkout", "POST", f"/api/v1/payment-requests/{code}/checkout", {}, None,
                      lambda s, b: s == 201, None)]
            return steps, ("vnpay", code)
        path, headers, body = callback_request(channel, settings=settings, payment_code=code, amount_vnd=50_000,
                                               txn_id=txn, at=now_utc())
        ref = {"sepay": txn, "payos": f"FT{txn}", "bank": txn, "pos": txn}[channel]
        step = (f"POST callback {channel}", "POST", path, headers, body, lambda s, b: s == 200,
                lambda _b, c=channel, r=ref, k=code: (c, r, k))
        return [step], step

    def ipn_step(checkout_body: bytes, code: str):
        url = json.loads(checkout_body)["redirect_url"]
        query = dict(parse_qsl(urlsplit(url).query))
        params = {"vnp_TmnCode": query["vnp_TmnCode"], "vnp_Amount": query["vnp_Amount"], "vnp_BankCode": "NCB",
                  "vnp_OrderInfo": query["vnp_OrderInfo"], "vnp_PayDate": vnpay.vnpay_time(now_utc()),
                  "vnp_ResponseCode": "00", "vnp_TransactionNo": str(rng.randrange(10**8)),
                  "vnp_TransactionStatus": "00", "vnp_TxnRef": query["vnp_TxnRef"]}
        params["vnp_SecureHash"] = vnpay.secure_hash(params, settings.secret("HCCPAY_VNPAY_HASH_SECRET"))
        return ("GET callback vnpay", "GET", f"/api/v1/callbacks/vnpay/ipn?{urlencode(params)}", {}, None,
                lambda s, b: s == 200 and json.loads(b)["RspCode"] in ("00", "02"),
                lambda _b, r=query["vnp_TxnRef"], k=code: ("vnpay", r, k))

    pending_ipn: list = []

    def job():
        if pending_ipn:
            return [pending_ipn.pop()]
        roll = rng.random()
        if roll < 0.5:
            if sent and rng.random() < 0.10:  # a duplicate of something already sent
                return [rng.choice(sent)]
            with lock:
                code = next(mine)
            steps, remember = callback_steps(code)
            if isinstance(remember, tuple) and remember[0] == "vnpay":
                label, method, path, headers, body, ok, _ = steps[0]

                def ok_then_ipn(status, data, code=remember[1]):
                    if status == 201:
                        ipn = ipn_step(data, code)
                        pending_ipn.append(ipn)
                        sent.append(ipn)
                    return status == 201

                return [(label, method, path, headers, body, ok_then_ipn, None)]
            sent.append(remember)
            return steps
        code = rng.choice(codes)
        if roll < 0.7:
            return [("GET lookup", "GET", f"/api/v1/payment-requests/{code}", {}, None, lambda s, b: s == 200, None)]
        if roll < 0.85:
            return [("GET qr.png", "GET", f"/api/v1/payment-requests/{code}/qr.png", {}, None,
                     lambda s, b: s == 200, None)]
        path = rng.choice([f"/api/v1/dossiers/BENCH-{rng.randrange(1, len(codes)):09d}", "/api/v1/finance/suspense",
                           "/api/v1/refunds"])
        return [("GET staff", "GET", path, staff, None, lambda s, b: s == 200, None)]

    return job


def verify(url: str, acknowledged: list[tuple]) -> str:
    from sqlalchemy import func, select

    from kernel.db import make_engine, make_session_factory
    from payments import ledger
    from payments.models import Payment

    with make_session_factory(make_engine(url))() as session:
        report = ledger.check(session)
        counts = dict(((p, r), c) for p, r, c in session.execute(
            select(Payment.provider, Payment.provider_ref, func.count()).group_by(Payment.provider,
                                                                                   Payment.provider_ref)))
    keys = {(provider, ref) for provider, ref, _ in acknowledged}
    missing = [k for k in keys if counts.get(k, 0) != 1]
    return (f"ledger check: {'ok' if report.ok else 'FAILED'}; acknowledged callbacks: {len(keys)} distinct "
            f"({len(acknowledged)} answers incl. duplicates); applied exactly once: "
            f"{'all' if not missing else f'NOT {len(missing)}'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--db", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    args = parser.parse_args()

    print(f"preparing the database {args.db.rsplit('@', 1)[-1]} ...", flush=True)
    fresh_database(args.db)
    codes = open_requests(args.db, 60_000)
    finance = api_token(args.db, "finance")
    port = free_port()
    server = start_gunicorn(args.db, port)
    workers = start_workers(args.db)
    try:
        measure(port, healthz_job, 2, args.clients)  # warm-up
        health, _, _, health_elapsed = measure(port, healthz_job, args.seconds, args.clients)
        per_client = len(codes) // args.clients
        samples, errors, acknowledged, elapsed = measure(
            port, lambda i: mixed_job(codes[i * per_client:(i + 1) * per_client], finance, i), args.seconds,
            args.clients)
        backlog = wait_applied(args.db)
    finally:
        server.terminate()
        server.wait(timeout=15)
        stop(workers)
    health_rate = len(health["GET /healthz"]) / health_elapsed
    print(f"bare /healthz: {health_rate:,.0f} req/s (p50 {percentile(health['GET /healthz'], .5):.1f} ms)")
    total = sum(len(v) for v in samples.values())
    print(f"mixed load: {total / elapsed:,.0f} req/s over {elapsed:.0f} s, {args.clients} clients, "
          f"errors {sum(errors.values())}")
    print(f"{'route':<24}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for label in sorted(samples):
        values = samples[label]
        print(f"{label:<24}{len(values) / elapsed:>9,.0f}{percentile(values, .5):>9.1f}"
              f"{percentile(values, .95):>9.1f}{percentile(values, .99):>9.1f}{errors.get(label, 0):>8}")
    callback_rate = sum(len(v) for k, v in samples.items() if "callback" in k) / elapsed
    print(f"callbacks: {callback_rate:,.0f}/s; ratio to bare /healthz: {callback_rate / health_rate:.2f}; "
          f"all applied {backlog:.1f} s after the last answer (1 `hccpay worker`)")
    print(verify(args.db, acknowledged))


if __name__ == "__main__":
    main()
