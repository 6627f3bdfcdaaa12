from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ..kit.timeutil import Timestamp
from ..kit.validators import OutModel


class KindCounts(BaseModel):
    created: int
    updated: int
    unchanged: int


class ImportWarning(BaseModel):
    code: str = Field(description="A stable name for the kind of problem, e.g. `not_imported`, `text_truncated`.")
    message: str = Field(description="What was not mapped (source key), and why.")
    count: int = Field(description="How many times it happened in the file.")


class ImportError_(BaseModel):
    message: str = Field(description="What is wrong with the file.")
    path: str | None = Field(description="Where, as a JSON path (`$.members[3].name`); null when not known.")
    line: int | None = Field(description="For a file that is not valid JSON: the line (from 1).")
    column: int | None = Field(description="For a file that is not valid JSON: the column (from 1).")


class ImportJobOut(OutModel):
    id: str
    format: str | None = Field(description="The file's format; null until detected (with ?format=auto).")
    status: Literal["queued", "running", "succeeded", "failed"]
    progress: float = Field(ge=0, le=1)
    counts: dict[str, KindCounts] = Field(description="Per kind (members, groups, fields, fronts, journal, polls, "
                                                      "votes, ...): objects created, updated and left unchanged. "
                                                      "For a dry run: what the import would do.")
    warnings: list[ImportWarning] = Field(description="Everything in the file that was not imported as it is, "
                                                      "with counts.")
    error: ImportError_ | None = Field(description="Why the import failed; nothing of the file was applied.")
    dry_run: bool
    source_name: str | None = Field(description="The uploaded file's name, when the client gave one.")
    created_at: Timestamp
    finished_at: Timestamp | None
