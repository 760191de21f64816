"""shipment events: an index on occurred_at, so a day's handover record finds the dossiers that
changed hands that day without reading every event

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26 23:30:00
"""
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_shipment_events_occurred_at', 'shipment_events', ['occurred_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_shipment_events_occurred_at', table_name='shipment_events')
