"""unit desk (approvals, attendance)

No schema change: the desk works on the booking, notification and audit tables as they are
(QR check-in tokens are HMACs of the booking id, never stored; the approval queue, the booker
records and the unit notices use the existing indexes). The revision keeps the chain intact.

Revision ID: c3e7a2f4d9b5
Revises: b2d6f1e3c8a4
Create Date: 2026-11-28 02:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c3e7a2f4d9b5'
down_revision = 'b2d6f1e3c8a4'
branch_labels = None
depends_on = None


def upgrade():
    pass  # nothing to change: see the docstring


def downgrade():
    pass
