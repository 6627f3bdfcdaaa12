from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field

from ..auth.scopes import GRANTABLE_SCOPES
from ..kit.timeutil import Timestamp, TimestampIn, utcnow
from ..kit.validators import Model, OutModel, Stated, Text


def _known_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - GRANTABLE_SCOPES)
    if unknown:
        raise ValueError(f"unknown scopes: {', '.join(unknown)}")
    return sorted(set(scopes))


def _future(value: datetime) -> datetime:
    if value <= utcnow():
        raise ValueError("must be in the future")
    return value


class TokenCreate(Model):
    name: Annotated[str, Text(100, min_length=1)]
    scopes: Annotated[list[Annotated[str, Field(max_length=64), Stated(enum=sorted(GRANTABLE_SCOPES))]],
                      Field(min_length=1, max_length=64),
                      AfterValidator(_known_scopes)] = Field(description="Scopes this token holds.")
    expires_at: Annotated[TimestampIn, AfterValidator(_future)] | None = Field(
        None, description="When the token stops working; null = never.")


class TokenOut(OutModel):
    id: str
    name: str
    prefix: str | None = Field(description="The token's first characters (ps_pat_ and 8 more), to tell tokens "
                                           "apart; null for tokens made before the server kept it.")
    scopes: list[str]
    created_at: Timestamp
    last_used_at: Timestamp | None
    expires_at: Timestamp | None


class TokenCreated(TokenOut):
    token: str = Field(description="The token text. Shown only now: store it safely.")
