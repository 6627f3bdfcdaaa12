"""credentials.token_prefix: the first characters of a personal access token, so the settings page can tell
tokens apart without holding their text

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 16:10:00.000000

Tokens made before this revision have no prefix (the server only ever kept their keyed hash).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('credentials', sa.Column('token_prefix', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('credentials', schema=None) as batch_op:
        batch_op.drop_column('token_prefix')
