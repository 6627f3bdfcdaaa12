"""journal search costs what the searched system holds: ranking from `journal_terms`, PostgreSQL's index per system

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 23:00:00.000000

* `journal_terms(entry_id, term, weight)`: per entry, each word's stem and how often it occurs (the title twice),
  capped; what ranking counts (pluralspace.journal.search). Filled here for every existing entry with the same
  code the services write it with (`search.terms_of`), in batches. Before, ranking counted the query's words in
  the text of every matching entry at search time.
* PostgreSQL: `search_vector` also holds the lexeme `s<hex of the system's id>` (no position, so phrases are
  unaffected), and a search asks for it beside its words, so the GIN index steps through the searched system's
  entries only; before, it handed over every system's matches of a common word and the system filter came after.
  (SQLite's FTS5 index has held the system's id as a token since 0009.)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from pluralspace.journal.search import terms_of

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

BATCH = 500
# As 0011 wrote it (ASCII punctuation made spaces, so both engines see the same words), then the system's lexeme.
PUNCTUATION = "!\"#$%&''()*+,-./:;<=>?@[\\]^_`{|}~"


def _vector(row: str, with_system: bool) -> str:
    words = (f"to_tsvector('pluralspace_search'::regconfig, translate(coalesce({row}title, '') || ' ' || {row}body, "
             f"'{PUNCTUATION}', repeat(' ', 32)))")
    return f"{words} || ('s' || replace({row}system_uuid::text, '-', ''))::tsvector" if with_system else words


def _postgres_search(with_system: bool) -> None:
    op.execute(f"""CREATE OR REPLACE FUNCTION journal_entries_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_vector := {_vector("NEW.", with_system)};
        RETURN NEW;
    END
    $$""")
    op.execute(f"UPDATE journal_entries SET search_vector = {_vector('', with_system)}")


def upgrade() -> None:
    terms = op.create_table(
        'journal_terms',
        sa.Column('entry_id', sa.Uuid(), nullable=False),
        sa.Column('term', sa.String(length=64).with_variant(sa.String(length=64, collation='C'), 'postgresql'),
                  nullable=False),
        sa.Column('weight', sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(['entry_id'], ['journal_entries.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('entry_id', 'term'),
        sqlite_with_rowid=False,
    )
    connection = op.get_bind()
    entries = sa.table('journal_entries', sa.column('id', sa.Uuid()), sa.column('title', sa.String()),
                       sa.column('body', sa.Text()))
    after = None
    while True:
        page = sa.select(entries.c.id, entries.c.title, entries.c.body).order_by(entries.c.id).limit(BATCH)
        rows = connection.execute(page if after is None else page.where(entries.c.id > after)).all()
        if not rows:
            break
        values = [{"entry_id": entry_id, "term": term, "weight": weight}
                  for entry_id, title, body in rows for term, weight in terms_of(title, body).items()]
        if values:
            connection.execute(terms.insert(), values)
        after = rows[-1][0]
    if connection.dialect.name == "postgresql":
        _postgres_search(with_system=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgres_search(with_system=False)
    op.drop_table('journal_terms')
