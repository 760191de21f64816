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

