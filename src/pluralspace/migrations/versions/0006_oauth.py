"""oauth: developer apps, authorization codes, remembered consent

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 12:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pluralspace.kit.db

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('oauth_clients',
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=True),
    sa.Column('homepage_url', sa.String(length=256), nullable=True),
    sa.Column('redirect_uris', sa.JSON(), nullable=False),
    sa.Column('client_type', sa.String(length=16), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_oauth_clients_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('client_id', name=op.f('pk_oauth_clients'))
    )
    with op.batch_alter_table('oauth_clients', schema=None) as batch_op:
        batch_op.create_index('ix_oauth_clients_account_created', ['account_id', 'created_at', 'client_id'], unique=False)

    op.create_table('oauth_codes',
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('redirect_uri', sa.String(length=512), nullable=False),
    sa.Column('scope', sa.String(length=1000), nullable=False),
    sa.Column('code_challenge', sa.String(length=128), nullable=False),
    sa.Column('code_challenge_method', sa.String(length=8), nullable=False),
    sa.Column('created_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('family_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_oauth_codes_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_id'], ['oauth_clients.client_id'], name=op.f('fk_oauth_codes_client_id_oauth_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('code_hash', name=op.f('pk_oauth_codes'))
    )
    with op.batch_alter_table('oauth_codes', schema=None) as batch_op:
        batch_op.create_index('ix_oauth_codes_account_client', ['account_id', 'client_id'], unique=False)
        batch_op.create_index('ix_oauth_codes_expires', ['expires_at'], unique=False)
        batch_op.create_index('ix_oauth_codes_family', ['family_id'], unique=False)

    op.create_table('oauth_grants',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('client_id', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.String(length=1000), nullable=False),
    sa.Column('granted_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_oauth_grants_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['client_id'], ['oauth_clients.client_id'], name=op.f('fk_oauth_grants_client_id_oauth_clients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('account_id', 'client_id', name=op.f('pk_oauth_grants'))
    )
    with op.batch_alter_table('oauth_grants', schema=None) as batch_op:
        batch_op.create_index('ix_oauth_grants_account_granted', ['account_id', 'granted_at', 'client_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('oauth_grants', schema=None) as batch_op:
        batch_op.drop_index('ix_oauth_grants_account_granted')

    op.drop_table('oauth_grants')
    with op.batch_alter_table('oauth_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_oauth_codes_family')
        batch_op.drop_index('ix_oauth_codes_expires')
        batch_op.drop_index('ix_oauth_codes_account_client')

    op.drop_table('oauth_codes')
    with op.batch_alter_table('oauth_clients', schema=None) as batch_op:
        batch_op.drop_index('ix_oauth_clients_account_created')

    op.drop_table('oauth_clients')
