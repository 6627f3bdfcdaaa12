"""`pluralspace serve` (what `make run` starts) says which URL to open, and its base URL follows --host/--port unless
PLURALSPACE_BASE_URL is set (the OAuth metadata's issuer is the base URL)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import httpx
import pytest

from pluralspace.cli import served_url

from ..helpers import wait_until_serving


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(own_database: str, tmp_path, port: int, **env: str) -> tuple[str, str]:
    """Serves, asks the metadata for its issuer, stops; returns (the issuer, what the server printed)."""
    environment = {key: value for key, value in os.environ.items() if key != "PLURALSPACE_BASE_URL"}
    environment |= {"PLURALSPACE_DATABASE_URL": own_database, "PLURALSPACE_DATA_DIR": str(tmp_path / "data"),
                    **env}
    command = os.path.join(os.path.dirname(sys.executable), "pluralspace")
    process = subprocess.Popen([command, "serve", "--port", str(port)], env=environment, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        wait_until_serving(process, f"http://127.0.0.1:{port}")
        issuer = httpx.get(f"http://127.0.0.1:{port}/.well-known/oauth-authorization-server",
                           timeout=60).json()["issuer"]
    finally:
        process.terminate()
        printed, _ = process.communicate(timeout=30)
    return issuer, printed


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the same on either engine
def test_serve_prints_the_url_and_the_base_url_follows_the_port(own_database, tmp_path):
    port = _free_port()
    issuer, printed = _serve(own_database, tmp_path, port)
    assert issuer == f"http://127.0.0.1:{port}"
    assert f"open http://127.0.0.1:{port}/ in a browser" in printed
    issuer, printed = _serve(own_database, tmp_path, port, PLURALSPACE_BASE_URL="https://plural.example.org")
    assert issuer == "https://plural.example.org" and "open https://plural.example.org/ in a browser" in printed


def test_the_url_of_any_address_is_the_loopback():
    assert [served_url(host, 8000) for host in ("0.0.0.0", "::", "192.168.1.5", "fe80::1")] == [
        "http://127.0.0.1:8000", "http://[::1]:8000", "http://192.168.1.5:8000", "http://[fe80::1]:8000"]
