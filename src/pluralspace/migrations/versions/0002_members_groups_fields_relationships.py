"""members groups fields relationships

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 10:59:11.195506
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pluralspace.kit.db

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fields',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('system_uuid', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('options', sa.JSON(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('privacy', sa.String(length=8), nullable=False),
    sa.Column('created_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['system_uuid'], ['systems.uuid'], name=op.f('fk_fields_system_uuid_systems'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fields'))
    )
    with op.batch_alter_table('fields', schema=None) as batch_op:
        batch_op.create_index('ix_fields_system_position', ['system_uuid', 'position', 'created_at', 'id'], unique=False)

    op.create_table('groups',
    sa.Column('uuid', sa.Uuid(), nullable=False),
    sa.Column('hid', sa.String(length=6), nullable=False),
    sa.Column('system_uuid', sa.Uuid(), nullable=False),
    sa.Column('parent_uuid', sa.Uuid(), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('icon', sa.String(length=256), nullable=True),
    sa.Column('color', sa.String(length=6), nullable=True),
    sa.Column('privacy', sa.JSON(), nullable=False),
    sa.Column('created_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['parent_uuid'], ['groups.uuid'], name=op.f('fk_groups_parent_uuid_groups'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['system_uuid'], ['systems.uuid'], name=op.f('fk_groups_system_uuid_systems'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('uuid', name=op.f('pk_groups')),
    sa.UniqueConstraint('hid', name=op.f('uq_groups_hid'))
    )
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.create_index('ix_groups_parent', ['parent_uuid'], unique=False)
        batch_op.create_index('ix_groups_system_created', ['system_uuid', 'created_at', 'uuid'], unique=False)

    op.create_table('members',
    sa.Column('uuid', sa.Uuid(), nullable=False),
    sa.Column('hid', sa.String(length=6), nullable=False),
    sa.Column('system_uuid', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=True),
    sa.Column('pronouns', sa.String(length=100), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('color', sa.String(length=6), nullable=True),
    sa.Column('avatar_url', sa.String(length=256), nullable=True),
    sa.Column('banner_url', sa.String(length=256), nullable=True),
    sa.Column('birthday', sa.String(length=10), nullable=True),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('proxy_tags', sa.JSON(), nullable=False),
    sa.Column('keep_proxy', sa.Boolean(), nullable=False),
    sa.Column('is_custom_front', sa.Boolean(), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.Column('privacy', sa.JSON(), nullable=False),
    sa.Column('created_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['system_uuid'], ['systems.uuid'], name=op.f('fk_members_system_uuid_systems'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('uuid', name=op.f('pk_members')),
    sa.UniqueConstraint('hid', name=op.f('uq_members_hid'))
    )
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index('ix_members_system_created', ['system_uuid', 'created_at', 'uuid'], unique=False)

    op.create_table('relationship_types',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('system_uuid', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('inverse_name', sa.String(length=100), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('created_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['system_uuid'], ['systems.uuid'], name=op.f('fk_relationship_types_system_uuid_systems'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_relationship_types'))
    )
    with op.batch_alter_table('relationship_types', schema=None) as batch_op:
        batch_op.create_index('ix_relationship_types_system_created', ['system_uuid', 'created_at', 'id'], unique=False)

    op.create_table('field_values',
    sa.Column('member_uuid', sa.Uuid(), nullable=False),
    sa.Column('field_id', sa.Uuid(), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['field_id'], ['fields.id'], name=op.f('fk_field_values_field_id_fields'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_uuid'], ['members.uuid'], name=op.f('fk_field_values_member_uuid_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_uuid', 'field_id', name=op.f('pk_field_values'))
    )
    with op.batch_alter_table('field_values', schema=None) as batch_op:
        batch_op.create_index('ix_field_values_field', ['field_id'], unique=False)

    op.create_table('group_members',
    sa.Column('group_uuid', sa.Uuid(), nullable=False),
    sa.Column('member_uuid', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['group_uuid'], ['groups.uuid'], name=op.f('fk_group_members_group_uuid_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_uuid'], ['members.uuid'], name=op.f('fk_group_members_member_uuid_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_uuid', 'member_uuid', name=op.f('pk_group_members'))
    )
    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.create_index('ix_group_members_member', ['member_uuid', 'group_uuid'], unique=False)

    op.create_table('relationships',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('system_uuid', sa.Uuid(), nullable=False),
    sa.Column('type_id', sa.Uuid(), nullable=False),
    sa.Column('source_member_uuid', sa.Uuid(), nullable=False),
    sa.Column('target_member_uuid', sa.Uuid(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['source_member_uuid'], ['members.uuid'], name=op.f('fk_relationships_source_member_uuid_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['system_uuid'], ['systems.uuid'], name=op.f('fk_relationships_system_uuid_systems'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target_member_uuid'], ['members.uuid'], name=op.f('fk_relationships_target_member_uuid_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['type_id'], ['relationship_types.id'], name=op.f('fk_relationships_type_id_relationship_types'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_relationships')),
    sa.UniqueConstraint('type_id', 'source_member_uuid', 'target_member_uuid', name='uq_relationships_edge')
    )
    with op.batch_alter_table('relationships', schema=None) as batch_op:
        batch_op.create_index('ix_relationships_source', ['source_member_uuid', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_relationships_system_created', ['system_uuid', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_relationships_target', ['target_member_uuid', 'created_at', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('relationships', schema=None) as batch_op:
        batch_op.drop_index('ix_relationships_target')
        batch_op.drop_index('ix_relationships_system_created')
        batch_op.drop_index('ix_relationships_source')

    op.drop_table('relationships')
    with op.batch_alter_table('group_members', schema=None) as batch_op:
        batch_op.drop_index('ix_group_members_member')

    op.drop_table('group_members')
    with op.batch_alter_table('field_values', schema=None) as batch_op:
        batch_op.drop_index('ix_field_values_field')

    op.drop_table('field_values')
    with op.batch_alter_table('relationship_types', schema=None) as batch_op:
        batch_op.drop_index('ix_relationship_types_system_created')

    op.drop_table('relationship_types')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index('ix_members_system_created')

    op.drop_table('members')
    with op.batch_alter_table('groups', schema=None) as batch_op:
        batch_op.drop_index('ix_groups_system_created')
        batch_op.drop_index('ix_groups_parent')

    op.drop_table('groups')
    with op.batch_alter_table('fields', schema=None) as batch_op:
        batch_op.drop_index('ix_fields_system_position')

    op.drop_table('fields')
