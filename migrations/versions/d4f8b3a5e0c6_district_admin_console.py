"""district admin console

Manager invitations; an organization's suspension (when and why); an agreement's PDF.

Revision ID: d4f8b3a5e0c6
Revises: c3e7a2f4d9b5
Create Date: 2026-11-28 02:10:00

"""
from alembic import op
import sqlalchemy as sa

from gongjian.db import UTCDateTime


revision = 'd4f8b3a5e0c6'
down_revision = 'c3e7a2f4d9b5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('manager_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('expires_at', UTCDateTime(), nullable=False),
    sa.Column('accepted_at', UTCDateTime(), nullable=True),
    sa.Column('revoked_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_manager_invitations_invited_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_manager_invitations_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_manager_invitations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_manager_invitations_token_hash'))
    )
    with op.batch_alter_table('manager_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_manager_invitations_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_manager_invitations_unit_id'), ['unit_id'], unique=False)

    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_file', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('document_name', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('document_size', sa.Integer(), nullable=True))

    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspended_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('suspension_reason', sa.String(length=500), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('suspension_reason')
        batch_op.drop_column('suspended_at')

    with op.batch_alter_table('agreements', schema=None) as batch_op:
        batch_op.drop_column('document_size')
        batch_op.drop_column('document_name')
        batch_op.drop_column('document_file')

    with op.batch_alter_table('manager_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_manager_invitations_unit_id'))
        batch_op.drop_index(batch_op.f('ix_manager_invitations_email'))

    op.drop_table('manager_invitations')
