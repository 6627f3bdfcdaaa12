from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from ..kit.timeutil import Timestamp
from ..kit.validators import Model, OutModel, Text

PublicId = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class ThoughtSet(Model):
    text: Annotated[str, Text(500, min_length=1)]
    member_id: PublicId | None = Field(None, description="Short id or uuid of the member whose thought it is.")


class ThoughtOut(OutModel):
    id: str
    text: str
    member_id: str | None = Field(description="Short id of the member who wrote it; null when none. Other "
                                              "viewers do not see thoughts of private members at all.")
    date: str = Field(description="The system's local date when the thought was set, YYYY-MM-DD.")
    created_at: Timestamp
