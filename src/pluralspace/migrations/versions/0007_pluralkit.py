"""pluralkit: linked Discord accounts and proxied-message records for the PluralKit-compatible API

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pluralspace.kit.db

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pluralkit_accounts',
    sa.Column('discord_id', sa.String(length=20), nullable=False),
    sa.Column('system_uuid', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['system_uuid'], ['systems.uuid'], name=op.f('fk_pluralkit_accounts_system_uuid_systems'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('discord_id', name=op.f('pk_pluralkit_accounts'))
    )
    with op.batch_alter_table('pluralkit_accounts', schema=None) as batch_op:
        batch_op.create_index('ix_pluralkit_accounts_system', ['system_uuid'], unique=False)

    op.create_table('pluralkit_messages',
    sa.Column('id', sa.String(length=20), nullable=False),
    sa.Column('original', sa.String(length=20), nullable=True),
    sa.Column('system_uuid', sa.Uuid(), nullable=False),
    sa.Column('member_uuid', sa.Uuid(), nullable=True),
    sa.Column('sender', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('guild', sa.String(length=20), nullable=True),
    sa.Column('timestamp', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_uuid'], ['members.uuid'], name=op.f('fk_pluralkit_messages_member_uuid_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['system_uuid'], ['systems.uuid'], name=op.f('fk_pluralkit_messages_system_uuid_systems'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pluralkit_messages'))
    )
    with op.batch_alter_table('pluralkit_messages', schema=None) as batch_op:
        batch_op.create_index('ix_pluralkit_messages_member', ['member_uuid'], unique=False)
        batch_op.create_index('ix_pluralkit_messages_original', ['original'], unique=False)
        batch_op.create_index('ix_pluralkit_messages_system', ['system_uuid'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('pluralkit_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_pluralkit_messages_system')
        batch_op.drop_index('ix_pluralkit_messages_original')
        batch_op.drop_index('ix_pluralkit_messages_member')

    op.drop_table('pluralkit_messages')
    with op.batch_alter_table('pluralkit_accounts', schema=None) as batch_op:
        batch_op.drop_index('ix_pluralkit_accounts_system')

    op.drop_table('pluralkit_accounts')
