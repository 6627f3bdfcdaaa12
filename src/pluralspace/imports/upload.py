"""Receiving an import file: the request body goes straight to a file of the data dir (0600), never whole into
memory, whether it is sent raw (JSON or zip) or as the multipart field `file`; past the size limit it stops with
413 and the partial file is removed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

from python_multipart import MultipartParser
from python_multipart.multipart import parse_options_header
from starlette.requests import Request

from ..kit.errors import PayloadTooLarge, ValidationFailed

UPLOAD_DIR = "imports"


def upload_path(data_dir: Path, job_id: str) -> Path:
    folder = data_dir / UPLOAD_DIR
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder / f"{job_id}.upload"


class _MultipartFile:
    """Writes the part named `file` of a multipart body to `sink`, and remembers its file name."""

    def __init__(self, boundary: bytes, sink: IO[bytes]) -> None:
        self.sink = sink
        self.filename: str | None = None
        self.found = False
        self._in_file = False
        self._header_field = b""
        self._header_value = b""
        self.parser = MultipartParser(boundary, callbacks={
            "on_part_begin": self._begin, "on_part_data": self._data, "on_header_field": self._field,
            "on_header_value": self._value, "on_header_end": self._header_end,
        })

    def _begin(self) -> None:
        self._in_file = False

    def _field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        if self._header_field.lower() == b"content-disposition":
            _kind, options = parse_options_header(self._header_value)
            if options.get(b"name") == b"file" and not self.found:
                self._in_file = self.found = True
                name = options.get(b"filename")
                self.filename = name.decode("utf-8", "replace") if name else None
        self._header_field = self._header_value = b""

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self.sink.write(data[start:end])

    def write(self, chunk: bytes) -> None:
        self.parser.write(chunk)


async def receive_file(request: Request, target: Path, limit: int) -> tuple[str | None, int]:
    """Streams the upload into `target` (0600); returns (file name if the client gave one, bytes written)."""
    declared = request.headers.get("content-length", "")
    if declared.strip().isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The import file is over the limit of {limit} bytes.")
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    received = 0
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as sink:
            writer: IO[bytes] | _MultipartFile = sink
            multipart = None
            if content_type == b"multipart/form-data":
                boundary = options.get(b"boundary")
                if not boundary:
                    raise ValidationFailed.field("file", "the multipart body has no boundary")
                multipart = writer = _MultipartFile(boundary, sink)
            async for chunk in request.stream():
                received += len(chunk)
                if received > limit:
                    raise PayloadTooLarge(f"The import file is over the limit of {limit} bytes.")
                writer.write(chunk)
            if multipart is not None and not multipart.found:
                raise ValidationFailed.field("file", "send the file as the multipart field `file`")
            size = sink.tell()
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    if size == 0:
        target.unlink(missing_ok=True)
        raise ValidationFailed.field("file", "the file is empty")
    name = multipart.filename if multipart is not None else None
    return name, size
