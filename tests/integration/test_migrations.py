"""The migrations build exactly the schema the models describe, on both databases."""
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from kernel import migrate
from migrations.registry import target_metadata
from payments.models import Payment


def test_the_models_and_the_migrated_schema_agree(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), target_metadata)
    assert diff == []


def test_the_database_is_at_the_head_revision(engine):
    assert migrate.is_current(engine)



def test_0017_keys_the_payments_stored_before_it_as_new_ones_are_keyed(engine, database_url, db):
    """The backfill applies `normalise_ref` itself: a stored "5000.96828" is then found by "500096828",
    and a filler stays no reference (NULL), as `credits` writes them."""
    references = ["5000.96828", "ft-2611 24", "500096828", "0", "N/A", "NOTPROVIDED", None]
    _to(engine, database_url, "downgrade", "0016")
    try:
        table = sa.table("payments", *(sa.column(name) for name in (
            "id", "provider", "provider_ref", "channel", "amount_vnd", "unallocated_vnd", "status", "booked_at",
            "recorded_at", "clearing_account", "bank_reference")))
        with engine.begin() as conn:
            conn.execute(sa.insert(table), [{
                "id": i + 1, "provider": "bank", "provider_ref": f"T{i}", "channel": "vietqr_transfer",
                "amount_vnd": 10_000, "unallocated_vnd": 10_000, "status": "active", "booked_at": "2026-11-24 02:00:00",
                "recorded_at": "2026-11-24 02:00:00", "clearing_account": "bank:970436:0071001234567",
                "bank_reference": reference} for i, reference in enumerate(references)])
    finally:
        _to(engine, database_url, "upgrade", "head")
    with db() as s:
        stored = s.execute(sa.select(Payment.bank_reference, Payment.bank_reference_key).order_by(Payment.id)).all()
    assert stored == [("5000.96828", "500096828"), ("ft-2611 24", "FT261124"), ("500096828", "500096828"),
                      ("0", None), ("N/A", None), ("NOTPROVIDED", None), (None, None)]


def _to(engine, url: str, direction: str, revision: str) -> None:
    config = migrate.alembic_config(url)
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        getattr(command, direction)(config, revision)
        conn.commit()
