"""Migration 0017 on a database that holds money: a credited payment (allocations, ledger lines and a
receipt point at it) survives downgrade, upgrade and downgrade again, and is keyed each time."""
import importlib.util
from pathlib import Path

import sqlalchemy as sa

import migrations

from payments.models import Payment
from tests.conftest import T0
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
        assert s.execute(sa.select(Payment.bank_reference, Payment.bank_reference_key)).all() == [
            ("5000.96828", "500096828")]
    assert paid_vnd(client, code) == 30_000
    assert_ledger_ok(db)


def test_0017_backfill_keeps_going_past_a_batch_of_fillers_only(engine, db, monkeypatch):
    """The cursor moves on by the rows read, not the rows keyed: a batch of nothing but fillers is
    no end of the table."""
    migration = _load_0017()
    monkeypatch.setattr(migration, "BATCH", 2)
    references = ["N/A", "0", "NOTPROVIDED", "000", "5000.96828", None, "ft-2611 24"]
    with engine.begin() as conn:
        conn.execute(sa.insert(Payment.__table__), [{
            "id": i + 1, "provider": "bank", "provider_ref": f"T{i}", "channel": "vietqr_transfer",
            "amount_vnd": 10_000, "unallocated_vnd": 10_000, "status": "active", "booked_at": T0, "recorded_at": T0,
            "clearing_account": "bank:970436:0071001234567", "bank_reference": reference}
            for i, reference in enumerate(references)])
        migration.backfill(conn)
    with db() as s:
        keys = s.execute(sa.select(Payment.bank_reference_key).order_by(Payment.id)).scalars().all()
    assert keys == [None, None, None, None, "500096828", None, "FT261124"]


def _load_0017():
    path = Path(migrations.__file__).parent / "versions" / "0017_payments_bank_reference_key.py"
    spec = importlib.util.spec_from_file_location("migration_0017", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
