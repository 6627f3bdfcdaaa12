"""fronts: per-member front intervals

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 11:11:16.027553
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pluralspace.kit.db

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fronts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('system_uuid', sa.Uuid(), nullable=False),
    sa.Column('member_uuid', sa.Uuid(), nullable=False),
    sa.Column('started_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('created_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_uuid'], ['members.uuid'], name=op.f('fk_fronts_member_uuid_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['system_uuid'], ['systems.uuid'], name=op.f('fk_fronts_system_uuid_systems'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fronts'))
    )
    with op.batch_alter_table('fronts', schema=None) as batch_op:
        batch_op.create_index('ix_fronts_member_started', ['member_uuid', 'started_at', 'id'], unique=False)
        batch_op.create_index('ix_fronts_system_ended', ['system_uuid', 'ended_at'], unique=False)
        batch_op.create_index('ix_fronts_system_started', ['system_uuid', 'started_at', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('fronts', schema=None) as batch_op:
        batch_op.drop_index('ix_fronts_system_started')
        batch_op.drop_index('ix_fronts_system_ended')
        batch_op.drop_index('ix_fronts_member_started')

    op.drop_table('fronts')
