"""media: stored images (system and member avatars and banners)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 19:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pluralspace.kit.db

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'media',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('system_uuid', sa.Uuid(), nullable=False),
        sa.Column('member_uuid', sa.Uuid(), nullable=True),
        sa.Column('slot', sa.String(length=16), nullable=False),
        sa.Column('content_type', sa.String(length=32), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('created_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['member_uuid'], ['members.uuid'], name=op.f('fk_media_member_uuid_members'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['system_uuid'], ['systems.uuid'], name=op.f('fk_media_system_uuid_systems'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_media')),
    )
    op.create_index('ix_media_system_member_slot', 'media', ['system_uuid', 'member_uuid', 'slot'], unique=False)
    op.create_index('ix_media_member', 'media', ['member_uuid'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_media_member', table_name='media')
    op.drop_index('ix_media_system_member_slot', table_name='media')
    op.drop_table('media')
