"""The migrations build exactly the schema the models describe, on both databases."""
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from kernel import migrate
from migrations.registry import target_metadata
from payments import cash
from payments.models import CashDrawer, PaymentReference
from tests.factories import assert_ledger_ok, make_request
from tests.recon_factories import bank_callback, paid_vnd


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
    _to(database_url, "downgrade", "0016")
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
        _to(database_url, "upgrade", "head")
    with db() as s:  # and 0019 knows each payment by its key (`payment_references`)
        stored = s.execute(sa.select(PaymentReference.payment_id, PaymentReference.key)
                           .order_by(PaymentReference.payment_id)).all()
    assert stored == [(1, "500096828"), (2, "FT261124"), (3, "500096828")]


def _to(url: str, direction: str, revision: str) -> None:
    """As `hccpay db upgrade` migrates (`kernel.migrate`), either way."""
    getattr(migrate, direction)(url, revision)


def test_an_upgrade_that_rebuilds_a_table_keeps_the_money_pointing_at_it(client, auth, test_settings, engine,
                                                                        database_url, db):
    """SQLite alters a table by copying it and dropping the old one (0016 rebuilds payment_requests):
    with foreign keys enforced, the drop failed under a request with a payment, so a database holding
    money could not be upgraded. `migrate.upgrade` (what `hccpay db upgrade` runs) checks the keys
    once the migration is done instead."""
    code = make_request(client, auth, ("Lệ phí", "charge", 30_000))
    bank_callback(client, test_settings, "FT-MIGRATE-1", 30_000, f"{code} nop phi")
    try:
        _to(database_url, "downgrade", "0015")
    finally:
        migrate.upgrade(database_url)
    assert migrate.is_current(engine)
    assert paid_vnd(client, code) == 30_000
    assert_ledger_ok(db)


def test_an_upgrade_that_would_leave_a_dangling_key_is_refused_and_keeps_nothing(engine, database_url):
    """Checked, not merely switched off: a row left pointing at nothing fails the upgrade, and
    nothing of it is kept (SQLite; PostgreSQL alters in place and checks every key as it goes)."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's table rebuilds only")
    _to(database_url, "downgrade", "0016")
    raw = engine.raw_connection()
    try:  # a row no key check let in: the upgrade must find it
        raw.driver_connection.execute("PRAGMA foreign_keys=OFF")
        raw.driver_connection.execute(
            "INSERT INTO payment_allocations (payment_id, payment_request_id, amount_vnd, how, created_at, "
            "created_by) VALUES (999, 999, 1, 'exact', '2026-11-24 02:00:00', 'test')")
        raw.driver_connection.execute("PRAGMA foreign_keys=ON")
    finally:
        raw.close()
    try:
        with pytest.raises(migrate.MigrationError, match="payment_allocations"):
            migrate.upgrade(database_url)
        assert migrate.current_revision(engine) == "0016"
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM payment_allocations WHERE payment_id = 999")
        migrate.upgrade(database_url)


@pytest.mark.parametrize("outcome", ["done", "failed"])
def test_the_connection_a_migration_gives_back_enforces_foreign_keys_again(engine, database_url, monkeypatch,
                                                                           outcome):
    """The keys are off for the migration only: a connection back in its pool with them off would let
    whatever it runs next point at nothing. SQLite ignores the pragma inside a transaction, so they
    are switched on again after the commit (or the rollback), not before it."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's pragma only")
    import kernel.db

    given_back, make_engine = [], kernel.db.make_engine

    def watched(url, **kwargs):  # the keys of each connection as it goes back to the pool
        made = make_engine(url, **kwargs)
        sa.event.listen(made, "checkin", lambda dbapi_conn, _record: given_back.append(
            dbapi_conn.execute("PRAGMA foreign_keys").fetchone()[0]))
        return made

    def broken(*args):
        raise RuntimeError("a migration failed halfway")

    monkeypatch.setattr(kernel.db, "make_engine", watched)
    if outcome == "failed":
        monkeypatch.setattr(migrate.command, "upgrade", broken)
        with pytest.raises(RuntimeError, match="halfway"):
            migrate.upgrade(database_url)
    else:
        migrate.upgrade(database_url)
    assert given_back == [1]


DRAWERS = sa.table("cash_drawers", *(sa.column(name) for name in (
    "id", "cashier", "business_date", "opened_at", "closed_at", "counted_vnd")))


def test_0020_keys_the_drawers_by_principal_and_goes_down_again(engine, database_url, db, test_settings):
    """Each drawer stored before 0020 is keyed by the principal (`kind:id`) of the actor string it was
    opened under; one a rename split off its principal's drawer of the same day (the defect 0020 ends)
    is kept with its money, keyed apart by its id. Down again, the drawers are found by actor string."""
    rows = [(1, "user:7:Nguyễn Văn A", "2026-11-24"), (2, "user:7:Nguyễn Văn A", "2026-11-25"),
            (3, "user:7:Nguyễn Văn B", "2026-11-25"), (4, "token:7:quầy 2", "2026-11-25")]
    _to(database_url, "downgrade", "0019")
    try:
        with engine.begin() as conn:
            conn.execute(sa.insert(DRAWERS), [{"id": i, "cashier": who, "business_date": day,
                                               "opened_at": f"{day} 01:00:00", "closed_at": None, "counted_vnd": None}
                                              for i, who, day in rows])
    finally:
        _to(database_url, "upgrade", "head")
    with db() as s:
        keyed = s.execute(sa.select(CashDrawer.id, CashDrawer.cashier_key, CashDrawer.cashier)
                          .order_by(CashDrawer.id)).all()
    assert keyed == [(1, "user:7", "user:7:Nguyễn Văn A"), (2, "user:7", "user:7:Nguyễn Văn A"),
                     (3, "user:7#3", "user:7:Nguyễn Văn B"), (4, "token:7", "token:7:quầy 2")]
    on_the_25th = datetime(2026, 11, 25, 3, 0, tzinfo=timezone.utc)
    with db() as s, s.begin():  # cash goes into the principal's drawer; the split one is still theirs to close
        assert cash.drawer_for(s, cashier="user:7:Nguyễn Văn C", now=on_the_25th).id == 2
        closed = cash.close_drawer(s, drawer_id=3, counted_vnd=0, actor="user:7:Nguyễn Văn C", any_drawer=False,
                                   confirmed_difference_vnd=None, settings=test_settings, now=on_the_25th)
        assert closed["difference_vnd"] == 0
    try:
        _to(database_url, "downgrade", "0019")
        with engine.connect() as conn:
            assert [tuple(r) for r in conn.execute(sa.select(DRAWERS.c.id, DRAWERS.c.cashier)
                                                   .order_by(DRAWERS.c.id))] == [(i, who) for i, who, _ in rows]
            assert "cashier_key" not in {c["name"] for c in sa.inspect(conn).get_columns("cash_drawers")}
    finally:
        _to(database_url, "upgrade", "head")
    with db() as s:
        assert s.execute(sa.select(CashDrawer.id, CashDrawer.cashier_key).order_by(CashDrawer.id)).all() == \
            [(i, key) for i, key, _ in keyed]
