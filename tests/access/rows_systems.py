"""Rows of a system itself: reading and renaming it, its export and its imports."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from ..helpers import Account, data, error
from .world import OWNER_DESCRIPTION, Call, Check, Row, World, owner_system_not_named, simple, unique


def export_of(account_of: Callable[[World], Account]) -> Check:
    """The caller's own system, whoever calls: an export never holds another account's data."""
    def check(world: World, call: Call, response: httpx.Response) -> None:
        assert response.status_code == 200, response.text
        exported = response.json()
        assert exported["format"] == "pluralspace" and exported["system"]["id"] == account_of(world).system_id
        others = {world.owner.system_id, world.other.system_id} - {account_of(world).system_id}
        assert not any(system_id in response.text for system_id in others)

    return check


# --- imports -----------------------------------------------------------------------------------------------------

IMPORTS = "/api/v1/systems/@me/imports"


def tupperbox_file() -> dict:
    return {"tuppers": [{"name": unique("imported"), "brackets": ["i:", ""]}], "groups": []}


def finished_import(world: World, token: str, job_id: str) -> dict:
    deadline = time.monotonic() + 30
    while True:
        job = data(world.api.get(f"{IMPORTS}/{job_id}", token))
        if job["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def import_call(world: World) -> Call:
    return Call("POST", IMPORTS, tupperbox_file())


def import_into(account_of: Callable[[World], Account]) -> Check:
    """The file goes into the caller's own system, whoever calls."""
    def check(world: World, call: Call, response: httpx.Response) -> None:
        account = account_of(world)
        job = finished_import(world, account.session, data(response, 202)["id"])
        assert job["status"] == "succeeded", job
        name = call.json["tuppers"][0]["name"]
        for someone in (world.owner, world.other):
            names = [m["name"] for m in data(world.api.get("/api/v1/systems/@me/members?limit=200", someone.session))]
            assert (name in names) == (someone is account)

    return check


def owner_job_call(world: World) -> Call:
    job = data(world.api.post(IMPORTS, world.owner.session, json=tupperbox_file()), 202)
    finished_import(world, world.owner.session, job["id"])
    return Call("GET", f"{IMPORTS}/{job['id']}", keep={"job_id": job["id"]})


def is_owner_job(world: World, call: Call, response: httpx.Response) -> None:
    assert data(response)["id"] == call.keep["job_id"]


def owner_jobs_listed(world: World, call: Call, response: httpx.Response) -> None:
    assert call.keep["job_id"] in [job["id"] for job in data(response)]


def owner_jobs_not_listed(world: World, call: Call, response: httpx.Response) -> None:
    assert call.keep["job_id"] not in [job["id"] for job in data(response)]


def list_jobs_call(world: World) -> Call:
    return Call("GET", f"{IMPORTS}?limit=200", keep=owner_job_call(world).keep)


def is_not_found(world: World, call: Call, response: httpx.Response) -> None:
    error(response, 404, "NOT_FOUND")


# --- systems -----------------------------------------------------------------------------------------------------

def is_owner_system(world: World, call: Call, response: httpx.Response) -> None:
    body = data(response)
    assert body["id"] == world.owner.system_id and body["privacy"] is not None
    assert body["description"] == OWNER_DESCRIPTION


def is_other_system(world: World, call: Call, response: httpx.Response) -> None:
    assert data(response)["id"] == world.other.system_id


def public_view_of_owner_system(world: World, call: Call, response: httpx.Response) -> None:
    body = data(response)
    owners = data(world.owner_get("/api/v1/systems/@me"))
    assert body["id"] == world.owner.system_id and body["name"] == owners["name"] and body["tag"] == owners["tag"]
    assert body["privacy"] is None and body["description"] is None


def rename_system_call(world: World) -> Call:
    return Call("PATCH", "/api/v1/systems/@me", {"name": unique("renamed")})


def owner_system_renamed(world: World, call: Call, response: httpx.Response) -> None:
    assert data(response)["name"] == call.json["name"]
    assert data(world.owner_get("/api/v1/systems/@me"))["name"] == call.json["name"]


def only_other_system_renamed(world: World, call: Call, response: httpx.Response) -> None:
    body = data(response)
    assert body["id"] == world.other.system_id and body["name"] == call.json["name"]
    owner_system_not_named(world, call)


SYSTEM_ROWS = [
    # Systems.
    Row("GET", "/api/v1/systems/{sid}", "system:read", False, simple("GET", "/api/v1/systems/@me"),
        check=is_owner_system, as_other=is_other_system, variant="@me"),
    Row("GET", "/api/v1/systems/@me/export", "system:read", False, simple("GET", "/api/v1/systems/@me/export"),
        check=export_of(lambda w: w.owner), as_other=export_of(lambda w: w.other)),
    Row("POST", IMPORTS, "system:write", False, import_call, 202, check=import_into(lambda w: w.owner),
        as_other=import_into(lambda w: w.other)),
    Row("GET", IMPORTS, "system:write", False, list_jobs_call, check=owner_jobs_listed,
        as_other=owner_jobs_not_listed),
    Row("GET", IMPORTS + "/{job_id}", "system:write", False, owner_job_call, check=is_owner_job,
        as_other=is_not_found),
    Row("GET", "/api/v1/systems/{sid}", "system:read", True,
        lambda w: Call("GET", f"/api/v1/systems/{w.owner.system_id}"), check=is_owner_system,
        as_other=public_view_of_owner_system, as_public=public_view_of_owner_system, variant="short id"),
    Row("GET", "/api/v1/systems/{sid}", "system:read", True,
        lambda w: Call("GET", f"/api/v1/systems/{w.owner.system_uuid}"), check=is_owner_system,
        as_other=public_view_of_owner_system, as_public=public_view_of_owner_system, variant="uuid"),
    Row("PATCH", "/api/v1/systems/@me", "system:write", False, rename_system_call, check=owner_system_renamed,
        as_other=only_other_system_renamed, unchanged=owner_system_not_named),
]
