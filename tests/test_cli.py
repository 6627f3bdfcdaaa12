from __future__ import annotations

import json
import os
import stat

from typer.testing import CliRunner

from pluralspace.cli import app
from pluralspace.config import load_or_create_secret, settings_from_env


def test_migrate_then_openapi(tmp_path, monkeypatch):
    monkeypatch.setenv("PLURALSPACE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PLURALSPACE_DATABASE_URL", raising=False)
    runner = CliRunner()
    migrated = runner.invoke(app, ["migrate"])
    assert migrated.exit_code == 0, migrated.output
    assert (tmp_path / "data" / "pluralspace.db").exists()
    assert stat.S_IMODE(os.stat(tmp_path / "data").st_mode) == 0o700  # every system's data lives here
    printed = runner.invoke(app, ["openapi"])
    assert printed.exit_code == 0, printed.output
    spec = json.loads(printed.output)
    assert "/api/v1/systems/{sid}/members" in spec["paths"]


def test_secret_key_is_generated_once_and_private(tmp_path):
    first = load_or_create_secret(tmp_path)
    assert len(first) >= 48 and load_or_create_secret(tmp_path) == first
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600


def test_secret_key_from_the_environment_wins(tmp_path):
    settings = settings_from_env({"PLURALSPACE_DATA_DIR": str(tmp_path), "PLURALSPACE_SECRET_KEY": "from-env"})
    assert settings.with_secret().secret_key == "from-env"
    assert not (tmp_path / "secret_key").exists()


def test_settings_from_environment():
    settings = settings_from_env({"PLURALSPACE_REGISTRATION": "closed", "PLURALSPACE_RATE_LIMIT_ENABLED": "false",
                                  "PLURALSPACE_RATE_LIMIT_READ": "7", "PLURALSPACE_METRICS_ENABLED": "true",
                                  "PLURALSPACE_BASE_URL": "https://plural.example/"})
    assert not settings.registration_open and not settings.rate_limit_enabled and settings.metrics_enabled
    assert settings.rate_limit_read == 7 and settings.base_url == "https://plural.example"
    assert settings_from_env({}).resolved_database_url.startswith("sqlite:///")


def test_usage_flush_interval_from_environment():
    assert settings_from_env({"PLURALSPACE_USAGE_FLUSH_SECONDS": "0.5"}).usage_flush_seconds == 0.5
    assert settings_from_env({}).usage_flush_seconds == 5.0


def test_export_writes_the_same_file_as_the_api(server, api, tmp_path, monkeypatch):
    monkeypatch.setenv("PLURALSPACE_DATABASE_URL", server.settings.resolved_database_url)
    monkeypatch.setenv("PLURALSPACE_DATA_DIR", str(tmp_path / "data"))
    owner = api.register(system_name="Exported")
    member = api.post("/api/v1/systems/@me/members", owner.session, json={"name": "Wren"}).json()["data"]
    runner = CliRunner()
    for export_format in ("pluralspace", "pluralkit"):
        target = tmp_path / f"{export_format}.json"
        done = runner.invoke(app, ["export", "--account", owner.email.upper(), "-o", str(target),
                                   "--format", export_format])
        assert done.exit_code == 0, done.output
        assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
        from_cli = json.loads(target.read_text())
        from_api = api.get("/api/v1/systems/@me/export", owner.session, params={"format": export_format}).json()
        from_cli.pop("exported_at", None), from_api.pop("exported_at", None)
        assert from_cli == from_api and member["id"] in target.read_text()
    unknown = runner.invoke(app, ["export", "--account", "nobody@example.org", "-o", str(tmp_path / "x.json")])
    assert unknown.exit_code == 1 and not (tmp_path / "x.json").exists()
    bad = runner.invoke(app, ["export", "--account", owner.email, "-o", str(tmp_path / "y.json"), "--format", "csv"])
    assert bad.exit_code == 2


def test_import_uses_the_api_engine_and_reports(server, api, tmp_path, monkeypatch):
    from .imports.common import FIXTURES

    monkeypatch.setenv("PLURALSPACE_DATABASE_URL", server.settings.resolved_database_url)
    monkeypatch.setenv("PLURALSPACE_DATA_DIR", str(tmp_path / "data"))
    owner = api.register()
    runner = CliRunner()
    source = str(FIXTURES / "simplyplural.json")
    dry = runner.invoke(app, ["import", source, "--account", owner.email, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "dry run" in dry.output and "members" in dry.output and "chat messages: not imported" in dry.output
    assert api.get("/api/v1/systems/@me/members", owner.session).json()["data"] == []
    done = runner.invoke(app, ["import", source, "--account", owner.email, "--format", "simplyplural"])
    assert done.exit_code == 0, done.output
    assert len(api.get("/api/v1/systems/@me/members", owner.session).json()["data"]) == 6
    broken = tmp_path / "broken.json"
    broken.write_text('{"members": [')
    refused = runner.invoke(app, ["import", str(broken), "--account", owner.email])
    assert refused.exit_code == 1 and "refused, nothing changed" in refused.output and "line 1" in refused.output
    unknown = runner.invoke(app, ["import", source, "--account", "nobody@example.org"])
    assert unknown.exit_code == 1 and "no account" in unknown.output
