"""journal search with English stemming; stored Wrapped snapshots, marked stale by triggers

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 16:00:00.000000

Search: both engines now index words stemmed by the same algorithm, Martin Porter's English stemmer, and keep
every word (no stop words), so that `heron` finds `herons` and `run` finds `running` alike on both:

* SQLite: `journal_fts` is rebuilt with the tokenizer `porter unicode61 remove_diacritics 2` and a prefix index of
  2 and 3 letters (same columns and triggers as 0009). A later batch migration of `journal_entries` must call this module's `create_sqlite_search()`.
* PostgreSQL: the dictionary `pluralspace_porter` (Snowball's `porter`, no stop words) and the configuration
  `pluralspace_search` (a copy of `simple` whose word tokens go through that dictionary); the trigger function
  fills `search_vector` with it, and every stored vector is recomputed.

Wrapped: `wrapped_snapshots` holds the recap of each finished period once computed. Triggers on every table a
recap reads (fronts, members, journal entries, polls, votes, thoughts) mark the snapshots of the periods a change
touches as stale, whoever writes (the services, imports, cascades), so no service has to remember to.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import pluralspace.kit.db

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

FTS_TRIGGERS = ("journal_entries_fts_delete", "journal_entries_fts_update", "journal_entries_fts_insert")
FTS_COLUMNS = ("title", "body", "system_uuid")


def _fts_objects(options: str) -> list[str]:
    listed = ", ".join(FTS_COLUMNS)
    new = ", ".join(f"new.{c}" for c in FTS_COLUMNS)
    old = ", ".join(f"old.{c}" for c in FTS_COLUMNS)
    return [
        (f"CREATE VIRTUAL TABLE journal_fts USING fts5({listed}, content='journal_entries', content_rowid='seq', "
         f"{options})"),
        f"""CREATE TRIGGER journal_entries_fts_insert AFTER INSERT ON journal_entries BEGIN
            UPDATE journal_entries SET seq = (SELECT coalesce(max(seq), 0) + 1 FROM journal_entries)
                WHERE rowid = new.rowid AND new.seq IS NULL;
            INSERT INTO journal_fts(rowid, {listed})
                SELECT seq, {listed} FROM journal_entries WHERE rowid = new.rowid;
        END""",
        f"""CREATE TRIGGER journal_entries_fts_update AFTER UPDATE OF title, body ON journal_entries BEGIN
            INSERT INTO journal_fts(journal_fts, rowid, {listed}) VALUES ('delete', old.seq, {old});
            INSERT INTO journal_fts(rowid, {listed}) VALUES (new.seq, {new});
        END""",
        f"""CREATE TRIGGER journal_entries_fts_delete AFTER DELETE ON journal_entries BEGIN
            INSERT INTO journal_fts(journal_fts, rowid, {listed}) VALUES ('delete', old.seq, {old});
        END""",
    ]


def _replace_sqlite_search(options: str) -> None:
    for trigger in FTS_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS journal_fts")
    for statement in _fts_objects(options):
        op.execute(statement)
    op.execute("INSERT INTO journal_fts(journal_fts) VALUES ('rebuild')")


def create_sqlite_search() -> None:
    # prefix: the index also holds every word's first 2 and 3 letters, so `ab*` and `abc*` read one list of entries
    # (seekable to this system's) instead of merging the lists of every indexed word that begins so.
    _replace_sqlite_search("tokenize='porter unicode61 remove_diacritics 2', prefix='2 3'")


# PostgreSQL's parser reads `<script>` as the start of text it skips, drops the words inside HTML tags, and keeps
# e-mail addresses, URLs, host names, paths and version numbers as single tokens; SQLite's unicode61 splits all of
# them into words. With ASCII punctuation turned into spaces first, both engines see the same words.
PUNCTUATION = "!\"#$%&''()*+,-./:;<=>?@[\\]^_`{|}~"


def _postgres_vector(config: str, row: str) -> str:
    return (f"to_tsvector('{config}'::regconfig, translate(coalesce({row}title, '') || ' ' || {row}body, "
            f"'{PUNCTUATION}', repeat(' ', 32)))" if config != "simple" else
            f"to_tsvector('simple'::regconfig, coalesce({row}title, '') || ' ' || {row}body)")


def _postgres_vector_function(config: str) -> str:
    return f"""CREATE OR REPLACE FUNCTION journal_entries_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        NEW.search_vector := {_postgres_vector(config, "NEW.")};
        RETURN NEW;
    END
    $$"""


def _postgres_recompute(config: str) -> None:
    op.execute(f"UPDATE journal_entries SET search_vector = {_postgres_vector(config, '')}")


POSTGRES_SEARCH = [
    "CREATE TEXT SEARCH DICTIONARY pluralspace_porter (TEMPLATE = snowball, LANGUAGE = porter)",
    "CREATE TEXT SEARCH CONFIGURATION pluralspace_search (COPY = simple)",
    ("ALTER TEXT SEARCH CONFIGURATION pluralspace_search ALTER MAPPING FOR asciiword, word, numword, asciihword, "
     "hword, numhword, hword_asciipart, hword_part, hword_numpart WITH pluralspace_porter"),
    _postgres_vector_function("pluralspace_search"),
]

# --- Wrapped: which stored periods a changed row touches -----------------------------------------------------------
# A snapshot covers [start_at, end_at). A front touches the periods its interval overlaps (an open one, every period
# from its start); a member's visibility, archiving or removal can change any period of its system; journal entries,
# polls and votes the period of their created_at (removing a poll also removes later votes); thoughts their local date.

SQLITE_STALE = "UPDATE wrapped_snapshots SET stale = 1 WHERE system_uuid = {system} AND ({where})"


def _front_overlaps(row: str) -> str:
    return f"(end_at > {row}.started_at AND ({row}.ended_at IS NULL OR start_at < {row}.ended_at))"


def _at(moment: str) -> str:
    return f"(start_at <= {moment} AND end_at > {moment})"


def _thought_day(row: str) -> str:
    return f"(period = substr({row}.date, 1, 7) OR period = substr({row}.date, 1, 4))"


def _vote_system(row: str) -> str:
    return f"(SELECT system_uuid FROM polls WHERE polls.id = {row}.poll_id)"


# (table, event, system of the row, which snapshots)
WATCHED = [
    ("fronts", "INSERT", "new.system_uuid", _front_overlaps("new")),
    ("fronts", "UPDATE OF started_at, ended_at, member_uuid", "new.system_uuid",
     f"{_front_overlaps('old')} OR {_front_overlaps('new')}"),
    ("fronts", "DELETE", "old.system_uuid", _front_overlaps("old")),
    ("members", "INSERT", "new.system_uuid", _at("new.created_at")),
    ("members", "UPDATE OF privacy, archived_at, created_at", "new.system_uuid", "1 = 1"),
    ("members", "DELETE", "old.system_uuid", "1 = 1"),
    ("journal_entries", "INSERT", "new.system_uuid", _at("new.created_at")),
    ("journal_entries", "UPDATE OF body, created_at", "new.system_uuid",
     f"{_at('old.created_at')} OR {_at('new.created_at')}"),
    ("journal_entries", "DELETE", "old.system_uuid", _at("old.created_at")),
    ("polls", "INSERT", "new.system_uuid", _at("new.created_at")),
    ("polls", "UPDATE OF created_at", "new.system_uuid", f"{_at('old.created_at')} OR {_at('new.created_at')}"),
    ("polls", "DELETE", "old.system_uuid", "end_at > old.created_at"),
    ("votes", "INSERT", _vote_system("new"), _at("new.created_at")),
    ("votes", "UPDATE", _vote_system("new"), f"{_at('old.created_at')} OR {_at('new.created_at')}"),
    ("votes", "DELETE", _vote_system("old"), _at("old.created_at")),
    ("thoughts", "INSERT", "new.system_uuid", _thought_day("new")),
    ("thoughts", "UPDATE", "new.system_uuid", f"{_thought_day('old')} OR {_thought_day('new')}"),
    ("thoughts", "DELETE", "old.system_uuid", _thought_day("old")),
]


def _trigger_name(table: str, event: str) -> str:
    return f"wrapped_stale_{table}_{event.split()[0].lower()}"


def _create_stale_triggers(dialect: str) -> None:
    for table, event, system, where in WATCHED:
        name = _trigger_name(table, event)
        if dialect == "sqlite":
            update = SQLITE_STALE.format(system=system, where=where)
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {update}; END")
            continue
        row = "OLD" if event == "DELETE" else "NEW"
        update = (f"UPDATE wrapped_snapshots SET stale = true WHERE system_uuid = {system} AND ({where})")
        op.execute(f"""CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                {update};
                RETURN {row};
            END
            $$""")
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()")


def _drop_stale_triggers(dialect: str) -> None:
    for table, event, _, _ in WATCHED:
        name = _trigger_name(table, event)
        if dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        create_sqlite_search()
    else:
        for statement in POSTGRES_SEARCH:
            op.execute(statement)
        _postgres_recompute("pluralspace_search")
    op.create_table(
        'wrapped_snapshots',
        sa.Column('system_uuid', sa.Uuid(), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('timezone', sa.String(length=64), nullable=False),
        sa.Column('start_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('end_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('generated_at', pluralspace.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('stale', sa.Boolean(), nullable=False),
        sa.Column('recap', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['system_uuid'], ['systems.uuid'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('system_uuid', 'period'),
    )
    with op.batch_alter_table('wrapped_snapshots', schema=None) as batch_op:
        batch_op.create_index('ix_wrapped_snapshots_system_start', ['system_uuid', 'start_at', 'end_at'],
                              unique=False)
    _create_stale_triggers(dialect)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_stale_triggers(dialect)
    op.drop_table('wrapped_snapshots')
    if dialect == "sqlite":
        _replace_sqlite_search("tokenize='unicode61 remove_diacritics 2'")
    else:
        op.execute(_postgres_vector_function("simple"))
        _postgres_recompute("simple")
        op.execute("DROP TEXT SEARCH CONFIGURATION pluralspace_search")
        op.execute("DROP TEXT SEARCH DICTIONARY pluralspace_porter")
