"""The response envelope: `{data, meta: {request_id}, request_id}`, plus `pagination` on lists."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

from .context import current_request_id

T = TypeVar("T")


class Meta(BaseModel):
    request_id: str


class PaginationInfo(BaseModel):
    limit: int
    cursor: str | None = Field(description="Pass as ?cursor= to get the next page; null on the last page.")
    has_more: bool


class Envelope(BaseModel, Generic[T]):
    data: T
    meta: Meta
    request_id: str


class Page(BaseModel, Generic[T]):
    data: list[T]
    pagination: PaginationInfo
    meta: Meta
    request_id: str


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any] | None
    request_id: str


class ErrorEnvelope(BaseModel):
    error: ErrorBody
    meta: Meta
    request_id: str


def ok(data: T) -> Envelope[T]:
    request_id = current_request_id()
    return Envelope(data=data, meta=Meta(request_id=request_id), request_id=request_id)


def page(items: list[T], limit: int, next_cursor: str | None) -> Page[T]:
    request_id = current_request_id()
    return Page(
        data=items,
        pagination=PaginationInfo(limit=limit, cursor=next_cursor, has_more=next_cursor is not None),
        meta=Meta(request_id=request_id),
        request_id=request_id,
    )


def error_body(code: str, message: str, details: dict[str, Any] | None) -> dict[str, Any]:
    request_id = current_request_id()
    return {
        "error": {"code": code, "message": message, "details": details, "request_id": request_id},
        "meta": {"request_id": request_id},
        "request_id": request_id,
    }
