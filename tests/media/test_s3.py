"""Images in S3-compatible object storage: moto's S3 server on a loopback port stands in for the bucket."""

from __future__ import annotations

import secrets
import socket
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from ..helpers import data, error
from .common import SYSTEM_AVATAR, image, key_of, media_path, member_path, new_member, stored_files, upload

CREDENTIALS = {"s3_access_key": "test-access", "s3_secret_key": "test-secret", "s3_region": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def _client(endpoint: str) -> Any:
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test-access",
                        aws_secret_access_key="test-secret")


@pytest.fixture
def bucket(s3_endpoint: str) -> str:
    name = f"media-{secrets.token_hex(4)}"
    _client(s3_endpoint).create_bucket(Bucket=name)
    return name


def _objects(endpoint: str, bucket: str) -> set[str]:
    listed = _client(endpoint).list_objects_v2(Bucket=bucket)
    return {item["Key"] for item in listed.get("Contents", [])}


def test_images_live_in_the_bucket(make_server, s3_endpoint, bucket):
    running = make_server(s3_bucket=bucket, s3_endpoint=s3_endpoint, **CREDENTIALS)
    api = running.api()
    owner = api.register()
    other = api.register()
    before = stored_files(running.settings.data_dir)
    member = new_member(api, owner.session)
    first = data(upload(api, owner.session, member_path(member["id"]), image(color=(4, 4, 4))))["avatar_url"]
    assert _objects(s3_endpoint, bucket) == {f"media/{key_of(first)}"}
    assert stored_files(running.settings.data_dir) == before  # nothing in the data dir
    served = api.get(media_path(first), owner.session)
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert api.get(media_path(first), other.session).status_code == 404  # a private member's avatar
    second = data(upload(api, owner.session, member_path(member["id"]), image(color=(5, 5, 5))))["avatar_url"]
    assert _objects(s3_endpoint, bucket) == {f"media/{key_of(second)}"}  # the replaced one is gone
    system = data(upload(api, owner.session, SYSTEM_AVATAR, image(color=(6, 6, 6))))["avatar_url"]
    assert api.get(media_path(system)).status_code == 200
    assert api.delete(f"/api/v1/systems/@me/members/{member['id']}", owner.session).status_code == 204
    assert api.delete(SYSTEM_AVATAR, owner.session).status_code == 204
    assert _objects(s3_endpoint, bucket) == set()
    api.close()


def test_unreachable_object_storage_is_a_prompt_503(make_server, bucket):
    running = make_server(s3_bucket=bucket, s3_endpoint=f"http://127.0.0.1:{_free_port()}", s3_timeout=1.0,
                          **CREDENTIALS)
    api = running.api()
    owner = api.register()
    started = time.monotonic()
    error(upload(api, owner.session, SYSTEM_AVATAR, image()), 503, "SERVICE_UNAVAILABLE")
    assert time.monotonic() - started < 10
    assert data(api.get("/api/v1/systems/@me", owner.session))["avatar_url"] is None
    api.close()
