"""journal: entries, authors, tags and full-text search

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 11:30:00.000000

Full-text search objects differ per engine (see pluralspace.journal.models and .search):

* PostgreSQL: `journal_entries.search_vector` (a tsvector of title and body, `simple` configuration) kept by the
  trigger `journal_entries_search_vector`, with the GIN index `ix_journal_entries_search` (on SQLite the column
  stays null and the index is an ordinary, empty one, so that both engines match the model).
* SQLite: the FTS5 table `journal_fts(title, body)` with external content `journal_entries` and rowid
  `journal_entries.seq`, plus three triggers that keep it equal to the table. They are not SQLAlchemy objects:
  Alembic's autogenerate lists `journal_fts` and its shadow tables (`journal_fts_data`, `_idx`, `_docsize`,
  `_config`) as tables the models lack; a comparison must leave out names starting with `journal_fts`.
  SQLite drops a table's triggers with the table, so a later batch migration (copy and move) of
  `journal_entries` must create the triggers again and rebuild the index: since 0009 with that migration's
  `create_sqlite_search()`, which also indexes each entry's system.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import pluralspace.kit.db

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

POSTGRES_SEARCH = [
    """CREATE FUNCTION journal_entries_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_vector := to_tsvector('simple'::regconfig, coalesce(NEW.title, '') || ' ' || NEW.body);
        RETURN NEW;
    END
    $$""",
    """CREATE TRIGGER journal_entries_search_vector BEFORE INSERT OR UPDATE OF title, body ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION journal_entries_search_vector()""",
]

SQLITE_SEARCH = [
    # External content: the text lives in journal_entries only; the index maps words to journal_entries.seq.
    ("CREATE VIRTUAL TABLE journal_fts USING fts5(title, body, content='journal_entries', content_rowid='seq', "
     "tokenize='unicode61 remove_diacritics 2')"),
    # A row inserted without seq gets the next one; then its words go into the index.
    """CREATE TRIGGER journal_entries_fts_insert AFTER INSERT ON journal_entries BEGIN
        UPDATE journal_entries SET seq = (SELECT coalesce(max(seq), 0) + 1 FROM journal_entries)
            WHERE rowid = new.rowid AND new.seq IS NULL;
        INSERT INTO journal_fts(rowid, title, body)
            SELECT seq, title, body FROM journal_entries WHERE rowid = new.rowid;
    END""",
    # Only a change of the indexed text re-indexes (pinning or retagging does not).
    """CREATE TRIGGER journal_entries_fts_update AFTER UPDATE OF title, body ON journal_entries BEGIN
        INSERT INTO journal_fts(journal_fts, rowid, title, body) VALUES ('delete', old.seq, old.title, old.body);
        INSERT INTO journal_fts(rowid, title, body) VALUES (new.seq, new.title, new.body);
    END""",
    # Also fires for rows removed by ON DELETE CASCADE (a system or account deleted).
    """CREATE TRIGGER journal_entries_fts_delete AFTER DELETE ON journal_entries BEGIN
        INSERT INTO journal_fts(journal_fts, rowid, title, body) VALUES ('delete', old.seq, old.title, old.body);
    END""",
]


def create_sqlite_search() -> None:
    for statement in SQLITE_SEARCH:
        op.execute(statement)
    op.execute("INSERT INTO journal_fts(journal_fts) VALUES ('rebuild')")


def upgrade() -> None:
    op.create_table('journal_entries',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=True),
    sa.Column('system_uuid', sa.Uuid(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('search_vector', postgresql.TSVECTOR().with_variant(sa.Text(), 'sqlite'), nullable=True),
    sa.Column('pinned', sa.Boolean(), nullable=False),
    sa.Column('privacy', sa.String(length=8), nullable=False),
    sa.Column('created_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['system_uuid'], ['systems.uuid'], name=op.f('fk_journal_entries_system_uuid_systems'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_journal_entries'))
    )
    with op.batch_alter_table('journal_entries', schema=None) as batch_op:
        batch_op.create_index('ix_journal_entries_system_created', ['system_uuid', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_journal_entries_seq', ['seq'], unique=True)
        batch_op.create_index('ix_journal_entries_search_keys', ['seq', 'system_uuid', 'privacy', 'pinned', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_journal_entries_search', ['search_vector'], unique=False, postgresql_using='gin')

    op.create_table('journal_authors',
    sa.Column('entry_id', sa.Uuid(), nullable=False),
    sa.Column('member_uuid', sa.Uuid(), nullable=False),
    sa.Column('position', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['journal_entries.id'], name=op.f('fk_journal_authors_entry_id_journal_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_uuid'], ['members.uuid'], name=op.f('fk_journal_authors_member_uuid_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('entry_id', 'member_uuid', name=op.f('pk_journal_authors'))
    )
    with op.batch_alter_table('journal_authors', schema=None) as batch_op:
        batch_op.create_index('ix_journal_authors_member', ['member_uuid', 'entry_id'], unique=False)

    op.create_table('journal_tags',
    sa.Column('entry_id', sa.Uuid(), nullable=False),
    sa.Column('tag', sa.String(length=50), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['journal_entries.id'], name=op.f('fk_journal_tags_entry_id_journal_entries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('entry_id', 'tag', name=op.f('pk_journal_tags'))
    )
    with op.batch_alter_table('journal_tags', schema=None) as batch_op:
        batch_op.create_index('ix_journal_tags_tag', ['tag', 'entry_id'], unique=False)

    if op.get_bind().dialect.name == "sqlite":
        create_sqlite_search()
    else:
        for statement in POSTGRES_SEARCH:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("journal_entries_fts_delete", "journal_entries_fts_update", "journal_entries_fts_insert"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS journal_fts")
    else:
        op.execute("DROP TRIGGER IF EXISTS journal_entries_search_vector ON journal_entries")
        op.execute("DROP FUNCTION IF EXISTS journal_entries_search_vector()")

    with op.batch_alter_table('journal_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_journal_tags_tag')
    op.drop_table('journal_tags')

    with op.batch_alter_table('journal_authors', schema=None) as batch_op:
        batch_op.drop_index('ix_journal_authors_member')
    op.drop_table('journal_authors')

    with op.batch_alter_table('journal_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_journal_entries_search')
        batch_op.drop_index('ix_journal_entries_search_keys')
        batch_op.drop_index('ix_journal_entries_seq')
        batch_op.drop_index('ix_journal_entries_system_created')
    op.drop_table('journal_entries')
