"""opening hours editor, closures and holidays

Revision ID: b2d6f1e3c8a4
Revises: a1c5e0d2b7f3
Create Date: 2026-11-28 02:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'b2d6f1e3c8a4'
down_revision = 'a1c5e0d2b7f3'
branch_labels = None
depends_on = None


def upgrade():
    # The per-venue switch "closed on statutory holidays, open on make-up working days";
    # existing venues keep their weekly timetable alone (off).
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_on_holidays', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.drop_column('closed_on_holidays')
