"""journal search on SQLite: the FTS5 index also holds each entry's system, so a search reads one system's matches

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 15:15:00.000000

Before, `journal_fts(title, body)` held every system's words together, and a search filtered by system only after
FTS5 had produced every match of every system: a common word cost in proportion to all the journals on the server.
Now `journal_fts(title, body, system_uuid)` indexes the system's id as a token of its own, and a search asks for it
(`system_uuid : "<id>" AND {title body} : (...)`), which FTS5 answers by stepping through the shorter list.
This replaces 0004's SQLite search objects: a later batch migration of `journal_entries` must create these ones
(`create_sqlite_search()` below). PostgreSQL is unchanged.
"""

from __future__ import annotations

from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

TRIGGERS = ("journal_entries_fts_delete", "journal_entries_fts_update", "journal_entries_fts_insert")


def _search_objects(columns: tuple[str, ...]) -> list[str]:
    listed = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    return [
        (f"CREATE VIRTUAL TABLE journal_fts USING fts5({listed}, content='journal_entries', content_rowid='seq', "
         "tokenize='unicode61 remove_diacritics 2')"),
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


def _replace_sqlite_search(columns: tuple[str, ...]) -> None:
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS journal_fts")
    for statement in _search_objects(columns):
        op.execute(statement)
    op.execute("INSERT INTO journal_fts(journal_fts) VALUES ('rebuild')")


def create_sqlite_search() -> None:
    _replace_sqlite_search(("title", "body", "system_uuid"))


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        create_sqlite_search()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _replace_sqlite_search(("title", "body"))
