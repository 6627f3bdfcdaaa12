from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import AfterValidator, Field, StrictBool, StringConstraints

from ..kit.privacy import PRIVATE, Visibility
from ..kit.timeutil import Timestamp, TimestampIn, utcnow
from ..kit.validators import ABSENT, CONTROL, WHITESPACE, Model, OutModel, Rule, Text
from .models import AUTHORS_MAX, BODY_MAX, TAG_MAX, TAGS_MAX, TITLE_MAX

PublicId = Annotated[str, StringConstraints(min_length=1, max_length=64)]
CLOCK_SKEW = timedelta(minutes=5)
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)


# What `normalize_tag` takes: 1 to TAG_MAX characters, none of them control characters, once trimmed.
_TAG_CHAR = f"[^{CONTROL}]"
_TAG_END = f"[^{CONTROL}{WHITESPACE}]"
TAG_PATTERN = f"^[{WHITESPACE}]*{_TAG_END}(?:{_TAG_CHAR}{{0,{TAG_MAX - 2}}}{_TAG_END})?[{WHITESPACE}]*$"


def normalize_tag(value: str) -> str:
    """Tags are stored trimmed and lower-cased, so `Dreams ` and `dreams` are one tag."""
    tag = value.strip().lower()
    if not tag:
        raise ValueError("must not be blank")
    if len(tag) > TAG_MAX:
        raise ValueError(f"must be at most {TAG_MAX} characters")
    if any(ord(c) < 32 or ord(c) == 127 for c in tag):
        raise ValueError("must not contain control characters")
    return tag


def _unique(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))


def _plausible(value: datetime) -> datetime:
    if value < EARLIEST:
        raise ValueError("must not be before 1900")
    if value > utcnow() + CLOCK_SKEW:
        raise ValueError("must not be in the future (5 minutes of clock skew are allowed)")
    return value.astimezone(UTC)


Tag = Annotated[str, StringConstraints(max_length=200), Rule(normalize_tag, {"pattern": TAG_PATTERN})]
Tags = Annotated[list[Tag], Field(max_length=TAGS_MAX), AfterValidator(_unique)]
AuthorIds = Annotated[list[PublicId], Field(max_length=AUTHORS_MAX)]
Body = Annotated[str, Text(BODY_MAX, min_length=1)]
EntryTime = Annotated[TimestampIn, AfterValidator(_plausible)]


class EntryCreate(Model):
    title: Annotated[str, Text(TITLE_MAX)] | None = None
    body: Body = Field(description=f"Markdown, 1..{BODY_MAX:,} characters.")
    author_ids: AuthorIds | None = Field(None, description="Members of this system (short id or uuid) who wrote "
                                                           "the entry.")
    tags: Tags | None = Field(None, description=f"At most {TAGS_MAX}, each 1..{TAG_MAX} characters; stored "
                                                "trimmed, lower-cased, without repeats.")
    pinned: StrictBool = False
    privacy: Visibility = Field(PRIVATE, description="public: other viewers may read it when the system's "
                                                       "journal is public.")
    created_at: EntryTime | None = Field(None, description="Default now; may be back-dated (imports).")


class EntryPatch(Model):
    title: Annotated[str, Text(TITLE_MAX)] | None = None
    body: Body = ABSENT
    author_ids: AuthorIds | None = Field(None, description="Replaces the authors; null or [] removes them all.")
    tags: Tags | None = Field(None, description="Replaces the tags; null or [] removes them all.")
    pinned: StrictBool = ABSENT
    privacy: Visibility = ABSENT


class EntryOut(OutModel):
    id: str
    title: str | None
    body: str
    author_ids: list[str] = Field(description="Short ids; other viewers do not see members who are private.")
    tags: list[str]
    pinned: bool
    privacy: Visibility
    created_at: Timestamp
    updated_at: Timestamp
    snippet: str | None = Field(None, description="Search results (`?q=`) only, else null: a short passage around "
                                                  "the first match, HTML-escaped, the matching words in <mark>.")
