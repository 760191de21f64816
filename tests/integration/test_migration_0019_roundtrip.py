"""Migration 0019 on a database that holds money: two transfers, each reported by the statement and
the bank's API under different references and linked as one payment by its code (one statement
first, one API first). Down to 0018 each payment is keyed by its own reference again; up again it is
known by both (the claim's reference from the statement payment's details, the line's from the
statement line), so a third feed naming either reference is still linked, not credited again."""
import sqlalchemy as sa

from payments.credits import LINKED
from payments.models import PaymentReference
from tests.factories import assert_ledger_ok, make_request
from tests.integration.test_bank_reference_forms import credit
from tests.integration.test_migration_0017_roundtrip import PAYMENTS, load_migration
from tests.integration.test_migrations import _to
from tests.recon_factories import all_lines, bank_callback, paid_vnd, upload, vcb_csv


def line_payment(client, auth, ref: str, code: str) -> int:
    body = upload(client, auth, vcb_csv((ref, "", "100.000", f"{code} nop phi"))).json
    [line] = all_lines(client, auth, body["import_id"])
    return line["payment_id"]


def two_transfers_three_references(client, auth, settings) -> tuple[tuple[str, int], tuple[str, int]]:
    """(code, payment id) of a statement-first and of an API-first transfer."""
    first, second = make_request(client, auth), make_request(client, auth)
    statement_payment = line_payment(client, auth, "5000.11111", first)
    bank_callback(client, settings, "FT330123456", 100_000, f"{first} nop phi")
    bank_callback(client, settings, "FT330654321", 100_000, f"{second} nop phi")
    callback_payment = line_payment(client, auth, "5000.22222", second)
    return (first, statement_payment), (second, callback_payment)


def references(db) -> set[tuple[int, str, str]]:
    with db() as s:
        return set(s.execute(sa.select(PaymentReference.payment_id, PaymentReference.key, PaymentReference.source)))


def test_0019_goes_down_and_up_again_under_payments_known_by_two_references(client, auth, test_settings, engine,
                                                                              database_url, db):
    (first, statement_payment), (second, callback_payment) = two_transfers_three_references(client, auth,
                                                                                             test_settings)
    known = references(db)
    assert known == {(statement_payment, "500011111", "statement"), (statement_payment, "FT330123456", "bank"),
                     (callback_payment, "FT330654321", "bank"), (callback_payment, "500022222", "statement")}
    try:
        for _ in range(2):
            _to(database_url, "downgrade", "0018")
            with engine.connect() as conn:
                keys = dict(conn.execute(sa.select(PAYMENTS.c.id, PAYMENTS.c.bank_reference_key)).all())
            assert keys == {statement_payment: "500011111", callback_payment: "FT330654321"}
            _to(database_url, "upgrade", "head")
    finally:
        _to(database_url, "upgrade", "head")
    assert references(db) == known
    for code, payment_id, other_reference in ((first, statement_payment, "FT330123456"),
                                              (second, callback_payment, "5000.22222")):
        third = credit(db, test_settings, "sepay", code, other_reference)
        assert (third.outcome, third.payment_id) == (LINKED, payment_id)
        assert paid_vnd(client, code) == 100_000
    assert_ledger_ok(db)


def test_0019_backfill_knows_every_payment_across_batches(client, auth, test_settings, engine, database_url, db,
                                                         monkeypatch):
    """Batch by batch (one payment each here), every reference is found: a payment's own, the claim's,
    a linked statement line's."""
    two_transfers_three_references(client, auth, test_settings)
    known = references(db)
    migration = load_migration("0019_payment_references")
    monkeypatch.setattr(migration, "BATCH", 1)
    _to(database_url, "downgrade", "0018")
    try:
        with engine.begin() as conn:
            PaymentReference.__table__.create(conn)
            migration.backfill(conn)
            again = set(conn.execute(sa.select(PaymentReference.payment_id, PaymentReference.key,
                                               PaymentReference.source)))
            PaymentReference.__table__.drop(conn)
    finally:
        _to(database_url, "upgrade", "head")
    assert again == known == references(db)


def test_0019_backfill_names_the_callback_as_the_source_of_the_reference_a_reference_less_line_took(
        client, auth, test_settings, engine, database_url, db):
    """A statement line naming no reference (a spreadsheet lost it) is known by the reference of the late
    callback that claimed it, named by that callback's provider; a callback's payment by its own,
    named by its provider, also when its line writes it another way. Down and up again, the same."""
    code, other = make_request(client, auth), make_request(client, auth)
    payment_id = line_payment(client, auth, "", code)
    bank_callback(client, test_settings, "FT330777777", 100_000, f"{code} nop phi")
    bank_callback(client, test_settings, "500096828", 100_000, f"{other} nop phi")
    callback_payment = line_payment(client, auth, "5000.96828", other)
    known = references(db)
    assert known == {(payment_id, "FT330777777", "bank"), (callback_payment, "500096828", "bank")}
    try:
        _to(database_url, "downgrade", "0018")
    finally:
        _to(database_url, "upgrade", "head")
    assert references(db) == known
    assert (paid_vnd(client, code), paid_vnd(client, other)) == (100_000, 100_000)
    assert_ledger_ok(db)
