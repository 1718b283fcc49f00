"""venue console (photos, markup)

Revision ID: a1c5e0d2b7f3
Revises: d2b2fa202eb6
Create Date: 2026-11-28 02:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a1c5e0d2b7f3'
down_revision = 'd2b2fa202eb6'
branch_labels = None
depends_on = None


def upgrade():
    # A photo's alt text; existing photos get none (the page then describes them by number).
    with op.batch_alter_table('venue_photos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('caption', sa.String(length=200), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('venue_photos', schema=None) as batch_op:
        batch_op.drop_column('caption')
