"""import_undo: the undo log of an import applied in steps (SQLite), so a failure or a restart takes it back

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 22:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'import_undo',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        sa.Column('job_id', sa.Uuid(), nullable=False),
        sa.Column('table_name', sa.String(length=64), nullable=False),
        sa.Column('action', sa.String(length=8), nullable=False),
        sa.Column('rows', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_undo')),
    )
    op.create_index('ix_import_undo_job', 'import_undo', ['job_id', 'id'], unique=False)


def downgrade() -> None:
    op.drop_table('import_undo')
