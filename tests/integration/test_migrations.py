"""The migrations build exactly the schema the models describe, on both databases."""
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from kernel import migrate
from migrations.registry import target_metadata


def test_the_models_and_the_migrated_schema_agree(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), target_metadata)
    assert diff == []


def test_the_database_is_at_the_head_revision(engine):
    assert migrate.is_current(engine)


def _downgrade(url: str, revision: str) -> None:
    from alembic import command

    from kernel.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            config = migrate.alembic_config(url)
            config.attributes["connection"] = conn
            command.downgrade(config, revision)
            conn.commit()
    finally:
        engine.dispose()


def test_lines_stored_before_timed_fingerprints_are_rekeyed_so_a_reimport_adds_nothing(client, auth, database_url,
                                                                                       db):
    from sqlalchemy import select

    from reconciliation.models import StatementLine
    from tests.recon_factories import upload

    statement = ("Ngày giao dịch,Giờ giao dịch,Số tiền ghi có,Số tiền ghi nợ,Nội dung\n"
                 "24/11/2026,09:00:00,12.500,,chuyen tien\n24/11/2026,15:00:00,12.500,,chuyen tien\n")
    assert upload(client, auth, statement).json["lines_new"] == 2

    def keys() -> list[str]:
        with db() as s:
            return list(s.execute(select(StatementLine.line_key).order_by(StatementLine.id)).scalars())

    timed = keys()
    _downgrade(database_url, "0009")  # the keys the import made before times were part of them
    assert len(set(keys())) == 2 and keys() != timed
    migrate.upgrade(database_url)
    assert keys() == timed
    again = upload(client, auth, statement).json
    assert (again["lines_new"], again["lines_duplicate"]) == (0, 2)
