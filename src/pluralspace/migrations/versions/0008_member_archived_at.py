"""members.archived_at: when a member was archived (for Wrapped's members.archived)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 15:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pluralspace.kit.db

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('archived_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_members_system_archived', ['system_uuid', 'archived_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index('ix_members_system_archived')
        batch_op.drop_column('archived_at')
