from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import Field as Describe
from pydantic import StringConstraints

from ..kit.timeutil import Timestamp
from ..kit.validators import ABSENT, Model, OutModel, Text

MemberRef = Annotated[str, StringConstraints(min_length=1, max_length=64),
                      Describe(description="A member of this system: short id or uuid.")]
Note = Annotated[str, Text(1000)]
# An empty inverse would read as "no name"; asymmetric types name both directions, symmetric ones send null.
InverseName = Annotated[Annotated[str, Text(100, min_length=1)] | None,
                        Describe(description='The name seen from the target; null = symmetric (e.g. "sibling").')]


class RelationshipTypeCreate(Model):
    name: Annotated[str, Text(100, min_length=1)]
    inverse_name: InverseName = None
    description: Annotated[str, Text(1000)] | None = None


class RelationshipTypePatch(Model):
    name: Annotated[str, Text(100, min_length=1)] = ABSENT
    inverse_name: InverseName = None
    description: Annotated[str, Text(1000)] | None = None


class RelationshipTypeOut(OutModel):
    id: str
    name: str
    inverse_name: str | None
    description: str | None
    created_at: Timestamp
    updated_at: Timestamp


class RelationshipCreate(Model):
    type_id: uuid.UUID
    source_member_id: MemberRef
    target_member_id: MemberRef
    note: Note | None = None


class RelationshipPatch(Model):
    type_id: uuid.UUID = ABSENT
    source_member_id: MemberRef = ABSENT
    target_member_id: MemberRef = ABSENT
    note: Note | None = None


__all__ = ["RelationshipCreate", "RelationshipOut", "RelationshipPatch", "RelationshipTypeCreate",
           "RelationshipTypeOut", "RelationshipTypePatch"]


class RelationshipOut(OutModel):
    id: str
    type_id: str
    source_member_id: str
    target_member_id: str
    note: str | None
    created_at: Timestamp
