"""Where image bytes live: files in the data dir (the default), or an S3-compatible bucket when one is configured.

Both are used through `MediaStorage`; every call runs on a worker thread (file and S3 calls block). A full or
read-only disk (or quota) answers 507 STORAGE_FULL; object storage that does not answer within its bounds answers 503.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from ..config import Settings
from ..files import PRIVATE_DIR, PRIVATE_FILE
from .errors import ServiceUnavailable, StorageFull

log = logging.getLogger("pluralspace.media")

MEDIA_DIR = "media"
KEY_PATTERN = re.compile(r"^[0-9a-f]{40}\.(png|jpg|webp|gif)$")
FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}


def is_key(text: str) -> bool:
    return KEY_PATTERN.fullmatch(text) is not None


class Backend(Protocol):
    def put(self, key: str, content: bytes, content_type: str) -> None: ...
    def get(self, key: str) -> bytes | None: ...
    def delete(self, key: str) -> None: ...
    def stored(self) -> Iterator[tuple[str, datetime]]: ...


class FileBackend:
    """`<data dir>/media/<first two characters>/<key>`, directories 0700 and files 0600 like all of the data dir."""

    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / MEDIA_DIR

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / key

    def put(self, key: str, content: bytes, content_type: str) -> None:
        path = self._path(key)
        if path.exists():  # the key is derived from the bytes: the same key holds the same image
            return
        temporary = path.with_name(f".{key}.{os.getpid()}.part")
        try:
            self.root.mkdir(mode=PRIVATE_DIR, exist_ok=True)
            path.parent.mkdir(mode=PRIVATE_DIR, exist_ok=True)
            fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
            with os.fdopen(fd, "wb") as sink:
                sink.write(content)
                sink.flush()
                os.fsync(sink.fileno())
            os.replace(temporary, path)
        except OSError:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def stored(self) -> Iterator[tuple[str, datetime]]:
        if not self.root.is_dir():
            return
        for folder in self.root.iterdir():
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                if is_key(path.name):
                    yield path.name, datetime.fromtimestamp(path.stat().st_mtime, UTC)


class S3Backend:
    """An S3-compatible bucket (AWS, MinIO, Garage, Ceph, R2...) through boto3; objects under `media/`."""

    def __init__(self, settings: Settings) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = settings.s3_bucket
        self.client: Any = boto3.client(
            "s3", endpoint_url=settings.s3_endpoint or None, region_name=settings.s3_region or None,
            aws_access_key_id=settings.s3_access_key or None, aws_secret_access_key=settings.s3_secret_key or None,
            config=Config(connect_timeout=settings.s3_timeout, read_timeout=settings.s3_timeout,
                          retries={"max_attempts": 2, "mode": "standard"},
                          s3={"addressing_style": "path"}))

    @staticmethod
    def _name(key: str) -> str:
        return f"{MEDIA_DIR}/{key}"

    def put(self, key: str, content: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=content, ContentType=content_type,
                               CacheControl="private, max-age=31536000, immutable")

    def get(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except ClientError as failed:
            if failed.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise
        body: bytes = answer["Body"].read()
        return body

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))

    def stored(self) -> Iterator[tuple[str, datetime]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=f"{MEDIA_DIR}/")
        for page in pages:
            for item in page.get("Contents", []):
                key = item["Key"].removeprefix(f"{MEDIA_DIR}/")
                if is_key(key):
                    yield key, item["LastModified"]


def _s3_faults() -> tuple[type[BaseException], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError)


class MediaStorage:
    """The configured backend, called off the event loop, its faults turned into the contract's answers."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._faults: tuple[type[BaseException], ...] = _s3_faults() if isinstance(backend, S3Backend) else ()

    async def _call(self, call: Callable[..., Any], *args: Any) -> Any:
        try:
            return await asyncio.to_thread(call, *args)
        except OSError as failed:
            if failed.errno in FULL_ERRNOS:
                raise StorageFull() from None
            raise
        except self._faults as fault:
            log.warning("object storage fault on %s: %s", getattr(call, "__name__", call), fault)
            raise ServiceUnavailable("The media storage is unreachable.") from None

    async def put(self, key: str, content: bytes, content_type: str) -> None:
        await self._call(self.backend.put, key, content, content_type)

    async def get(self, key: str) -> bytes | None:
        found: bytes | None = await self._call(self.backend.get, key)
        return found

    async def delete(self, keys: list[str]) -> None:
        """Removes stored images; a failure is logged and left to the sweep (media/service.py), never shown to a client
        whose change has already been made."""
        for key in keys:
            try:
                await self._call(self.backend.delete, key)
            except (ServiceUnavailable, OSError) as fault:
                log.warning("media %s not removed yet (%s); the sweep will", key, fault)

    async def stored(self) -> list[tuple[str, datetime]]:
        found: list[tuple[str, datetime]] = await self._call(lambda: list(self.backend.stored()))
        return found


def storage_for(settings: Settings) -> MediaStorage:
    backend: Backend = S3Backend(settings) if settings.s3_bucket else FileBackend(settings.data_dir)
    return MediaStorage(backend)
