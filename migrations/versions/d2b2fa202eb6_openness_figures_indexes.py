"""openness figures indexes

The openness figures (gongjian/stats) aggregate bookings per venue and status over a range of
start instants: ix_bookings_figures covers those aggregates (no table visits, rows in venue and
status order), ix_bookings_decided holds only the decided bookings for the decision-time median.
Both are declared in gongjian/stats/models.py.

Revision ID: d2b2fa202eb6
Revises: 070ecfef1ba6
Create Date: 2026-11-28 01:53:40.814417

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd2b2fa202eb6'
down_revision = '070ecfef1ba6'
branch_labels = None
depends_on = None


DECIDED = sa.text('decided_at IS NOT NULL')


def upgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index(
            'ix_bookings_decided',
            ['venue_id', 'start_at', 'decided_at', 'created_at', 'status'],
            unique=False, sqlite_where=DECIDED, postgresql_where=DECIDED)
        batch_op.create_index(
            'ix_bookings_figures',
            ['venue_id', 'status', 'start_at', 'end_at', 'attendees', 'rating', 'decided_at',
             'booker_id', 'organization_id'],
            unique=False)


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_figures')
        batch_op.drop_index('ix_bookings_decided', sqlite_where=DECIDED,
                            postgresql_where=DECIDED)
