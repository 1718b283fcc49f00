"""venue timetable version

`venues.hours_version`: a new random value with every new weekly timetable, so processes may
keep a venue's timetable by it. Venues that already have one get a version now.

Revision ID: e5a9c4b6f1d7
Revises: d4f8b3a5e0c6
Create Date: 2026-11-28 17:00:00

"""
import uuid

import sqlalchemy as sa
from alembic import op

revision = 'e5a9c4b6f1d7'
down_revision = 'd4f8b3a5e0c6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hours_version', sa.String(length=32), nullable=True))
    conn = op.get_bind()
    with_hours = conn.execute(sa.text("SELECT DISTINCT venue_id FROM opening_hours")).scalars()
    for venue_id in list(with_hours):
        conn.execute(sa.text("UPDATE venues SET hours_version = :version WHERE id = :id"),
                     {"version": uuid.uuid4().hex, "id": venue_id})


def downgrade():
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.drop_column('hours_version')
