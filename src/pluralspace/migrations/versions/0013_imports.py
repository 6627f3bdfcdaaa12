"""jobs (durable background work) and import_sources (where imported objects came from)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 16:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pluralspace.kit.db

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

PENDING = sa.text("status IN ('queued', 'running')")


def upgrade() -> None:
    op.create_table(
        'jobs',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('system_uuid', sa.Uuid(), nullable=True),
        sa.Column('lane', sa.String(length=80), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('progress', sa.Float(), nullable=False),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('error', sa.JSON(), nullable=True),
        sa.Column('worker', sa.String(length=80), nullable=True),
        sa.Column('heartbeat_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('created_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('started_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('finished_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['system_uuid'], ['systems.uuid'], name=op.f('fk_jobs_system_uuid_systems'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs')),
    )
    op.create_index('ix_jobs_status_created', 'jobs', ['status', 'created_at'], unique=False)
    op.create_index('ix_jobs_system_kind_created', 'jobs', ['system_uuid', 'kind', 'created_at', 'id'], unique=False)
    op.create_index('ix_jobs_pending_lane', 'jobs', ['lane'], unique=True, sqlite_where=PENDING,
                    postgresql_where=PENDING)
    op.create_table(
        'import_sources',
        sa.Column('system_uuid', sa.Uuid(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('source_format', sa.String(length=32), nullable=False),
        sa.Column('source_id', sa.String(length=200), nullable=False),
        sa.Column('target_id', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['system_uuid'], ['systems.uuid'], name=op.f('fk_import_sources_system_uuid_systems'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('system_uuid', 'kind', 'source_format', 'source_id', name=op.f('pk_import_sources')),
    )


def downgrade() -> None:
    op.drop_table('import_sources')
    op.drop_index('ix_jobs_pending_lane', table_name='jobs')
    op.drop_index('ix_jobs_system_kind_created', table_name='jobs')
    op.drop_index('ix_jobs_status_created', table_name='jobs')
    op.drop_table('jobs')
