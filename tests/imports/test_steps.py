"""An import applied in steps (SQLite: each step its own short transaction): a failure after several committed
steps still leaves the system exactly as before, and other systems write while a large import runs."""

from __future__ import annotations

import copy
import json
import time
import uuid

from sqlalchemy import func, select

from pluralspace.imports import service as import_service
from pluralspace.imports.apply import _Engine
from pluralspace.imports.models import ImportUndo
from pluralspace.kit.db import Steps

from ..helpers import data, error, sqlite_only, unit_of_work
from .common import IMPORTS, fixture, imported, run_import, send, wait
from .test_restart import large_export

ME = "/api/v1/systems/@me"


def sp() -> dict:
    return json.loads(fixture("simplyplural.json"))


def export(api, token: str) -> dict:
    """The system's whole export, without the moment it was made."""
    response = api.get(f"{ME}/export", token)
    assert response.status_code == 200, response.text
    return {key: value for key, value in response.json().items() if key != "exported_at"}


def undo_entries(server, job_id: str) -> int:
    return unit_of_work(server, lambda session: session.execute(select(func.count()).where(
        ImportUndo.job_id == uuid.UUID(job_id))).scalar_one())


def a_changed_file() -> dict:
    """The fixture with something changed on every path a re-import writes: a member renamed and one added, a field
    value changed, a front that ended since, the system's description, a note's text."""
    changed = copy.deepcopy(sp())
    changed["members"][0]["name"] = "Ash (renamed)"
    changed["members"][0]["info"]["cfText"] = "Keeper"
    changed["members"].append({"_id": "m9", "name": "Newcomer"})
    changed["frontHistory"][3].update(live=False, endTime="2023-11-15T12:00:00Z")
    changed["users"][0]["desc"] = "We moved."
    changed["notes"][0]["note"] = "We dreamed of seas."
    return changed


def test_a_failure_after_several_steps_leaves_the_system_exactly_as_before(server, api, monkeypatch):
    owner = api.register()
    imported(api, owner.session, sp())  # what the failing import will update, not only create
    data(api.post(f"{ME}/members", owner.session, json={"name": "Made here"}), 201)
    before = export(api, owner.session)

    commits: list[int] = []
    commit = Steps.commit

    def counted(self: Steps) -> None:
        commit(self)
        commits.append(self.committed)

    def broken(self: _Engine) -> None:
        raise RuntimeError("injected after members, groups, fronts and the journal")

    monkeypatch.setattr(import_service.Importer, "step_seconds", 0.0)  # every piece of work is a step of its own
    monkeypatch.setattr(Steps, "commit", counted)
    monkeypatch.setattr(_Engine, "apply_polls", broken)
    job = run_import(api, owner.session, a_changed_file())
    assert job["status"] == "failed" and "nothing of it was applied" in job["error"]["message"], job
    if server.state.database.sqlite:
        assert len(commits) >= 10, commits  # the failure came after that many committed steps
    assert export(api, owner.session) == before
    assert undo_entries(server, job["id"]) == 0

    monkeypatch.undo()
    again = imported(api, owner.session, a_changed_file())  # the sources' map was restored too: nothing doubles
    assert again["counts"]["members"] == {"created": 1, "updated": 1, "unchanged": 5}
    assert again["counts"]["fronts"] == {"created": 0, "updated": 1, "unchanged": 4}
    assert undo_entries(server, again["id"]) == 0


@sqlite_only  # SQLite's writers share one lock; on PostgreSQL the import is one transaction that locks rows
def test_other_systems_write_while_a_large_import_runs_and_its_own_system_waits(server, api):
    owner, neighbour = api.register(), api.register()
    job = data(send(api, owner.session, large_export(300, 200)), 202)  # 60,000 fronts
    deadline = time.monotonic() + 300
    while (seen := data(api.get(f"{IMPORTS}/{job['id']}", owner.session)))["progress"] < 0.3:
        assert seen["status"] in ("queued", "running") and time.monotonic() < deadline, seen
        time.sleep(0.02)
    started = time.monotonic()
    member = data(api.post(f"{ME}/members", neighbour.session, json={"name": "Next door"}), 201)
    data(api.put(f"{ME}/fronters", neighbour.session, json={"member_ids": [member["id"]]}))
    took = time.monotonic() - started
    assert data(api.get(f"{IMPORTS}/{job['id']}", owner.session))["status"] == "running"  # it went in between
    assert took < 5, took  # not behind the whole import (tens of seconds here), however loaded the machine
    refused = error(api.post(f"{ME}/members", owner.session, json={"name": "Too soon"}), 409, "CONFLICT")
    assert refused["details"]["reason"] == "import_running"
    done = wait(api, owner.session, job["id"], timeout=600)
    assert done["status"] == "succeeded" and done["counts"]["fronts"]["created"] == 60_000, done
    assert undo_entries(server, job["id"]) == 0
    assert data(api.post(f"{ME}/members", owner.session, json={"name": "Now"}), 201)
