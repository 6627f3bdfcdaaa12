"""The rules every import follows, whatever the format: jobs, re-imports, dry runs, refused files, failures,
one import per system, interrupted jobs, uploads and their limits."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from datetime import timedelta

from pluralspace.imports import service as import_service
from pluralspace.imports.apply import _Engine
from pluralspace.jobs import service as job_service
from pluralspace.kit.timeutil import utcnow

from ..helpers import at_once, data, error, postgres_only, unit_of_work
from .common import IMPORTS, created, everything, fixture, imported, run_import, send, wait, warned

MEMBERS = "/api/v1/systems/@me/members"


def sp() -> dict:
    return json.loads(fixture("simplyplural.json"))


def snapshot(api, token: str) -> dict:
    """Everything of a system a re-import or a failed import could touch."""
    return {path: everything(api, token, f"/api/v1/systems/@me/{path}")
            for path in ("members", "groups", "fields", "fronts", "journal", "polls")} | {
        "system": data(api.get("/api/v1/systems/@me", token))}


def test_reimport_duplicates_nothing_and_updates_what_changed(api):
    owner = api.register()
    first = imported(api, owner.session, sp())
    before = snapshot(api, owner.session)
    again = imported(api, owner.session, sp())
    assert {kind: counts["created"] for kind, counts in again["counts"].items()} == dict.fromkeys(again["counts"], 0)
    assert again["counts"]["members"]["unchanged"] == first["counts"]["members"]["created"]
    assert snapshot(api, owner.session) == before

    changed = sp()
    changed["members"][0]["name"] = "Ash (renamed)"
    changed["frontHistory"][3].update(live=False, endTime="2023-11-15T12:00:00Z")  # the live front ended since
    changed["members"].append({"_id": "m9", "name": "Newcomer"})
    third = imported(api, owner.session, changed)
    assert third["counts"]["members"] == {"created": 1, "updated": 1, "unchanged": 5}
    assert third["counts"]["fronts"] == {"created": 0, "updated": 1, "unchanged": 4}
    members = everything(api, owner.session, MEMBERS)
    assert len(members) == 7 and "Ash (renamed)" in {m["name"] for m in members}
    assert data(api.get("/api/v1/systems/@me/fronters", owner.session)) == []


def test_dry_run_reports_the_same_and_changes_nothing(api):
    owner = api.register()
    before = snapshot(api, owner.session)
    dry = imported(api, owner.session, sp(), dry_run=True)
    assert dry["dry_run"] is True and created(dry, "members") == 6
    assert snapshot(api, owner.session) == before
    real = imported(api, owner.session, sp())
    assert real["dry_run"] is False
    assert (real["counts"], real["warnings"]) == (dry["counts"], dry["warnings"])


def refused(api, token: str, source, **params) -> dict:
    job = run_import(api, token, source, **params)
    assert job["status"] == "failed" and job["counts"] == {}, job
    return job["error"]


def test_refused_files_say_what_is_wrong_and_where_and_change_nothing(api):
    owner = api.register()
    before = snapshot(api, owner.session)
    whole = fixture("simplyplural.json")
    truncated = refused(api, owner.session, whole[: len(whole) // 2])
    assert "not valid JSON" in truncated["message"] and truncated["line"] > 1 and truncated["column"] >= 1
    assert refused(api, owner.session, {**sp(), "members": "everyone"})["path"] == "$.members"
    broken = sp()
    del broken["frontHistory"][2]["startTime"]
    assert refused(api, owner.session, broken)["path"] == "$.frontHistory[2].startTime"
    nameless = sp()
    nameless["members"][1]["name"] = ""
    assert refused(api, owner.session, nameless)["path"] == "$.members[1].name"
    unknown = refused(api, owner.session, {"hello": "world"})
    assert unknown["path"] == "$" and "matches none of the formats" in unknown["message"]
    assert refused(api, owner.session, [1, 2, 3])["path"] == "$"
    assert refused(api, owner.session, sp(), format="pluralkit")["message"] == "this is not a pluralkit file"
    assert "not UTF-8" in refused(api, owner.session, b"\xff\xfe{}")["message"]
    assert "zip" in refused(api, owner.session, b"PK\x03\x04broken", content_type="application/zip")["message"]
    # A failure halfway (here: the last kind of object, after members, groups and fronts were written) too.
    assert snapshot(api, owner.session) == before
    error(send(api, owner.session, b""), 422, "VALIDATION_FAILED")
    error(send(api, owner.session, sp(), format="word"), 422, "VALIDATION_FAILED")


def test_a_failure_halfway_leaves_the_system_as_it_was(api, monkeypatch):
    owner = api.register()
    imported(api, owner.session, {"tuppers": [{"name": "Already here"}]})
    before = snapshot(api, owner.session)

    def broken(self):
        raise RuntimeError("injected after members, groups and fronts")

    monkeypatch.setattr(_Engine, "apply_polls", broken)
    job = run_import(api, owner.session, sp())
    assert job["status"] == "failed" and "nothing of it was applied" in job["error"]["message"]
    assert snapshot(api, owner.session) == before
    monkeypatch.undo()
    assert imported(api, owner.session, sp())["counts"]["members"]["created"] == 6


def test_one_import_at_a_time_per_system(api, monkeypatch):
    owner, other = api.register(), api.register()
    slow_run = import_service.Importer.run

    async def slowly(self, *args):
        import asyncio

        await asyncio.sleep(1.0)
        return await slow_run(self, *args)

    monkeypatch.setattr(import_service.Importer, "run", slowly)
    answers = []
    at_once(*[lambda: answers.append(send(api, owner.session, sp())) for _ in range(2)])
    assert sorted(r.status_code for r in answers) == [202, 409]
    conflict = next(r for r in answers if r.status_code == 409)
    assert error(conflict, 409, "CONFLICT")["details"]["reason"] == "import_running"
    assert data(send(api, other.session, sp()), 202)  # another system is not held up
    accepted = data(next(r for r in answers if r.status_code == 202), 202)
    assert wait(api, owner.session, accepted["id"])["status"] == "succeeded"
    assert data(send(api, owner.session, {"tuppers": []}), 202)  # once finished, the next one is welcome


def test_a_job_interrupted_by_a_restart_ends_failed_and_its_file_goes(server, api):
    owner = api.register()
    job_id = uuid.uuid4()
    upload = server.settings.data_dir / "imports" / f"{job_id}.upload"
    upload.parent.mkdir(exist_ok=True)
    upload.write_bytes(fixture("simplyplural.json"))

    def interrupted(session):
        job = job_service.enqueue(session, "import", uuid.UUID(owner.system_uuid), import_service.lane(
            uuid.UUID(owner.system_uuid)), {"format": "auto", "dry_run": False, "source_name": "x.json",
                                            "file": upload.name}, job_id)
        job.status, job.started_at = "running", utcnow() - timedelta(hours=1)
        job.heartbeat_at = utcnow() - job_service.STALE_AFTER - timedelta(seconds=1)

    unit_of_work(server, interrupted, write=True)
    server.state.jobs.wake()
    job = wait(api, owner.session, str(job_id))
    assert job["status"] == "failed" and "stopped" in job["error"]["message"] and job["source_name"] == "x.json"
    assert not upload.exists()
    assert everything(api, owner.session, MEMBERS) == []


def test_uploads_stream_to_a_private_file_that_goes_when_done(server, api):
    owner = api.register()
    job = imported(api, owner.session, sp())
    assert list((server.settings.data_dir / "imports").glob(f"{job['id']}*")) == []
    # Multipart, with the file's name.
    sent = api.post(IMPORTS, owner.session, files={"file": ("export.json", fixture("simplyplural.json"),
                                                            "application/json")}, data={"note": "ignored"})
    job = wait(api, owner.session, data(sent, 202)["id"])
    assert job["status"] == "succeeded" and job["source_name"] == "export.json"
    missing = api.post(IMPORTS, owner.session, files={"other": ("x.json", b"{}", "application/json")})
    assert error(missing, 422, "VALIDATION_FAILED")["details"]["fields"] == {
        "file": "send the file as the multipart field `file`"}
    # A zip holding the export (and files beside it that are not pictures).
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("export.json", fixture("simplyplural.json"))
        zipped.writestr("notes/readme.txt", b"hello")
    job = imported(api, owner.session, archive.getvalue(), content_type="application/zip")
    assert job["counts"]["members"]["unchanged"] == 6
    assert {"code": "file_not_imported", "message": "zip: files that are neither data nor pictures, left out",
            "count": 1} in job["warnings"]


def test_files_over_the_import_limit_are_413_and_bodies_over_1_mib_are_fine(make_server):
    small = make_server(max_import_bytes=2000)
    api = small.api()
    owner = api.register()
    uploads = small.settings.data_dir / "imports"
    uploads.mkdir(exist_ok=True)
    before = set(uploads.glob("*.upload"))
    error(send(api, owner.session, fixture("simplyplural.json")), 413, "PAYLOAD_TOO_LARGE")

    def chunks():
        yield fixture("simplyplural.json")

    chunked = api.post(IMPORTS, owner.session, content=chunks(), headers={"Content-Type": "application/json"})
    error(chunked, 413, "PAYLOAD_TOO_LARGE")
    assert set(uploads.glob("*.upload")) <= before  # the partial file is removed
    api.close()
    roomy = make_server(max_body_bytes=4096)
    api = roomy.api()
    owner = api.register()
    big = sp()
    big["members"][0]["desc"] = "long " * 3000  # over 10,000 characters: cut, and warned
    big["notes"][0]["note"] = "ü" * 120_000  # a journal body over 100,000 characters
    job = imported(api, owner.session, big)
    assert warned(job, "text_truncated") == 2
    ash = next(m for m in everything(api, owner.session, MEMBERS) if m["pronouns"])
    assert len(ash["description"]) == 10_000
    api.close()


def test_an_import_overlapping_fronts_already_here_skips_them_and_says_so(api):
    owner = api.register()
    imported(api, owner.session, sp())
    ash = next(m for m in everything(api, owner.session, MEMBERS) if m["pronouns"])
    newer = sp()
    newer["frontHistory"].append({"_id": "f9", "member": "m1", "custom": False, "live": False,
                                  "startTime": 1600000000000, "endTime": 1600003600000})
    data(api.post("/api/v1/systems/@me/fronts", owner.session, json={
        "member_id": ash["id"], "started_at": "2020-09-13T12:30:00Z", "ended_at": "2020-09-13T12:40:00Z"}), 201)
    job = imported(api, owner.session, newer)
    assert warned(job, "front_overlaps_existing") == 1 and job["counts"]["fronts"]["created"] == 0


def test_jobs_are_listed_newest_first_and_only_to_their_owner(api):
    owner, other = api.register(), api.register()
    first = imported(api, owner.session, {"tuppers": []})
    second = imported(api, owner.session, {"tuppers": []}, dry_run=True)
    listed = data(api.get(IMPORTS, owner.session, params={"limit": 1}))
    assert [j["id"] for j in listed] == [second["id"]]
    assert [j["id"] for j in everything(api, owner.session, IMPORTS)] == [second["id"], first["id"]]
    assert data(api.get(IMPORTS, other.session)) == []
    error(api.get(f"{IMPORTS}/{first['id']}", other.session), 404, "NOT_FOUND")
    error(api.get(f"{IMPORTS}/{uuid.uuid4()}", owner.session), 404, "NOT_FOUND")
    reader = api.pat(owner, "system:read")
    error(api.get(IMPORTS, reader), 403, "INSUFFICIENT_SCOPE")
    error(send(api, reader, {"tuppers": []}), 403, "INSUFFICIENT_SCOPE")


@postgres_only  # several worker processes share a queue only on PostgreSQL (SQLite runs one process)
def test_on_postgresql_each_queued_job_goes_to_exactly_one_worker(server, api):
    """Two workers claiming at the same moment (two open transactions): SKIP LOCKED hands each job to one of them."""
    import asyncio

    from sqlalchemy.ext.asyncio import create_async_engine

    from pluralspace.kit.db import async_postgres_url

    owners = [api.register(), api.register()]
    job_ids = [uuid.uuid4(), uuid.uuid4()]

    def queued(session):
        for owner, job_id in zip(owners, job_ids, strict=True):
            job_service.enqueue(session, "test-claim", uuid.UUID(owner.system_uuid), None, {}, job_id)

    unit_of_work(server, queued, write=True)

    async def claim_twice() -> list:
        engine = create_async_engine(async_postgres_url(server.state.database.url))
        try:
            async with engine.connect() as first, engine.connect() as second:
                await first.begin()
                await second.begin()
                claimed = [await connection.run_sync(lambda c: _claim(c, name))
                           for connection, name in ((first, "one"), (second, "two"))]
                await first.commit()
                await second.commit()
                return claimed
        finally:
            await engine.dispose()

    claimed = asyncio.run(claim_twice())
    assert claimed[0] is not None and claimed[1] is not None and claimed[0] != claimed[1]
    assert set(claimed) == set(job_ids)


def _claim(connection, worker: str):
    from sqlalchemy.orm import Session

    with Session(bind=connection) as session:
        job = job_service.claim(session, ("test-claim",), worker)
        session.flush()
        return job.id if job else None
