"""Migration 0017 on a database that holds money: a credited payment (allocations, ledger lines and a
receipt point at it) survives downgrade, upgrade and downgrade again, and is keyed each time."""
import importlib.util
from pathlib import Path

import sqlalchemy as sa

import migrations

from payments.models import Payment, PaymentReference
from tests.factories import assert_ledger_ok, make_request
from tests.integration.test_migrations import _to
from tests.recon_factories import bank_callback, paid_vnd


def test_0017_goes_down_and_up_again_under_credited_payments(client, auth, test_settings, engine, database_url, db):
    code = make_request(client, auth, ("Lệ phí", "charge", 30_000))
    bank_callback(client, test_settings, "5000.96828", 30_000, f"{code} nop phi")
    assert paid_vnd(client, code) == 30_000
    try:
        for _ in range(2):
            _to(database_url, "downgrade", "0016")
            _to(database_url, "upgrade", "head")
    finally:
        _to(database_url, "upgrade", "head")
    with db() as s:
        assert s.execute(sa.select(Payment.bank_reference, PaymentReference.key).join(
            PaymentReference, PaymentReference.payment_id == Payment.id)).all() == [("5000.96828", "500096828")]
    assert paid_vnd(client, code) == 30_000
    assert_ledger_ok(db)


def test_0017_backfill_keeps_going_past_a_batch_of_fillers_only(engine, database_url, db, monkeypatch):
    """The cursor moves on by the rows read, not the rows keyed: a batch of nothing but fillers is
    no end of the table. (Run on the schema of 0018: 0019 replaced the key by `payment_references`.)"""
    migration = load_migration("0017_payments_bank_reference_key")
    monkeypatch.setattr(migration, "BATCH", 2)
    references = ["N/A", "0", "NOTPROVIDED", "000", "5000.96828", None, "ft-2611 24"]
    _to(database_url, "downgrade", "0018")
    try:
        with engine.begin() as conn:
            conn.execute(sa.insert(PAYMENTS), [{
                "id": i + 1, "provider": "bank", "provider_ref": f"T{i}", "channel": "vietqr_transfer",
                "amount_vnd": 10_000, "unallocated_vnd": 10_000, "status": "active", "booked_at": "2026-11-24 02:00:00",
                "recorded_at": "2026-11-24 02:00:00", "clearing_account": "bank:970436:0071001234567", "bank_reference": reference}
                for i, reference in enumerate(references)])
            migration.backfill(conn)
            keys = conn.execute(sa.select(PAYMENTS.c.bank_reference_key).order_by(PAYMENTS.c.id)).scalars().all()
    finally:
        _to(database_url, "upgrade", "head")
    assert keys == [None, None, None, None, "500096828", None, "FT261124"]


# `payments` as it is before 0019 (with `bank_reference_key`).
PAYMENTS = sa.table("payments", *(sa.column(name) for name in (
    "id", "provider", "provider_ref", "channel", "amount_vnd", "unallocated_vnd", "status", "booked_at",
    "recorded_at", "clearing_account", "bank_reference", "bank_reference_key")))


def load_migration(name: str):
    path = Path(migrations.__file__).parent / "versions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"migration_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
