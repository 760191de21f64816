"""Benchmark VietQR payload builds and PNG/SVG renders against a bare qrcode render of the same payloads.

Usage: .venv/bin/python bench/qr.py [--n N]
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from pathlib import Path

import qrcode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from payments.vietqr import build_payload, render_png, render_svg  # noqa: E402

BINS = ("970436", "970415", "970418", "970405", "970422", "970416", "970403", "546034")


def make_inputs(n: int, seed: int = 2025) -> list[dict]:
    """N realistic build inputs: a payment code in the purpose, amounts of fee size."""
    rng = random.Random(seed)
    return [
        {
            "bin": rng.choice(BINS),
            "account": str(rng.randrange(10**9, 10**14)),
            "amount_vnd": rng.randrange(1, 500) * 1000,
            "purpose": f"HS{rng.randrange(10**9):09d}{rng.randrange(100):02d} Nộp phí hồ sơ",
        }
        for _ in range(n)
    ]


def rate(func, items) -> float:
    """Calls per second of func over items."""
    start = time.perf_counter()
    for item in items:
        func(item)
    return len(items) / (time.perf_counter() - start)


def bare_png(payload: str) -> bytes:
    """What a caller would write with qrcode alone: the baseline render_png is measured against."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    qr.add_data(payload)
    out = io.BytesIO()
    qr.make_image().save(out)
    return out.getvalue()


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print one figure per line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="payloads to render (builds use 100 x N)")
    n = parser.parse_args(argv).n
    inputs = make_inputs(n)
    payloads = [build_payload(**kw) for kw in inputs]
    build_inputs = inputs * 100  # builds are ~1000x cheaper than renders: time enough of them
    render_png(payloads[0]), bare_png(payloads[0])  # warm imports and caches outside the timing

    builds = rate(lambda kw: build_payload(**kw), build_inputs)
    # Interleave the two PNG measurements so a noisy neighbour hurts both alike.
    ours = bare = 0.0
    for _ in range(2):
        ours += rate(render_png, payloads)
        bare += rate(bare_png, payloads)
    svg = rate(render_svg, payloads)

    print(f"payloads: {n} renders, {len(build_inputs)} builds")
    print(f"payload builds/s: {builds:,.0f}")
    print(f"render_png renders/s: {ours / 2:,.1f}")
    print(f"bare qrcode PNG renders/s: {bare / 2:,.1f}")
    print(f"ratio ours/bare: {ours / bare:.3f} (goal >= 0.9)")
    print(f"render_svg renders/s: {svg:,.1f}")
    served_qr(min(n, 100))


def served_qr(n: int) -> None:
    """GET /payment-requests/<code>/qr.png through the app: a fresh render, a warm (cached) answer,
    and a 304 revalidation, each in ms per request (in-process, SQLite in a temporary file)."""
    import tempfile

    from config import load_settings
    from kernel import migrate
    from kernel.auth import create_token
    from kernel.clock import now_utc
    from kernel.db import make_engine, make_session_factory, unit_of_work
    from payments import routes

    url = f"sqlite:///{tempfile.mkdtemp()}/qr.sqlite3"
    migrate.upgrade(url)
    with unit_of_work(make_session_factory(make_engine(url))) as session:
        _, token = create_token(session, role="intake", name="bench", actor="bench", now=now_utc())
    from api import create_app

    client = create_app(load_settings({"HCCPAY_DEMO": "1", "DATABASE_URL": url, "HCCPAY_PUBLIC_RATE_LIMIT": ""})
                        ).test_client()
    codes = []
    for i in range(n):
        body = {"code": f"QR-{i}", "procedure_code": "1", "procedure_name": "Thủ tục", "agency_code": "A",
                "applicant": {"name": "Nguyễn Văn An", "phone": "0912345678"},
                "fees": [{"name": "Lệ phí", "kind": "fee", "amount_vnd": 10_000 + i}]}
        codes.append(client.post("/api/v1/dossiers", json=body, headers={"Authorization": f"Bearer {token}"})
                     .json["payment_request"]["payment_code"])

    etags: dict[str, str] = {}

    def per_request(revalidate: bool = False) -> float:
        started = time.perf_counter()
        for code in codes:
            headers = {"If-None-Match": etags[code]} if revalidate else {}
            etags[code] = client.get(f"/api/v1/payment-requests/{code}/qr.png", headers=headers).headers["ETag"]
        return (time.perf_counter() - started) / len(codes) * 1000

    routes._rendered.cache_clear()
    fresh = per_request()
    warm = per_request()
    revalidated = per_request(revalidate=True)
    print(f"GET qr.png, fresh render: {fresh:.2f} ms/request")
    print(f"GET qr.png, warm (rendered once, cached): {warm:.2f} ms/request ({fresh / warm:.1f}x cheaper)")
    print(f"GET qr.png with If-None-Match: {revalidated:.2f} ms/request (304 for an unchanged image)")


if __name__ == "__main__":
    main()
