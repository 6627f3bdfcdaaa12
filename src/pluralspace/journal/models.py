"""Journal tables.

* `journal_entries`: one row per entry. `tags` (a JSON list, in the order the client sent them) is what responses
  show; `journal_tags` below is what `?tag=` filters on.
* `journal_authors`: which members wrote an entry (`position` keeps the order the client listed them in). Both keys
  cascade, so deleting a member removes it from every entry's authors, and deleting an entry its author rows.
* `journal_tags`: one row per (entry, tag) with an index on (tag, entry_id). Filtering on a JSON list would need
  a scan of every entry of the system and engine-specific JSON operators (`json_each` on SQLite, `@>` on jsonb on
  PostgreSQL, and the column is `json`, which has no GIN operator class); with this table `?tag=` is one index
  range on either engine, and the writer keeps it equal to `tags` in the same unit of work.

Full-text search (see `search.py`):

* PostgreSQL: `search_vector`, the entry's title and body as a `tsvector` (`simple` configuration), kept by a
  `BEFORE INSERT OR UPDATE OF title, body` trigger of the migration, so every writer (bulk inserts included) is
  indexed; the GIN index `ix_journal_entries_search` on it finds matches, and ranking reads the stored vector.
  Computing the vector at query time instead (an expression index) costs a full parse of every matching body
  for `ts_rank`, which took seconds for a common word on 50,000 entries. The column is not loaded with entries
  (deferred). On SQLite it is an unused, always-null TEXT column (with an equally empty index of the same name).
* SQLite: the FTS5 table `journal_fts` (external content = `journal_entries`, rowid = `journal_entries.seq`) and
  its triggers exist only in the migration, since SQLAlchemy does not model virtual tables. `seq` is the integer
  key FTS5 needs: the implicit SQLite rowid of a table with a UUID primary key may change on VACUUM or when a
  batch migration copies the table, while a real column survives both. The migration's insert trigger fills
  `seq` when an insert leaves it null (the service does), so every writer, bulk inserts included, is indexed.
  On PostgreSQL `seq` stays null. Each entry's system id is a word of its own in both indexes (SQLite: the FTS5
  column `system_uuid`, migration 0009; PostgreSQL: a lexeme `s<hex>` in `search_vector`, migration 0018), which a
  search asks for beside the query, so either index steps through the searched system's entries only.
* `journal_terms`: what ranking counts (see `search.py`): per entry, each word's stem and how often it occurs (the
  title's words twice), capped at `search.SCORE_CAP`. Written by the services with the entry (`search.index_terms`),
  so a search ranks its matches by index lookups instead of reading their text. The key is (entry, term), both
  engines ordering terms by code point (PostgreSQL's collation "C"), so a beginning is one range of it.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, SmallInteger, String, Text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from ..kit.db import Base, UTCDateTime
from ..kit.privacy import PRIVATE

TITLE_MAX = 200
BODY_MAX = 100_000
TAG_MAX = 50
TAGS_MAX = 30
AUTHORS_MAX = 100
TERM_MAX = 64


class JournalEntry(Base):
    __tablename__ = "journal_entries"
    __table_args__ = (
        # Newest-first keyset pages of a system's journal (and since/until ranges).
        Index("ix_journal_entries_system_created", "system_uuid", "created_at", "id"),
        # The SQLite FTS5 key (see the module docstring).
        Index("ix_journal_entries_seq", "seq", unique=True),
        # SQLite search: from an FTS5 match (seq) to everything the filters and the ranking's tie-break need,
        # without reading the rows (see search.ranked).
        Index("ix_journal_entries_search_keys", "seq", "system_uuid", "privacy", "pinned", "created_at", "id"),
        # PostgreSQL search: matches of a tsquery (GIN); a plain, empty index on SQLite.
        Index("ix_journal_entries_search", "search_vector", postgresql_using="gin"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    seq: Mapped[int | None] = mapped_column(BigInteger)
    system_uuid: Mapped[uuid.UUID] = mapped_column(ForeignKey("systems.uuid", ondelete="CASCADE"))
    title: Mapped[str | None] = mapped_column(String(TITLE_MAX))
    body: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(default=list)
    search_vector: Mapped[str | None] = mapped_column(TSVECTOR().with_variant(Text(), "sqlite"), deferred=True)
    pinned: Mapped[bool] = mapped_column(default=False)
    privacy: Mapped[str] = mapped_column(String(8), default=PRIVATE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


EntryRow = JournalEntry | Any
"""An entry as read: the entity, or a plain row of `columns(JournalEntry)` (lists; kit/rows.py)."""


class JournalAuthor(Base):
    __tablename__ = "journal_authors"
    __table_args__ = (Index("ix_journal_authors_member", "member_uuid", "entry_id"),)

    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("journal_entries.id", ondelete="CASCADE"),
                                                primary_key=True)
    member_uuid: Mapped[uuid.UUID] = mapped_column(ForeignKey("members.uuid", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(SmallInteger, default=0)


class JournalTag(Base):
    __tablename__ = "journal_tags"
    __table_args__ = (Index("ix_journal_tags_tag", "tag", "entry_id"),)

    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("journal_entries.id", ondelete="CASCADE"),
                                                primary_key=True)
    tag: Mapped[str] = mapped_column(String(TAG_MAX), primary_key=True)



class JournalTerm(Base):
    __tablename__ = "journal_terms"
    __table_args__ = {"sqlite_with_rowid": False}

    entry_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("journal_entries.id", ondelete="CASCADE"),
                                                primary_key=True)
    term: Mapped[str] = mapped_column(String(TERM_MAX).with_variant(String(TERM_MAX, collation="C"), "postgresql"),
                                      primary_key=True)
    weight: Mapped[int] = mapped_column(SmallInteger)
