from __future__ import annotations

from typing import Annotated, Any, Literal, Self, get_args

from pydantic import Field as Describe
from pydantic import StrictInt, StringConstraints, model_validator

from ..kit.timeutil import Timestamp
from ..kit.validators import ABSENT, Model, OutModel, Text

FieldType = Literal["text", "markdown", "number", "boolean", "date", "color", "url", "select", "multiselect"]
FIELD_TYPES: tuple[str, ...] = get_args(FieldType)  # for the importers, which check types outside pydantic
SELECT_TYPES = {"select", "multiselect"}
Option = Annotated[str, StringConstraints(min_length=1, max_length=100)]
Options = Annotated[list[Option], Describe(min_length=1, max_length=100)]
Position = Annotated[StrictInt, Describe(ge=0, le=1_000_000)]
Visibility = Literal["public", "private"]


def _check_options(field_type: str, options: list[str] | None) -> None:
    if field_type in SELECT_TYPES and not options:
        raise ValueError("options: select fields need at least one option")
    if field_type not in SELECT_TYPES and options:
        raise ValueError("options: only select and multiselect fields have options")
    if options and len(set(options)) != len(options):
        raise ValueError("options: options must be unique")


class FieldCreate(Model):
    name: Annotated[str, Text(100, min_length=1)]
    type: FieldType
    options: Options | None = None
    position: Position | None = Describe(None, description="Order among the system's fields; default: last.")
    privacy: Visibility = "private"

    @model_validator(mode="after")
    def _options_fit_type(self) -> Self:
        _check_options(self.type, self.options)
        return self


class FieldPatch(Model):
    name: Annotated[str, Text(100, min_length=1)] = ABSENT
    type: FieldType = Describe(ABSENT, description="Cannot change; allowed only when equal to the current type.")
    options: Options | None = None
    position: Position = ABSENT
    privacy: Visibility = ABSENT


class FieldOut(OutModel):
    id: str
    name: str
    type: FieldType
    options: list[str] | None
    position: int
    privacy: Visibility
    created_at: Timestamp
    updated_at: Timestamp


FieldValues = dict[str, Any]

__all__ = ["FieldCreate", "FieldOut", "FieldPatch", "FieldValues", "_check_options"]
