"""polls, votes and thoughts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 11:40:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pluralspace.kit.db

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('polls',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('system_uuid', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('allow_multiple', sa.Boolean(), nullable=False),
    sa.Column('allow_abstain', sa.Boolean(), nullable=False),
    sa.Column('allow_veto', sa.Boolean(), nullable=False),
    sa.Column('closes_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['members.uuid'], name=op.f('fk_polls_created_by_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['system_uuid'], ['systems.uuid'], name=op.f('fk_polls_system_uuid_systems'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_polls'))
    )
    with op.batch_alter_table('polls', schema=None) as batch_op:
        batch_op.create_index('ix_polls_system_created', ['system_uuid', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_polls_created_by', ['created_by'], unique=False)

    op.create_table('votes',
    sa.Column('poll_id', sa.Uuid(), nullable=False),
    sa.Column('member_uuid', sa.Uuid(), nullable=False),
    sa.Column('option_ids', sa.JSON(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('created_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_uuid'], ['members.uuid'], name=op.f('fk_votes_member_uuid_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_votes_poll_id_polls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('poll_id', 'member_uuid', name=op.f('pk_votes'))
    )
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.create_index('ix_votes_member', ['member_uuid'], unique=False)

    op.create_table('thoughts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('system_uuid', sa.Uuid(), nullable=False),
    sa.Column('member_uuid', sa.Uuid(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('date', sa.String(length=10), nullable=False),
    sa.Column('created_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_uuid'], ['members.uuid'], name=op.f('fk_thoughts_member_uuid_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['system_uuid'], ['systems.uuid'], name=op.f('fk_thoughts_system_uuid_systems'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_thoughts'))
    )
    with op.batch_alter_table('thoughts', schema=None) as batch_op:
        batch_op.create_index('ix_thoughts_system_created', ['system_uuid', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_thoughts_system_date', ['system_uuid', 'date', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_thoughts_member', ['member_uuid'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('thoughts', schema=None) as batch_op:
        batch_op.drop_index('ix_thoughts_member')
        batch_op.drop_index('ix_thoughts_system_date')
        batch_op.drop_index('ix_thoughts_system_created')

    op.drop_table('thoughts')
    with op.batch_alter_table('votes', schema=None) as batch_op:
        batch_op.drop_index('ix_votes_member')

    op.drop_table('votes')
    with op.batch_alter_table('polls', schema=None) as batch_op:
        batch_op.drop_index('ix_polls_created_by')
        batch_op.drop_index('ix_polls_system_created')

    op.drop_table('polls')
