"""members.archived goes: a member is archived when members.archived_at is set (one source of truth)

Members archived before archiving times were kept (0008) have `archived` true and no `archived_at`: they get their
`updated_at`, the latest moment they can have been archived (and the very moment for any member not edited since),
so they stay archived. Downgrading derives the column back from `archived_at`.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 19:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pluralspace.kit.db

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

members = sa.table('members', sa.column('archived', sa.Boolean()),
                   sa.column('archived_at', pluralspace.kit.db.UTCDateTime(timezone=True)),
                   sa.column('updated_at', pluralspace.kit.db.UTCDateTime(timezone=True)))


def upgrade() -> None:
    op.execute(members.update().where(members.c.archived.is_(True), members.c.archived_at.is_(None))
               .values(archived_at=members.c.updated_at))
    # Not batch mode on SQLite: rebuilding the table would drop the Wrapped triggers on it (0011). SQLite drops a
    # column in place since 3.35.
    op.drop_column('members', 'archived')


def downgrade() -> None:
    op.add_column('members', sa.Column('archived', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(members.update().values(archived=members.c.archived_at.is_not(None)))
    if op.get_bind().dialect.name != 'sqlite':  # SQLite cannot drop a default in place; it never applies anyway
        op.alter_column('members', 'archived', server_default=None)
