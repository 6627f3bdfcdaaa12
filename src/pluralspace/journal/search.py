"""Full-text search of journal entries (`?q=`), on SQLite FTS5 and on PostgreSQL text search.

The query language is the one of PostgreSQL's `websearch_to_tsquery`, on both engines:

* words: every word must occur (`dream lake`);
* `"quoted words"`: the words next to each other, in this order (a phrase);
* `or` between two words or phrases: either;
* `-word` or `-"a phrase"`: must not occur (a query of nothing but exclusions finds nothing).

User text never reaches either engine's query parser as such. `parse` keeps only words (runs of letters and digits,
as both engines' tokenizers split text) and the operators above, and the query is then rebuilt from those words,
each quoted: an FTS5 string per word or phrase on SQLite (so `"`, `*`, `NEAR(`, `AND`, `:` and `^` are just text),
and a websearch string of quoted words on PostgreSQL. Anything else in the input (punctuation, emoji, control
characters) only separates words. At most MAX_WORDS words per query keep the cost of one query bounded.

Ranking: SQLite's `bm25()` (lower is better; term frequency, rarity across the index and document length) and
PostgreSQL's `ts_rank()` over the stored `search_vector` (term frequency; without length normalization, which with
`ts_rank`'s saturating frequency curve could rank an entry that names a word more often below one that names it
less); ties go newest first. `ts_rank` must read and decompress each match's vector, about 5 µs a row: a word in
all of 50,000 entries took 230 ms to rank. So PostgreSQL ranks the newest POSTGRES_CANDIDATES matches of the
query and filters (every match, unless a query matches more entries than that); SQLite's bm25 over FTS5 ranks every
match of the system (160 ms for a word in all of 50,000 entries), and limiting it the same way made SQLite's planner
slower. On SQLite the index also holds each entry's system as a token, so other systems' journals cost nothing.
Ranked results cannot page by a keyset on created_at, so a search's cursor carries an offset (see `SearchCursor`),
reaching at most the first MAX_RESULTS matches: a search is for finding the best few entries, and a refinement of
the query is the way past that.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    Select,
    column,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session

from ..kit.errors import ValidationFailed
from ..kit.pagination import decode_cursor, encode_cursor
from .models import JournalEntry

MAX_WORDS = 32
MAX_RESULTS = 1000
POSTGRES_CANDIDATES = 5000
QUERY_MAX_LENGTH = 500

_WORD = re.compile(r"[^\W_]+")
_PIECE = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')


@dataclass(frozen=True)
class Term:
    """A word, or a phrase of words that must stand next to each other."""

    words: tuple[str, ...]


@dataclass(frozen=True)
class SearchQuery:
    """Clauses that must all match (each a list of alternatives), and terms that must not."""

    clauses: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...]

    @property
    def empty(self) -> bool:
        return not self.clauses

    def fts5(self) -> str:
        """An FTS5 MATCH expression made only of quoted strings, OR, AND, NOT and parentheses."""
        def string(term: Term) -> str:
            return '"' + " ".join(term.words).replace('"', '""') + '"'

        def clause(alternatives: tuple[Term, ...]) -> str:
            if len(alternatives) == 1:
                return string(alternatives[0])
            return "(" + " OR ".join(string(t) for t in alternatives) + ")"

        positive = " AND ".join(clause(c) for c in self.clauses)
        if not self.excluded:
            return positive
        return f"({positive}) NOT ({' OR '.join(string(t) for t in self.excluded)})"

    def websearch(self) -> str:
        """The same query for PostgreSQL's websearch_to_tsquery, every word or phrase in double quotes."""
        def string(term: Term) -> str:
            return '"' + " ".join(term.words) + '"'

        parts = [" or ".join(string(t) for t in alternatives) for alternatives in self.clauses]
        parts += ["-" + string(t) for t in self.excluded]
        return " ".join(parts)

    def fingerprint(self) -> str:
        return hashlib.sha256(self.fts5().encode()).hexdigest()[:16]


def parse(text_: str) -> SearchQuery:
    clauses: list[list[Term]] = []
    excluded: list[Term] = []
    count = 0
    want_or = False
    last_positive = False
    for match in _PIECE.finditer(text_.replace("\x00", " ")):
        negated, phrase, negated_word, word = match.groups()
        if phrase is None and not negated_word and word.lower() == "or":
            want_or = last_positive
            continue
        words = tuple(w.lower() for w in _WORD.findall(phrase if phrase is not None else word))
        if not words:
            continue
        count += len(words)
        if count > MAX_WORDS:
            raise ValidationFailed.field("q", f"at most {MAX_WORDS} words")
        term = Term(words)
        if negated or negated_word:
            excluded.append(term)
            want_or = last_positive = False
            continue
        if want_or and clauses:
            clauses[-1].append(term)
        else:
            clauses.append([term])
        want_or, last_positive = False, True
    return SearchQuery(tuple(tuple(c) for c in clauses), tuple(excluded))


@dataclass(frozen=True)
class SearchCursor:
    """`?cursor=` of a search: how many ranked results were served, and which query they belong to."""

    offset: int
    fingerprint: str

    def encode(self) -> str:
        return encode_cursor(("q", self.offset, self.fingerprint))

    @classmethod
    def decode(cls, cursor: str | None, query: SearchQuery) -> int:
        if not cursor:
            return 0
        kind, offset, fingerprint = decode_cursor(cursor, 3)
        if kind != "q" or not isinstance(offset, int) or not 0 < offset < MAX_RESULTS:
            raise ValidationFailed.field("cursor", "is not a cursor this server issued")
        if fingerprint != query.fingerprint():
            raise ValidationFailed.field("cursor", "belongs to another search; start again without a cursor")
        return offset


_fts = table("journal_fts", column("rowid"))


def ranked(session: Session, system_uuid: uuid.UUID, query: SearchQuery, conditions: list[ColumnElement],
           limit: int, offset: int) -> list[JournalEntry]:
    """Up to `limit` entries matching `query` and `conditions`, best first, skipping `offset`.

    Two steps: rank the matches carrying only their keys (a common word matches most entries, and sorting whole
    rows, bodies included, would cost far more than ranking), then load the page's entries by id.
    """
    if query.empty:
        return []
    if session.bind.dialect.name == "sqlite":
        statement = _sqlite(system_uuid, query, conditions)
    else:
        statement = _postgres(query, conditions)
    keys = list(session.execute(statement.limit(limit).offset(offset)).scalars())
    if not keys:
        return []
    found = {e.id: e for e in session.execute(select(JournalEntry).where(JournalEntry.id.in_(keys))).scalars()}
    return [found[key] for key in keys if key in found]


def _sqlite(system_uuid: uuid.UUID, query: SearchQuery, conditions: list[ColumnElement]) -> Select:
    # journal_fts drives (MATCH); the join and the filters read the covering index ix_journal_entries_search_keys,
    # never the rows themselves (their bodies would have to be walked through to reach the later columns).
    # The system's id is a token of its own in the index (migration 0009), so FTS5 steps through this system's
    # entries only, however common a word is in other journals; it weighs nothing in the ranking.
    fts = literal_column("journal_fts")
    rank = func.bm25(fts, 1.0, 1.0, 0.0)
    match = f'system_uuid : "{system_uuid.hex}" AND {{title body}} : ({query.fts5()})'
    return (select(JournalEntry.id).select_from(_fts).join(JournalEntry, JournalEntry.seq == _fts.c.rowid)
            .where(fts.op("MATCH")(match), *conditions)
            .order_by(rank, JournalEntry.created_at.desc(), JournalEntry.id.desc()))


def _postgres(query: SearchQuery, conditions: list[ColumnElement]) -> Select:
    """Ranks the newest POSTGRES_CANDIDATES matches (all of them, for all but the most common words)."""
    tsquery = func.websearch_to_tsquery(text("'simple'::regconfig"), query.websearch())
    candidates = (select(JournalEntry.id, JournalEntry.created_at, JournalEntry.search_vector)
                  .where(JournalEntry.search_vector.op("@@")(tsquery), *conditions)
                  .order_by(JournalEntry.created_at.desc(), JournalEntry.id.desc())
                  .limit(POSTGRES_CANDIDATES).subquery("candidates"))
    rank = func.ts_rank(candidates.c.search_vector, tsquery)
    return (select(candidates.c.id)
            .order_by(rank.desc(), candidates.c.created_at.desc(), candidates.c.id.desc()))
