"""Tupperbox's `tul!export`: `{tuppers: [...], groups: [...]}`. Tuppers become members (brackets become proxy
tags), Tupperbox groups become groups. There is no fronting and no privacy: members stay private."""

from __future__ import annotations

from typing import Any

from ..plan import GroupItem, MemberItem, Plan
from .common import SourceError, birthday, expect, proxy_tags, text, timestamp

NAME = "tupperbox"


def detect(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("tuppers"), list)


def read(data: Any) -> Plan:
    expect(data, dict, "$")
    plan = Plan(format=NAME)
    warnings = plan.warnings
    members_of: dict[str, list[str]] = {}
    for index, tupper in enumerate(expect(data.get("tuppers"), list, "$.tuppers")):
        path = f"$.tuppers[{index}]"
        expect(tupper, dict, path)
        name = text(tupper.get("name"))
        if name is None:
            raise SourceError("has no name", f"{path}.name")
        source_id = text(tupper.get("id")) or f"{index}:{name}"
        brackets = expect(tupper.get("brackets") or [], list, f"{path}.brackets")
        pairs = [{"prefix": brackets[i], "suffix": brackets[i + 1] if i + 1 < len(brackets) else None}
                 for i in range(0, len(brackets), 2)]
        values = {"name": name, "avatar_url": text(tupper.get("avatar_url")),
                  "description": text(tupper.get("description")),
                  "birthday": birthday(tupper.get("birthday"), "tuppers.birthday", warnings),
                  "proxy_tags": proxy_tags(pairs, "tuppers.brackets", warnings),
                  "keep_proxy": bool(tupper.get("show_brackets")),
                  "created_at": timestamp(tupper.get("created_at"), f"{path}.created_at", warnings)}
        if text(tupper.get("tag")):
            values["display_name"] = f"{name} {tupper['tag']}"[:100]
        if tupper.get("posts"):
            warnings.add("not_imported", "tuppers.posts: message counts are not kept")
        if tupper.get("nick"):
            warnings.add("not_imported", "tuppers.nick: not kept")
        plan.members.append(MemberItem(source_id, {k: v for k, v in values.items() if v is not None}))
        if tupper.get("group_id") is not None:
            members_of.setdefault(str(tupper["group_id"]), []).append(source_id)
    for index, group in enumerate(expect(data.get("groups") or [], list, "$.groups")):
        path = f"$.groups[{index}]"
        expect(group, dict, path)
        ident = text(group.get("id"))
        name = text(group.get("name"))
        if ident is None or name is None:
            raise SourceError("needs an id and a name", path)
        values = {"name": name, "description": text(group.get("description"))}
        if text(group.get("tag")):
            values["display_name"] = f"{name} {group['tag']}"[:100]
        plan.groups.append(GroupItem(ident, {k: v for k, v in values.items() if v is not None},
                                     members=members_of.pop(ident, [])))
    if members_of:
        warnings.add("group_unknown", "tuppers.group_id: refers to a group that is not in the file, left out",
                     sum(len(m) for m in members_of.values()))
    return plan
