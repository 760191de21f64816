"""Benchmark the postal planner: 10,000 shipments over 50 routes (goal: under 2 s).

Two figures: the pure planner (`postal.planner.plan` plus stop numbering), and with `--db`
the whole `plan_day` use case on a fresh SQLite database (reads, state changes, events,
audit), which is what `POST /api/v1/postal/plan` runs.

Usage: .venv/bin/python bench/postal.py [--n 10000] [--routes 50] [--db]
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from postal.planner import AFTERNOON, MORNING, PlanItem, RouteSpec, number_stops, plan  # noqa: E402

DAY = date(2026, 11, 26)  # a Thursday, a working day


def make_routes(n_routes: int, n_items: int) -> list[RouteSpec]:
    """Routes of 4 wards each, with room for about 90% of the shipments."""
    per_slot = max(1, int(n_items * 0.9 / n_routes / 2))
    return [RouteSpec(f"R{r:02d}", tuple(f"{r * 4 + w:05d}" for w in range(4)), {MORNING: per_slot, AFTERNOON: per_slot})
            for r in range(n_routes)]


def make_items(n: int, routes: list[RouteSpec], seed: int = 2025) -> list[PlanItem]:
    rng = random.Random(seed)
    wards = [w for r in routes for w in r.ward_codes]
    return [PlanItem(i, rng.choice(wards), DAY + timedelta(days=rng.randrange(5)),
                     rng.choice((None, None, MORNING, AFTERNOON)), f"Số {rng.randrange(1, 300)} phố {rng.randrange(50)}")
            for i in range(n)]


def bench_pure(n: int, n_routes: int) -> float:
    routes = make_routes(n_routes, n)
    items = make_items(n, routes)
    start = time.perf_counter()
    result = plan(items, routes)
    streets = {i.id: (i.ward_code, i.street) for i in items}
    places = defaultdict(list)
    for a in result.assigned:
        places[(a.route, a.slot)].append((a.id, *streets[a.id]))
    order = {r.code: r.ward_codes for r in routes}
    for (route, _slot), stops in places.items():
        number_stops(stops, order[route])
    elapsed = time.perf_counter() - start
    print(f"pure planner: {n} shipments over {n_routes} routes in {elapsed:.3f} s "
          f"({n / elapsed:,.0f} shipments/s); {len(result.assigned)} assigned, {len(result.unplanned)} did not fit")
    return elapsed


def bench_db(n: int, n_routes: int) -> float:
    """plan_day on SQLite with n booked shipments in Quảng Ninh's 54 wards."""
    from sqlalchemy import insert

    from config import load_settings
    from kernel import migrate
    from datetime import datetime
    from datetime import time as day_time

    from kernel.clock import VN_TZ
    from kernel.db import make_engine, make_session_factory, unit_of_work
    from payments.models import Dossier
    from postal.addresses import wards_of
    from postal.models import Route, Shipment
    from postal.scheduling import plan_day

    url = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    migrate.upgrade(url)
    settings = load_settings({"HCCPAY_DEMO": "1", "DATABASE_URL": url})
    sessions = make_session_factory(make_engine(url))
    wards = [w.code for w in wards_of(22)]
    # Early on DAY (06:00 in Hà Nội): every round of the day is still to come, whatever the hour of the run.
    rng, now = random.Random(7), datetime.combine(DAY, day_time(6), VN_TZ)
    with unit_of_work(sessions) as s:
        s.execute(insert(Dossier), [{"code": "BENCH", "procedure_code": "x", "procedure_name": "x", "agency_code": "x",
                                     "applicant_name": "x", "applicant_phone": "0912345678", "body_hash": "x",
                                     "created_at": now, "created_by": "bench"}])
        per_slot = max(1, int(n * 0.9 / n_routes / 2))
        s.execute(insert(Route), [{"code": f"R{r:02d}", "name": f"Tuyến {r}", "ward_codes": wards[r % 54:r % 54 + 3],
                                   "capacity_morning": per_slot, "capacity_afternoon": per_slot,
                                   "created_at": now, "updated_at": now} for r in range(n_routes)])
        s.execute(insert(Shipment), [_shipment_row(i, rng.choice(wards), now, rng) for i in range(n)])
    start = time.perf_counter()
    with unit_of_work(sessions) as s:
        report = plan_day(s, day=DAY, settings=settings, actor="bench", now=now)
    elapsed = time.perf_counter() - start
    print(f"plan_day on SQLite: {n} shipments over {n_routes} routes in {elapsed:.3f} s "
          f"({n / elapsed:,.0f} shipments/s); {len(report['assigned'])} assigned, {len(report['unplanned'])} did not fit")
    return elapsed


def _shipment_row(i: int, ward: str, now, rng: random.Random) -> dict:
    return {"dossier_id": 1, "dossier_code": "BENCH", "direction": "delivery", "status": "booked",
            "recipient_name": "Nguyễn Văn An", "recipient_phone": "0912345678", "street": f"Số {rng.randrange(300)}",
            "ward_code": ward, "ward_name": "x", "province_code": 22, "province_name": "Quảng Ninh",
            "address_data_version": "bench", "documents": [], "weight_grams": 500, "zone": "local",
            "postage_vnd": 22000, "postage_payment_code": "HS00000000000", "cod": False, "j_date": DAY,
            "due_date": DAY + timedelta(days=rng.randrange(5)), "tracking_number": f"EB{i:08d}0VN",
            "failed_attempts": 0, "state_at": now, "body_hash": "x", "created_at": now, "created_by": "bench",
            "updated_at": now}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--routes", type=int, default=50)
    parser.add_argument("--db", action="store_true", help="also time plan_day on a SQLite database")
    args = parser.parse_args()
    elapsed = bench_pure(args.n, args.routes)
    if args.db:
        elapsed = max(elapsed, bench_db(args.n, args.routes))
    print(f"goal < 2 s: {'met' if elapsed < 2 else 'NOT met'}")


if __name__ == "__main__":
    main()
