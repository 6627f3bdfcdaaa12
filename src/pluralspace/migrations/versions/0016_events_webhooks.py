"""events (one per change to a system), webhooks and their deliveries; jobs.not_before (a job queued for later)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 19:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pluralspace.kit.db

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

EVENT_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.add_column('jobs', sa.Column('not_before', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        'events',
        sa.Column('id', EVENT_ID, autoincrement=True, nullable=False),
        sa.Column('system_uuid', sa.Uuid(), nullable=False),
        sa.Column('type', sa.String(length=32), nullable=False),
        sa.Column('occurred_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('owner_data', sa.JSON(), nullable=False),
        sa.Column('public_data', sa.JSON(), nullable=True),
        sa.Column('dispatched', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['system_uuid'], ['systems.uuid'], name=op.f('fk_events_system_uuid_systems'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    )
    op.create_index('ix_events_system_id', 'events', ['system_uuid', 'id'], unique=False)
    op.create_index('ix_events_occurred', 'events', ['occurred_at'], unique=False)
    op.create_index('ix_events_undispatched', 'events', ['id'], unique=False, sqlite_where=sa.text('dispatched = 0'),
                    postgresql_where=sa.text('dispatched = false'))
    op.create_table(
        'webhooks',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('system_uuid', sa.Uuid(), nullable=False),
        sa.Column('format', sa.String(length=16), nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('event_types', sa.JSON(), nullable=False),
        sa.Column('secret', sa.String(length=200), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('credential_family_id', sa.Uuid(), nullable=True),
        sa.Column('credential_kind', sa.String(length=16), nullable=False),
        sa.Column('failing_since', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('disabled_reason', sa.Text(), nullable=True),
        sa.Column('created_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['system_uuid'], ['systems.uuid'], name=op.f('fk_webhooks_system_uuid_systems'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhooks')),
    )
    op.create_index('ix_webhooks_system_created', 'webhooks', ['system_uuid', 'created_at', 'id'], unique=False)
    op.create_table(
        'webhook_deliveries',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('webhook_id', sa.Uuid(), nullable=False),
        sa.Column('event_id', EVENT_ID, nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('response_status', sa.Integer(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('latency_ms', sa.Integer(), nullable=True),
        sa.Column('created_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_attempt_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('next_attempt_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_webhook_deliveries_event_id_events'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['webhook_id'], ['webhooks.id'],
                                name=op.f('fk_webhook_deliveries_webhook_id_webhooks'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
    )
    op.create_index('ix_webhook_deliveries_webhook_created', 'webhook_deliveries', ['webhook_id', 'created_at', 'id'],
                    unique=False)
    op.create_index('ix_webhook_deliveries_pending', 'webhook_deliveries', ['webhook_id', 'event_id'], unique=False,
                    sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))


def downgrade() -> None:
    op.drop_table('webhook_deliveries')
    op.drop_table('webhooks')
    op.drop_table('events')
    with op.batch_alter_table('jobs') as batch:
        batch.drop_column('not_before')
