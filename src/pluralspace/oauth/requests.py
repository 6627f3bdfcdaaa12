"""Authlib's request objects over plain data read from a Starlette request.

The async handler reads the request (`await request.form()`) on the event loop; Authlib, which is synchronous,
then works on a `PlainRequest` inside the database unit of work, so it never touches the Starlette request and
never needs I/O of its own. Parameters come from the query on GET and from the form body on POST: the token,
revocation and introspection endpoints take no credentials from URLs (RFC 6749 §2.3.1, §3.2).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from authlib.oauth2.rfc6749 import JsonPayload, JsonRequest, OAuth2Payload, OAuth2Request
from starlette.datastructures import Headers
from starlette.requests import Request

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class PlainRequest:
    method: str
    url: str
    headers: Headers
    params: tuple[tuple[str, str], ...]

    @classmethod
    async def read(cls, request: Request) -> PlainRequest:
        if request.method == "GET":
            params = tuple(request.query_params.multi_items())
        elif request.headers.get("content-type", "").split(";")[0].strip().lower() in FORM_TYPES:
            form = await request.form()
            params = tuple((key, value) for key, value in form.multi_items() if isinstance(value, str))
        else:
            params = ()
        return cls(request.method, str(request.url), request.headers, params)

    def first(self, name: str) -> str | None:
        return next((value for key, value in self.params if key == name), None)


class PlainPayload(OAuth2Payload):
    def __init__(self, params: tuple[tuple[str, str], ...]) -> None:
        self._params = params

    @cached_property
    def data(self) -> dict[str, str]:
        # The first value of a repeated parameter; repeats themselves are refused through `datalist`.
        data: dict[str, str] = {}
        for key, value in self._params:
            data.setdefault(key, value)
        return data

    @cached_property
    def datalist(self) -> defaultdict[str, list[str]]:
        values: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in self._params:
            values[key].append(value)
        return values


class PlainOAuth2Request(OAuth2Request):
    def __init__(self, plain: PlainRequest) -> None:
        # Authlib refuses a URI that is neither https nor loopback http (insecure_transport) right here.
        super().__init__(plain.method, plain.url, headers=plain.headers)
        self.payload = PlainPayload(plain.params)

    @property
    def args(self) -> dict[str, str]:
        return self.payload.data if self.method == "GET" else {}

    @property
    def form(self) -> dict[str, str]:
        return self.payload.data if self.method != "GET" else {}


class PlainJsonPayload(JsonPayload):
    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    @property
    def data(self) -> dict[str, Any]:
        return self._data


class PlainJsonRequest(JsonRequest):
    """Authlib's JSON requests serve dynamic client registration, which this server does not offer; apps are
    registered through `/api/v1/me/apps`. Defined so the server class is complete."""

    def __init__(self, plain: PlainRequest) -> None:
        super().__init__(plain.method, plain.url, plain.headers)
        self.payload = PlainJsonPayload(dict(plain.params))
