"""This server's own export (`GET /systems/@me/export`, format `pluralspace`): every object as the API shows it to
its owner, so the mapping is one to one. Objects keep their ids as source ids, and members and groups their short
ids where they are free, so an export imported into a fresh account reproduces the system."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..plan import (
    FrontItem,
    GroupItem,
    Item,
    JournalItem,
    MemberItem,
    Plan,
    PollItem,
    PollOption,
    PollVote,
    RelationshipItem,
    ThoughtItem,
)
from .common import SourceError, colour, expect, timestamp

NAME = "pluralspace"
SYSTEM_KEYS = ("name", "description", "tag", "pronouns", "avatar_url", "banner_url", "timezone", "privacy")
MEMBER_KEYS = ("name", "display_name", "pronouns", "description", "avatar_url", "banner_url", "birthday", "roles",
               "proxy_tags", "keep_proxy", "is_custom_front", "archived", "privacy")
GROUP_KEYS = ("name", "display_name", "description", "icon", "privacy")


def detect(data: Any) -> bool:
    return isinstance(data, dict) and data.get("format") == NAME


def _objects(data: dict[str, Any], key: str) -> list[tuple[Any, str]]:
    """(object, path) of each object of a section: JSON as read, each value checked where it is used."""
    found = []
    for index, item in enumerate(expect(data.get(key) or [], list, f"$.{key}")):
        path = f"$.{key}[{index}]"
        expect(item, dict, path)
        if not item.get("id"):
            raise SourceError("has no id", f"{path}.id")
        found.append((item, path))
    return found


def _pick(item: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: item[key] for key in keys if key in item}


def read(data: Any) -> Plan:
    expect(data, dict, "$")
    if data.get("version") != 1:
        raise SourceError(f"version {data.get('version')!r} is not one this server reads (1)", "$.version")
    plan = Plan(format=NAME)
    warnings = plan.warnings

    def times(value: Any, path: str) -> datetime | None:
        return timestamp(value, path, warnings)

    system = data.get("system") or {}
    expect(system, dict, "$.system")
    plan.system = {**_pick(system, SYSTEM_KEYS), "color": colour(system.get("color"), "system.color", warnings)}
    for omitted in data.get("omitted") or []:
        warnings.add("section_omitted", f"{omitted}: not in the file (the exporting token could not read it)")
    for item, _path in _objects(data, "fields"):
        plan.fields.append(Item(item["id"], {k: item.get(k) for k in ("name", "type", "options", "privacy")}))
    hids: dict[object, str] = {}  # the ids the file uses (any JSON value) to the members' source ids
    for item, path in _objects(data, "members"):
        source_id = item.get("uuid") or item["id"]
        hids[item["id"]] = source_id
        values = {**_pick(item, MEMBER_KEYS), "color": colour(item.get("color"), "members.color", warnings),
                  "created_at": times(item.get("created_at"), f"{path}.created_at")}
        values = {k: v for k, v in values.items() if not (k == "created_at" and v is None)}
        plan.members.append(MemberItem(source_id, values, fields=dict(item.get("fields") or {}), hid=item["id"]))
    groups = _objects(data, "groups")
    group_ids = {item["id"]: item.get("uuid") or item["id"] for item, _path in groups}
    for item, path in groups:
        values = {**_pick(item, GROUP_KEYS), "color": colour(item.get("color"), "groups.color", warnings),
                  "created_at": times(item.get("created_at"), f"{path}.created_at")}
        plan.groups.append(GroupItem(group_ids[item["id"]], {k: v for k, v in values.items() if v is not None or
                                                             k != "created_at"},
                                     parent=group_ids.get(item["parent_id"]) if item.get("parent_id") else None,
                                     members=[hids.get(m, m) for m in item.get("member_ids") or []], hid=item["id"]))
    for item, _path in _objects(data, "relationship_types"):
        plan.relationship_types.append(Item(item["id"], {k: item.get(k) for k in ("name", "inverse_name",
                                                                                  "description")}))
    for item, _path in _objects(data, "relationships"):
        plan.relationships.append(RelationshipItem(item["id"], {"note": item.get("note")}, type=item.get("type_id"),
                                                   source_member=hids.get(item.get("source_member_id"), ""),
                                                   target_member=hids.get(item.get("target_member_id"), "")))
    for item, path in _objects(data, "fronts"):
        plan.fronts.append(FrontItem(item["id"], hids.get(item.get("member_id"), str(item.get("member_id"))),
                                     timestamp(item.get("started_at"), f"{path}.started_at", warnings, required=True),
                                     times(item.get("ended_at"), f"{path}.ended_at"), item.get("comment")))
    for item, path in _objects(data, "journal"):
        values = {k: item[k] for k in ("title", "body", "tags", "pinned", "privacy") if k in item}
        for key in ("created_at", "updated_at"):
            if item.get(key):
                values[key] = times(item[key], f"{path}.{key}")
        plan.journal.append(JournalItem(item["id"], values, authors=[hids.get(a, a) for a in item.get("author_ids")
                                                                     or []]))
    for item, path in _objects(data, "polls"):
        options = [PollOption(o.get("id"), o.get("label") or "", colour(o.get("color"), "polls.options", warnings))
                   for o in item.get("options") or [] if isinstance(o, dict)]
        votes = [PollVote(hids.get(v.get("member_id"), str(v.get("member_id"))), v.get("kind", "choice"),
                          list(v.get("option_ids") or []), v.get("comment"),
                          times(v.get("created_at"), f"{path}.votes.created_at"))
                 for v in item.get("votes") or [] if isinstance(v, dict)]
        values = {k: item[k] for k in ("title", "description", "allow_multiple", "allow_abstain", "allow_veto",
                                       "closed") if k in item}
        values["closes_at"] = times(item.get("closes_at"), f"{path}.closes_at")
        if item.get("created_at"):
            values["created_at"] = times(item["created_at"], f"{path}.created_at")
        plan.polls.append(PollItem(item["id"], values, options=options, votes=votes,
                                   created_by=hids.get(item.get("created_by")) if item.get("created_by") else None))
    for item, path in _objects(data, "thoughts"):
        values = {"text": item.get("text") or "", "date": item.get("date")}
        if item.get("created_at"):
            values["created_at"] = times(item["created_at"], f"{path}.created_at")
        plan.thoughts.append(ThoughtItem(item["id"], values,
                                         member=hids.get(item.get("member_id")) if item.get("member_id") else None))
    return plan
