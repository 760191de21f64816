"""shipment check resolutions: a courier report listed for people (a cod_check or courier_conflict
event, postal.checks) marked as dealt with by a postal clerk, with who, when and why; one per report.
The board lists the reports without one, oldest first.

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-27 12:30:00
"""
from alembic import op
import sqlalchemy as sa

import kernel.db

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('shipment_check_resolutions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('resolved_at', kernel.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_by', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['shipment_events.id'],
                            name=op.f('fk_shipment_check_resolutions_event_id_shipment_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shipment_check_resolutions')),
    sa.UniqueConstraint('event_id', name=op.f('uq_shipment_check_resolutions_event_id'))
    )


def downgrade() -> None:
    op.drop_table('shipment_check_resolutions')
