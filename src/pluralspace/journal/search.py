"""Full-text search of journal entries (`?q=`), on SQLite FTS5 and on PostgreSQL text search.

The query language is the one of web search engines, on both engines:

* words: every word must occur (`dream lake`); words are stemmed (English, Martin Porter's algorithm on both
  engines), so `heron` finds `herons` and `run` finds `running`;
* `word*`: any word beginning like it (the beginning is stemmed too: `running*` is `run*`);
* `"quoted words"`: the words next to each other, in this order (a phrase);
* `or` between two words or phrases: either;
* `-word` or `-"a phrase"`: must not occur (a query of nothing but exclusions finds nothing).

User text never reaches either engine's query parser as such. `parse` keeps only words (runs of letters and digits,
as both engines' tokenizers split text) and the operators above, and the query is then rebuilt from those words,
each quoted: an FTS5 string per word or phrase on SQLite (so `"`, `*`, `NEAR(`, `AND`, `:` and `^` are just text),
and a `to_tsquery` expression of single-quoted words on PostgreSQL. Anything else in the input (punctuation,
emoji, control characters) only separates words. At most MAX_WORDS words per query keep the cost of one query
bounded.

Ranking reads nothing but the searched system's matching entries, the same way on both engines, so what other
systems write (private entries included) can change neither which of my entries are found nor their order. FTS5's
`bm25()` is not used: it weighs words by their rarity and entries by their length across the whole index, every
system's journals together. Instead each entry scores, per query word, how often the word's stem occurs in it (a
beginning `run*`: every stem so beginning), the title counting twice, each word's count capped at SCORE_CAP; ties
go newest first. The counts are the entry's rows of `journal_terms` (`terms_of`, written with the entry by
`index_terms`), computed here in Python for both engines, so both rank alike; a search looks them up by key and
never reads the matching entries' text. Both indexes find only the searched system's matches (its id is a word of
its own in each, see models.py), so a search costs what the system's own journal holds, whatever else the server
stores. Only the newest CANDIDATES matches are ranked (all of them, unless a query matches more entries than that),
and a search pages by offset through at most MAX_RESULTS results (see `SearchCursor`): a search is for finding the
best few entries, and a refinement of the query is the way past that.

Each hit carries a `snippet`: a short passage of the body (or of the title, when only the title matches), HTML-
escaped, with the matching words wrapped in `<mark>`; it is cut in Python from the page's entries only, with the
same stemmer.
"""

from __future__ import annotations

import functools
import hashlib
import html
import itertools
import re
import unicodedata
import uuid
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import snowballstemmer
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    bindparam,
    case,
    cast,
    column,
    delete,
    func,
    insert,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm import Session

from ..kit.errors import ValidationFailed
from ..kit.pagination import decode_cursor, encode_cursor
from .models import TERM_MAX, EntryRow, JournalEntry, JournalTerm

MAX_WORDS = 32
MAX_RESULTS = 1000
CANDIDATES = 5000
QUERY_MAX_LENGTH = 500
SCORE_CAP = 20
TITLE_WEIGHT = 2
SNIPPET_BEFORE = 60  # characters of context before the first match
SNIPPET_LENGTH = 200  # characters of a snippet, at most (plus the ellipses)
POSTGRES_CONFIG = "pluralspace_search"  # migration 0011: `simple` with Porter stemming of words

_WORD = re.compile(r"[^\W_]+")
_PIECE = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')


@functools.lru_cache(maxsize=1)
def _porter() -> Any:  # snowballstemmer ships no types
    return snowballstemmer.stemmer("porter")


@functools.lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """A lower-case word as both engines index it: diacritics removed, then Porter-stemmed."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
    stemmed: str = _porter().stemWord(plain)
    return stemmed


@dataclass(frozen=True)
class Term:
    """A word, or a phrase of words that must stand next to each other; `prefix`: the last word is a beginning."""

    words: tuple[str, ...]
    prefix: bool = False

    def counted(self) -> list[tuple[str, bool]]:
        """What ranking counts in an entry for each word: (its stem, whether any stem so beginning counts)."""
        last = len(self.words) - 1
        return [(stem(word)[:TERM_MAX], self.prefix and index == last) for index, word in enumerate(self.words)]


@dataclass(frozen=True)
class SearchQuery:
    """Clauses that must all match (each a list of alternatives), and terms that must not."""

    clauses: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...]

    @property
    def empty(self) -> bool:
        return not self.clauses

    @property
    def wanted(self) -> list[Term]:
        return [term for alternatives in self.clauses for term in alternatives]

    def fts5(self) -> str:
        """An FTS5 MATCH expression made only of quoted strings, `*`, OR, AND, NOT and parentheses."""
        def string(term: Term) -> str:
            quoted = '"' + " ".join(term.words).replace('"', '""') + '"'
            return quoted + " *" if term.prefix else quoted

        def clause(alternatives: tuple[Term, ...]) -> str:
            if len(alternatives) == 1:
                return string(alternatives[0])
            return "(" + " OR ".join(string(t) for t in alternatives) + ")"

        positive = " AND ".join(clause(c) for c in self.clauses)
        if not self.excluded:
            return positive
        return f"({positive}) NOT ({' OR '.join(string(t) for t in self.excluded)})"

    def tsquery(self) -> str:
        """The same query for PostgreSQL's to_tsquery: single-quoted words (letters and digits only), `<->` between
        the words of a phrase, `:*` for a beginning, `|`, `&` and `!`."""
        def string(term: Term) -> str:
            words = [f"'{word}'" for word in term.words]
            if term.prefix:
                words[-1] += ":*"
            return "(" + " <-> ".join(words) + ")"

        parts = ["(" + " | ".join(string(t) for t in alternatives) + ")" for alternatives in self.clauses]
        parts += ["!" + string(t) for t in self.excluded]
        return " & ".join(parts)

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
        term = Term(words, prefix=phrase is None and word.endswith("*"))
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


def ranked(session: Session, system_uuid: uuid.UUID, query: SearchQuery, conditions: list[ColumnElement[bool]],
           limit: int, offset: int) -> list[JournalEntry]:
    """Up to `limit` entries matching `query` and `conditions`, best first, skipping `offset`.

    Two steps: rank the matches carrying only their keys and score (the score is looked up in `journal_terms`, and
    sorting whole rows would cost far more than ranking), then load the page's entries by id.
    """
    if query.empty:
        return []
    if session.get_bind().dialect.name == "sqlite":
        matches = _sqlite_matches(system_uuid, query, conditions)
    else:
        matches = _postgres_matches(system_uuid, query, conditions)
    candidates = (matches.order_by(JournalEntry.created_at.desc(), JournalEntry.id.desc()).limit(CANDIDATES)
                  .subquery("candidates"))
    statement = (select(candidates.c.id)
                 .order_by(_score(query, candidates.c.id).desc(), candidates.c.created_at.desc(),
                           candidates.c.id.desc()))
    keys = list(session.execute(statement.limit(limit).offset(offset)).scalars())
    if not keys:
        return []
    found = {e.id: e for e in session.execute(select(JournalEntry).where(JournalEntry.id.in_(keys))).scalars()}
    return [found[key] for key in keys if key in found]


def terms_of(title: str | None, body: str) -> dict[str, int]:
    """What ranking counts in an entry: each word's stem (as `stem` makes it, cut to TERM_MAX), how often it occurs,
    the title's words twice, capped at SCORE_CAP (a sum of capped counts reaches the cap exactly when the sum of the
    counts does, so a beginning's score is the same from capped counts)."""
    counts: Counter[str] = Counter()
    for text_, weight in ((title or "", TITLE_WEIGHT), (body, 1)):
        for word in _WORD.findall(text_.lower()):
            counts[stem(word)[:TERM_MAX]] += weight
    return {term: min(count, SCORE_CAP) for term, count in counts.items()}


def index_terms(session: Session, entry: JournalEntry, *, new: bool = False) -> None:
    """Writes the entry's `journal_terms` rows for its current text (the entry must be flushed)."""
    if not new:
        session.execute(delete(JournalTerm).where(JournalTerm.entry_id == entry.id))
    rows = [{"entry_id": entry.id, "term": term, "weight": weight}
            for term, weight in terms_of(entry.title, entry.body).items()]
    if rows:
        session.execute(insert(JournalTerm), rows)


def _weight(entry_id: ColumnElement[uuid.UUID], term: str, beginning: bool) -> ColumnElement[int]:
    """The entry's count of a word (one key of journal_terms), or of every word so beginning (one range), capped."""
    if not beginning:
        exact = select(JournalTerm.weight).where(JournalTerm.entry_id == entry_id, JournalTerm.term == term)
        return func.coalesce(exact.scalar_subquery(), 0)
    # Code points order the terms on both engines, so the words beginning so lie between it and the string that
    # follows all of them: the beginning with its last character's successor.
    after = term[:-1] + chr(min(ord(term[-1]) + 1, 0x10FFFF))
    total = func.coalesce(func.sum(JournalTerm.weight), 0)
    summed = (select(case((total > SCORE_CAP, SCORE_CAP), else_=total))
              .where(JournalTerm.entry_id == entry_id, JournalTerm.term >= term, JournalTerm.term < after))
    return summed.scalar_subquery()


def _score(query: SearchQuery, entry_id: ColumnElement[uuid.UUID]) -> ColumnElement[int]:
    total: ColumnElement[int] | None = None
    for term in query.wanted:
        for key, beginning in term.counted():
            weight = _weight(entry_id, key, beginning)
            total = weight if total is None else total + weight
    assert total is not None, "only a query with words is scored"
    return total


def _sqlite_matches(system_uuid: uuid.UUID, query: SearchQuery,
                    conditions: list[ColumnElement[bool]]) -> Select[tuple[uuid.UUID, datetime]]:
    # FTS5 finds the matches first (a materialized CTE: otherwise the planner may walk the system's entries newest
    # first and run the MATCH once per entry); the join and the filters read the covering index
    # ix_journal_entries_search_keys, never the rows themselves. The system's id is a token of its own in the index
    # (migration 0009), so FTS5 steps through this system's entries only, however common a word is elsewhere.
    fts: ColumnElement[str] = literal_column("journal_fts")
    match = f'system_uuid : "{system_uuid.hex}" AND {{title body}} : ({query.fts5()})'
    found = select(_fts.c.rowid).where(fts.op("MATCH")(match)).cte("fts_matches").prefix_with("MATERIALIZED")
    return (select(JournalEntry.id, JournalEntry.created_at).select_from(found)
            .join(JournalEntry, JournalEntry.seq == found.c.rowid)
            .where(*conditions))


def _postgres_matches(system_uuid: uuid.UUID, query: SearchQuery,
                      conditions: list[ColumnElement[bool]]) -> Select[tuple[uuid.UUID, datetime]]:
    # The system's lexeme (migration 0018) beside the query: the GIN index then steps through this system's
    # entries only (it skips ahead in the longer lists of common words), however common a word is elsewhere.
    words = func.to_tsquery(text(f"'{POSTGRES_CONFIG}'::regconfig"), query.tsquery())
    system = cast(bindparam("system_lexeme", system_lexeme(system_uuid), type_=String), TSQUERY)
    return (select(JournalEntry.id, JournalEntry.created_at)
            .where(JournalEntry.search_vector.op("@@")(words.op("&&")(system)), *conditions))


def system_lexeme(system_uuid: uuid.UUID) -> str:
    """The word PostgreSQL's `search_vector` holds for the entry's system (migration 0018 writes it)."""
    return f"s{system_uuid.hex}"


# --- snippets ----------------------------------------------------------------------------------------------------

def _matched_spans(text_: str, query: SearchQuery) -> Iterator[tuple[int, int]]:
    """(start, end) of every word or phrase of the query in the text, in order, not overlapping; lazily, so that a
    snippet reads (and stems) the text only up to the end of its passage, however long the entry."""
    patterns = [([stem(w) for w in term.words], term.prefix) for term in query.wanted]
    longest = max(len(stems) for stems, _ in patterns)
    # Most words begin no match: those are told apart by one set look-up (or one startswith) before the patterns.
    firsts = {stems[0] for stems, prefix in patterns if not prefix or len(stems) > 1}
    beginnings = tuple(stems[0] for stems, prefix in patterns if prefix and len(stems) == 1)
    tokens = ((*m.span(), stem(m.group().lower())) for m in _WORD.finditer(text_))
    window = deque(itertools.islice(tokens, longest))
    while window:
        head = window[0][2]
        if head in firsts or (beginnings and head.startswith(beginnings)):
            for stems, prefix in patterns:
                size = len(stems)
                if len(window) >= size and all(
                        window[i][2] == wanted or (prefix and i == size - 1 and window[i][2].startswith(wanted))
                        for i, wanted in enumerate(stems)):
                    yield window[0][0], window[size - 1][1]
                    for _ in range(size):
                        window.popleft()
                    break
            else:
                window.popleft()
        else:
            window.popleft()
        window.extend(itertools.islice(tokens, longest - len(window)))


def snippet(entry: EntryRow, query: SearchQuery) -> str:
    """A passage of the entry around its first match, HTML-escaped, matches in `<mark>`."""
    text_ = entry.body
    spans = _matched_spans(text_, query)
    first = next(spans, None)
    if first is None and entry.title:
        title_spans = _matched_spans(entry.title, query)
        first = next(title_spans, None)
        if first is not None:
            text_, spans = entry.title, title_spans
    begin = max(0, first[0] - SNIPPET_BEFORE) if first else 0
    if begin:
        begin = next((m.start() for m in _WORD.finditer(text_, begin)), begin)
    end = min(len(text_), begin + SNIPPET_LENGTH)
    if end < len(text_):
        words_before = [m.end() for m in _WORD.finditer(text_, begin, end)]
        end = words_before[-1] if words_before else end
    pieces, at = [], begin
    for start, stop in itertools.chain([first] if first else [], spans):
        if stop > end:  # every later match starts after this one ends
            break
        pieces += [html.escape(text_[at:start]), "<mark>", html.escape(text_[start:stop]), "</mark>"]
        at = stop
    pieces.append(html.escape(text_[at:end]))
    passage = " ".join("".join(pieces).split())
    return ("…" if begin else "") + passage + ("…" if end < len(text_) else "")
