"""accounts, systems, credentials, security log

Revision ID: 0001
Revises:
Create Date: 2026-11-22 10:53:58.452387
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pluralspace.kit.db

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('accounts',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('created_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_accounts')),
    sa.UniqueConstraint('email', name=op.f('uq_accounts_email'))
    )
    op.create_table('credentials',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('family_id', sa.Uuid(), nullable=False),
    sa.Column('access_hash', sa.String(length=64), nullable=False),
    sa.Column('refresh_hash', sa.String(length=64), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('scopes', sa.String(length=1000), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('refresh_expires_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoke_reason', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_credentials_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credentials')),
    sa.UniqueConstraint('access_hash', name=op.f('uq_credentials_access_hash')),
    sa.UniqueConstraint('refresh_hash', name=op.f('uq_credentials_refresh_hash'))
    )
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.create_index('ix_credentials_account_kind_created', ['account_id', 'kind', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_credentials_family', ['family_id'], unique=False)

    op.create_table('security_events',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.String(length=256), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('created_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_security_events_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_security_events'))
    )
    with op.batch_alter_table('security_events', schema=None) as batch_op:
        batch_op.create_index('ix_security_events_account_created', ['account_id', 'created_at', 'id'], unique=False)

    op.create_table('systems',
    sa.Column('uuid', sa.Uuid(), nullable=False),
    sa.Column('hid', sa.String(length=6), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('tag', sa.String(length=79), nullable=True),
    sa.Column('pronouns', sa.String(length=100), nullable=True),
    sa.Column('color', sa.String(length=6), nullable=True),
    sa.Column('avatar_url', sa.String(length=256), nullable=True),
    sa.Column('banner_url', sa.String(length=256), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('privacy', sa.JSON(), nullable=False),
    sa.Column('created_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_systems_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('uuid', name=op.f('pk_systems')),
    sa.UniqueConstraint('account_id', name=op.f('uq_systems_account_id')),
    sa.UniqueConstraint('hid', name=op.f('uq_systems_hid'))
    )


def downgrade() -> None:
    op.drop_table('systems')
    with op.batch_alter_table('security_events', schema=None) as batch_op:
        batch_op.drop_index('ix_security_events_account_created')

    op.drop_table('security_events')
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.drop_index('ix_credentials_family')
        batch_op.drop_index('ix_credentials_account_kind_created')

    op.drop_table('credentials')
    op.drop_table('accounts')
