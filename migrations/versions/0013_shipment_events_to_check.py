"""shipment events: a partial index of the courier reports people must look at (COD checks and
conflicting event ids), listed newest first on the postal board without reading every event

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26 20:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

TO_CHECK = "event IN ('cod_check', 'courier_conflict')"


def upgrade() -> None:
    op.create_index('ix_shipment_events_to_check', 'shipment_events', ['id'], unique=False,
                    postgresql_where=sa.text(TO_CHECK), sqlite_where=sa.text(TO_CHECK))


def downgrade() -> None:
    op.drop_index('ix_shipment_events_to_check', table_name='shipment_events')
