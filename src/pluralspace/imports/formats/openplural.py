"""OpenPlural v0.1: an envelope `{openplural_version, producer, systems, members, groups, group_memberships,
custom_fields, custom_field_values, front_periods, notes, ..., chat, boards, relationships, polls}` whose records
carry their own ids (and `source_refs`, `extensions` this server does not need). A front period holds the members
fronting together (`assignments`); each becomes one front per member."""

from __future__ import annotations

from typing import Any

from ...fields.schemas import FIELD_TYPES
from ..plan import FrontItem, GroupItem, Item, JournalItem, MemberItem, Plan, PollItem, PollOption
from .common import SourceError, birthday, colour, expect, privacy, proxy_tags, text, timestamp

NAME = "openplural"
# Modules and records this server has nothing for: counted in the warnings.
NOT_IMPORTED = {"taxonomy_terms": "taxonomy terms", "taxonomy_assignments": "taxonomy assignments",
                "front_events": "front events", "assets": "assets (pictures)", "chat": "chat",
                "boards": "boards", "relationships": "relationships (provisional in v0.1)",
                "reminders": "reminders", "sharing": "sharing settings"}


def detect(data: Any) -> bool:
    return isinstance(data, dict) and "openplural_version" in data


def _records(data: dict[str, Any], key: str) -> list[tuple[dict[str, Any], str]]:
    found = []
    for index, item in enumerate(expect(data.get(key) or [], list, f"$.{key}")):
        path = f"$.{key}[{index}]"
        expect(item, dict, path)
        if item.get("id") is None and key not in ("group_memberships", "custom_field_values"):
            raise SourceError("has no id", f"{path}.id")
        found.append((item, path))
    return found


def _count(value: Any) -> int:
    if isinstance(value, list):
        return len(value)
    if isinstance(value, dict):
        return sum(len(v) for v in value.values() if isinstance(v, list)) or 1
    return 0


def read(data: Any) -> Plan:
    expect(data, dict, "$")
    version = str(data.get("openplural_version"))
    if not version.startswith("0."):
        raise SourceError(f"OpenPlural version {version!r} is not one this server reads (0.1)",
                          "$.openplural_version")
    plan = Plan(format=NAME)
    warnings = plan.warnings
    systems = _records(data, "systems")
    if systems:
        system, _path = systems[0]
        plan.system = {k: v for k, v in {
            "name": text(system.get("name")), "description": text(system.get("description")),
            "tag": text(system.get("tag")), "color": colour(system.get("color"), "systems.color", warnings),
        }.items() if v is not None}
        warnings.add("not_imported", "systems: only the first system of the file is imported", len(systems) - 1)
    for item, path in _records(data, "members"):
        name = text(item.get("name"))
        if name is None:
            raise SourceError("has no name", f"{path}.name")
        visibility = (item.get("privacy") or {}).get("visibility") if isinstance(item.get("privacy"), dict) else None
        values = {"name": name, "display_name": text(item.get("display_name")), "pronouns": text(item.get("pronouns")),
                  "description": text(item.get("description")),
                  "birthday": birthday(item.get("birthday"), "members.birthday", warnings),
                  "color": colour(item.get("color"), "members.color", warnings),
                  "proxy_tags": proxy_tags(item.get("proxy_tags"), "members.proxy_tags", warnings),
                  "is_custom_front": bool(item.get("is_custom_front")), "archived": bool(item.get("archived")),
                  "created_at": timestamp(item.get("created_at"), f"{path}.created_at", warnings),
                  "privacy": {"visibility": "public" if visibility == "public" else "private"}}
        if item.get("avatar_asset_id") or item.get("banner_asset_id"):
            warnings.add("avatar_not_kept", "members.avatar_asset_id: pictures are not kept")
        if item.get("age") is not None:
            warnings.add("not_imported", "members.age: not kept")
        plan.members.append(MemberItem(str(item["id"]), {k: v for k, v in values.items() if v is not None}))
    members_of: dict[str, list[str]] = {}
    for item, _path in _records(data, "group_memberships"):
        members_of.setdefault(str(item.get("group_id")), []).append(str(item.get("member_id")))
    for item, _path in _records(data, "groups"):
        name = text(item.get("name")) or "(no name)"
        values = {"name": name, "description": text(item.get("description")),
                  "color": colour(item.get("color"), "groups.color", warnings)}
        if text(item.get("emoji")):
            values["display_name"] = f"{item['emoji']} {name}"[:100]
        parent = item.get("parent_group_id")
        plan.groups.append(GroupItem(str(item["id"]), {k: v for k, v in values.items() if v is not None},
                                     parent=str(parent) if parent else None,
                                     members=members_of.get(str(item["id"]), [])))
    for item, _path in _records(data, "custom_fields"):
        kind = item.get("type") or item.get("field_type")
        if kind not in FIELD_TYPES:
            warnings.add("field_type_unknown", "custom_fields.type: types this server lacks kept as text")
            kind = "text"
        plan.fields.append(Item(str(item["id"]), {"name": text(item.get("name")) or "(no name)", "type": kind,
                                                  "options": item.get("options") if kind.endswith("select") else None,
                                                  "privacy": privacy((item.get("privacy") or {}).get("visibility")
                                                                     if isinstance(item.get("privacy"), dict)
                                                                     else "private")}))
    members = {m.source_id: m for m in plan.members}
    for item, _path in _records(data, "custom_field_values"):
        member = members.get(str(item.get("member_id")))
        if member is None:
            warnings.add("unknown_member", "custom_field_values: values of members that are not in the file")
            continue
        member.fields[str(item.get("field_id"))] = item.get("value")
    for item, path in _records(data, "front_periods"):
        start = timestamp(item.get("started_at"), f"{path}.started_at", warnings, required=True)
        end = timestamp(item.get("ended_at"), f"{path}.ended_at", warnings)
        for index, assignment in enumerate(expect(item.get("assignments") or [], list, f"{path}.assignments")):
            expect(assignment, dict, f"{path}.assignments[{index}]")
            note = text(assignment.get("note")) or text(item.get("note"))
            plan.fronts.append(FrontItem(f"{item['id']}:{assignment.get('member_id')}",
                                         str(assignment.get("member_id")), start, end, note))
    comments = data.get("front_comments") or []
    warnings.add("not_imported", "front_comments: not kept", len(comments) if isinstance(comments, list) else 0)
    for item, path in _records(data, "notes"):
        authors = [str(a) for a in item.get("author_member_ids") or []] or (
            [str(item["member_id"])] if item.get("member_id") else [])
        values = {"title": text(item.get("title")), "body": text(item.get("body")) or "",
                  "pinned": bool(item.get("pinned")),
                  "privacy": "public" if item.get("visibility") == "public" else "private"}
        created = timestamp(item.get("created_at"), f"{path}.created_at", warnings)
        if created:
            values["created_at"] = created
        plan.journal.append(JournalItem(str(item["id"]), values, authors=authors))
    polls = data.get("polls") if isinstance(data.get("polls"), dict) else {}
    for index, poll in enumerate(polls.get("polls") or []):
        if not isinstance(poll, dict) or poll.get("id") is None:
            raise SourceError("must be an object with an id", f"$.polls.polls[{index}]")
        options = [PollOption(str(i), text(o.get("name")) or f"Option {i + 1}")
                   for i, o in enumerate(poll.get("options") or []) if isinstance(o, dict)]
        if any((o.get("vote_count") or 0) for o in poll.get("options") or [] if isinstance(o, dict)):
            warnings.add("poll_votes_without_voters", "polls.options.vote_count: vote counts without their voters "
                                                      "are not kept")
        values = {"title": text(poll.get("question")) or "(untitled poll)", "closed": bool(poll.get("closed"))}
        created = timestamp(poll.get("created_at"), f"$.polls.polls[{index}].created_at", warnings)
        if created:
            values["created_at"] = created
        plan.polls.append(PollItem(str(poll["id"]), values, options=options))
    for key, what in NOT_IMPORTED.items():
        warnings.add("not_imported", f"{what}: not imported", _count(data.get(key)))
    return plan
