"""Statement reconciliation throughput: parse → store → match → credit → store, end to end.

Usage: .venv/bin/python bench/reconcile.py [--sizes 10000 100000 1000000] [--db sqlite|postgres|both]
                                           [--pg URL] [--announced FRACTION]

For each size it builds a fresh database with about as many open payment requests, writes
a Vietcombank-layout CSV statement (exact codes, mistyped codes, two-code memos, split
payments, no-code credits, bank fees), measures a bare `csv.reader` pass over the same file,
then imports it in a child process (the `hccpay reconcile import` code path: validate, then
chunks of store + match + credit through payments.credits.record_credits + ledger) and
prints lines/s, the ratio to csv.reader, and the child's peak RSS. Goals (issue 5): ratio
≥ 0.03, peak RSS ≤ 300 MiB at every size, a 10k-line day < 1 s.

By default no callback announced any line (every credit is made by the statement: the
heaviest case). `--announced 0.9` first records that share of the credit lines as bank
callbacks with their own transaction ids (set-up, not timed), as on a day when the callbacks
worked: the import then links those lines by payment code, or by amount, day and memo for
money in suspense, instead of crediting them.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/hccpay_recon_bench"
ACCOUNT = "0071001234567"
AMOUNTS = (25_000, 30_000, 50_000, 100_000, 150_000, 200_000, 350_000, 1_000_000)


def code_for(i: int) -> str:
    from payments.codes import check_digits

    body = f"{i:09d}"
    return f"HS{body}{check_digits(body)}"


def fresh_database(kind: str, pg_url: str, workdir: Path) -> str:
    from kernel import migrate
    from served import fresh_database as fresh_postgres

    if kind == "sqlite":
        path = workdir / "bench.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        migrate.upgrade(url)
        return url
    fresh_postgres(pg_url)
    return pg_url


def open_requests(url: str, n: int, rng: random.Random) -> list[int]:
    """n open requests (one fee item each) inserted with Core; returns their amounts."""
    from sqlalchemy import insert

    from kernel.db import make_engine
    from payments.models import Dossier, FeeItem, PaymentRequest, PaymentRequestItem

    engine = make_engine(url)
    now = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)
    expires = now + timedelta(days=30)
    amounts = [rng.choice(AMOUNTS) for _ in range(n)]
    step = 5000
    with engine.begin() as conn:
        for start in range(0, n, step):
            ids = range(start + 1, min(start + step, n) + 1)
            conn.execute(insert(Dossier), [{
                "id": i, "code": f"BENCH-{i:09d}", "procedure_code": "1.004227", "procedure_name": "Cấp giấy phép",
                "agency_code": f"H40.{i % 7:02d}", "applicant_name": "Nguyễn Văn An", "applicant_phone": "0912345678",
                "applicant_email": None, "applicant_id_number": None, "body_hash": "x" * 64, "created_at": now,
                "created_by": "bench"} for i in ids])
            conn.execute(insert(FeeItem), [{"id": i, "dossier_id": i, "position": 0, "name": "Lệ phí", "kind": "charge",
                                            "amount_vnd": amounts[i - 1], "created_at": now} for i in ids])
            conn.execute(insert(PaymentRequest), [{
                "id": i, "dossier_id": i, "payment_code": code_for(i), "amount_vnd": amounts[i - 1], "paid_vnd": 0,
                "refunded_vnd": 0, "status": "pending", "expires_at": expires, "created_at": now, "updated_at": now,
                "bank_bin": "970436", "account_number": ACCOUNT, "account_name": "TRUNG TAM", "vietqr_payload": "-"}
                for i in ids])
            conn.execute(insert(PaymentRequestItem), [{"payment_request_id": i, "fee_item_id": i,
                                                       "amount_vnd": amounts[i - 1]} for i in ids])
    if engine.dialect.name == "postgresql":
        from sqlalchemy import text

        with engine.begin() as conn:
            for table in ("dossiers", "fee_items", "payment_requests"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {n + 1})"))
            conn.execute(text("ANALYZE"))
    engine.dispose()
    return amounts


def typo(code: str, rng: random.Random) -> str:
    digits = list(code[2:])
    i = rng.randrange(len(digits) - 1)
    digits[i], digits[i + 1] = digits[i + 1], digits[i]
    return "HS" + "".join(digits)


def write_statement(path: Path, amounts: list[int], rng: random.Random) -> int:
    """One line per request mostly; returns the number of lines written."""
    n = len(amounts)
    lines = 0
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["Ngày GD/ TNX Date", "Số CT/ Doc No", "Số tiền ghi nợ/ Debit", "Số tiền ghi có/ Credit",
                         "Số dư/ Balance", "Nội dung chi tiết/ Transactions in detail"])
        i = 1
        while lines < n and i <= n:
            day = f"{24 + lines * 5 // n:02d}/11/2026"
            kind = rng.random()
            rows = []
            code, amount = code_for(i), amounts[i - 1]
            if kind < 0.80:
                rows.append((amount, f"MBVCB.{rng.randrange(10**9)}.{code} nop le phi.CT tu {rng.randrange(10**12)} "
                                     f"NGUYEN VAN AN toi {ACCOUNT}"))
            elif kind < 0.85:
                rows.append((amount, f"CT nhanh 247 den: {typo(code, rng)} le phi"))
            elif kind < 0.90 and i < n:
                rows.append((amount + amounts[i], f"IBFT {code} {code_for(i + 1)} phi 2 ho so"))
                i += 1
            elif kind < 0.94:
                half = amount // 2
                rows += [(half, f"{code} dot 1"), (amount - half, f"{code} dot 2")]
            elif kind < 0.97:
                rows.append((amount, "chuyen tien le phi ho so"))
            else:
                rows.append((-11_000, "THU PHI DICH VU SMS BANKING"))
            for value, memo in rows:
                lines += 1
                credit, debit = (f"{value:,}".replace(",", "."), "") if value > 0 else \
                    ("", f"{-value:,}".replace(",", "."))
                writer.writerow([day, f"{5000 + lines}.{rng.randrange(10**5):05d}", debit, credit, "", memo])
            i += 1
    return lines


def announce(url: str, path: Path, fraction: float, rng: random.Random) -> int:
    """Record `fraction` of the statement's credit lines as bank callbacks; returns how many."""
    from config import load_settings
    from kernel.db import make_engine, make_session_factory, unit_of_work
    from payments.credits import IncomingCredit, record_credits
    from reconciliation.importer import resolve_account

    settings = load_settings({"HCCPAY_DEMO": "1", "DATABASE_URL": url})
    _, clearing = resolve_account(settings, None, ACCOUNT)
    sessions = make_session_factory(make_engine(url))
    credits: list[IncomingCredit] = []
    announced = 0

    def flush() -> None:
        with unit_of_work(sessions) as session:
            record_credits(session, credits, settings=settings, actor="bench", now=datetime.now(timezone.utc))
        credits.clear()

    with path.open(newline="", encoding="utf-8") as source:
        rows = csv.reader(source)
        next(rows)
        for day, _, _, credit, _, memo in rows:
            if not credit or rng.random() >= fraction:
                continue
            d, m, y = (int(part) for part in day.split("/"))
            announced += 1
            credits.append(IncomingCredit(
                provider="bank", provider_ref=f"FT{announced:012d}", channel="vietqr_transfer",
                amount_vnd=int(credit.replace(".", "")), clearing_account=clearing, memo=memo,
                booked_at=datetime(y, m, d, 3, 0, tzinfo=timezone.utc), bank_reference=f"FT{announced:012d}"))
            if len(credits) == 5000:
                flush()
    if credits:
        flush()
    return announced


def csv_reader_rate(path: Path) -> float:
    best = 0.0
    for _ in range(3):
        started = time.perf_counter()
        with path.open(newline="", encoding="utf-8") as source:
            count = sum(1 for _ in csv.reader(source))
        best = max(best, count / (time.perf_counter() - started))
    return best


def child(url: str, path: str) -> None:
    """Run one import (the CLI code path) and print JSON: seconds, lines, peak RSS."""
    import resource

    from config import load_settings
    from kernel.db import make_engine, make_session_factory
    from kernel.heap import freeze_startup_objects
    from reconciliation import importer

    settings = load_settings({"HCCPAY_DEMO": "1", "DATABASE_URL": url})
    sessions = make_session_factory(make_engine(url))
    freeze_startup_objects()  # as `hccpay reconcile import` does
    started = time.perf_counter()
    with open(path, "rb") as source:
        parsed = importer.parse_upload(source)
        parsed_at = time.perf_counter()
        import_id = importer.run_import(sessions, parsed, filename=Path(path).name, account_number=ACCOUNT,
                                        settings=settings, actor="bench", now=datetime.now(timezone.utc))
        parsed.close()
    elapsed = time.perf_counter() - started
    print(json.dumps({"seconds": elapsed, "parse_seconds": parsed_at - started, "lines": parsed.lines_total,
                      "import_id": import_id, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def check(url: str) -> str:
    from sqlalchemy import func, select

    from kernel.db import make_engine, make_session_factory
    from payments.ledger import check as ledger_check
    from reconciliation.models import StatementLine

    with make_session_factory(make_engine(url))() as session:
        report = ledger_check(session)
        by_status = dict(session.execute(select(StatementLine.status, func.count()).group_by(StatementLine.status))
                         .all())
        by_source = dict(session.execute(select(StatementLine.source, func.count())
                                         .where(StatementLine.source.is_not(None)).group_by(StatementLine.source)).all())
    return f"ledger {'ok' if report.ok else 'BROKEN'}; lines {by_status}; money from {by_source}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--announced", type=float, default=0.0,
                        help="share of credit lines already recorded by bank callbacks (0 to 1)")
    parser.add_argument("--child", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    print(f"{'db':<9}{'lines':>10}{'csv.reader/s':>14}{'import s':>10}{'lines/s':>10}{'ratio':>8}{'RSS MiB':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for size in args.sizes:
            rng = random.Random(size)
            statement = workdir / f"statement_{size}.csv"
            for kind in kinds:
                url = fresh_database(kind, args.pg, workdir)
                amounts = open_requests(url, size, random.Random(size))
                lines = write_statement(statement, amounts, random.Random(size))
                if args.announced:
                    announce(url, statement, args.announced, random.Random(size + 1))
                baseline = csv_reader_rate(statement)
                out = subprocess.run([sys.executable, __file__, "--child", url, str(statement)], check=True,
                                     capture_output=True, text=True, env={**os.environ, "PYTHONHASHSEED": "0"})
                result = json.loads(out.stdout.strip().splitlines()[-1])
                rate = result["lines"] / result["seconds"]
                print(f"{kind:<9}{lines:>10,}{baseline:>14,.0f}{result['seconds']:>10.2f}{rate:>10,.0f}"
                      f"{rate / baseline:>8.3f}{result['peak_rss_mib']:>9.0f}   ({check(url)}; "
                      f"parse {result['parse_seconds']:.2f} s)", flush=True)
            del rng


if __name__ == "__main__":
    main()
