"""PluralKit's `pk;export`, versions 1 and 2 (and this server's own `?format=pluralkit` export, which is version 2).

Switches become fronts: each member of a switch fronts from that switch until the next switch that leaves them out
(co-fronts are the members of one switch; an empty switch ends every front). Version 1 files have no groups, flat
privacy keys and sometimes a member's single `prefix`/`suffix`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..plan import FrontItem, GroupItem, MemberItem, Plan
from .common import SourceError, birthday, colour, expect, privacy, proxy_tags, text, timestamp

NAME = "pluralkit"
SYSTEM_PRIVACY = {"description_privacy": "description", "member_list_privacy": "member_list",
                  "group_list_privacy": "group_list", "front_privacy": "front",
                  "front_history_privacy": "front_history"}
MEMBER_PRIVACY = {"visibility": "visibility", "name_privacy": "name", "description_privacy": "description",
                  "avatar_privacy": "avatar", "birthday_privacy": "birthday", "pronoun_privacy": "pronouns",
                  "metadata_privacy": "metadata"}
GROUP_PRIVACY = {"visibility": "visibility", "name_privacy": "name", "description_privacy": "description",
                 "icon_privacy": "icon", "list_privacy": "list"}
NOT_KEPT = {"tts": "members.tts", "webhook_avatar_url": "members.webhook_avatar_url",
            "message_count": "members.message_count", "last_message_timestamp": "members.last_message_timestamp",
            "autoproxy_enabled": "members.autoproxy_enabled"}


def detect(data: Any) -> bool:
    return isinstance(data, dict) and "switches" in data and "members" in data and "tuppers" not in data


def _privacy(obj: dict[str, Any], keys: dict[str, str]) -> dict[str, str]:
    stated = obj.get("privacy")
    nested: dict[str, Any] = stated if isinstance(stated, dict) else obj  # version 1: flat keys
    return {ours: privacy(nested[theirs]) for theirs, ours in keys.items() if theirs in nested}


def read(data: Any) -> Plan:
    expect(data, dict, "$")
    plan = Plan(format=NAME)
    warnings = plan.warnings
    config = data.get("config") if isinstance(data.get("config"), dict) else {}
    plan.system = {key: value for key, value in {
        "name": text(data.get("name")), "description": text(data.get("description")), "tag": text(data.get("tag")),
        "pronouns": text(data.get("pronouns")), "avatar_url": text(data.get("avatar_url")),
        "banner_url": text(data.get("banner")), "color": colour(data.get("color"), "system.color", warnings),
        "timezone": text(config.get("timezone") or data.get("timezone")),
    }.items() if value is not None}
    system_privacy = _privacy(data, SYSTEM_PRIVACY)
    if system_privacy:
        plan.system["privacy"] = system_privacy
    if config:
        warnings.add("not_imported", "config: PluralKit's bot settings other than the time zone are not kept")
    if text(data.get("webhook_url")):
        warnings.add("not_imported", "webhook_url: not kept")
    by_hid: dict[str, str] = {}
    for index, member in enumerate(expect(data.get("members") or [], list, "$.members")):
        path = f"$.members[{index}]"
        expect(member, dict, path)
        hid = text(member.get("id"))
        if hid is None:
            raise SourceError("has no id", f"{path}.id")
        name = text(member.get("name"))
        if name is None:
            raise SourceError("has no name", f"{path}.name")
        source_id = text(member.get("uuid")) or hid
        by_hid[hid] = source_id
        tags = member.get("proxy_tags")
        if tags is None and (member.get("prefix") or member.get("suffix")):  # version 1's single pair
            tags = [{"prefix": member.get("prefix"), "suffix": member.get("suffix")}]
        values: dict[str, Any] = {
            "name": name, "display_name": text(member.get("display_name")), "pronouns": text(member.get("pronouns")),
            "description": text(member.get("description")), "avatar_url": text(member.get("avatar_url")),
            "banner_url": text(member.get("banner")),
            "color": colour(member.get("color"), "members.color", warnings),
            "birthday": birthday(member.get("birthday"), "members.birthday", warnings),
            "proxy_tags": proxy_tags(tags, "members.proxy_tags", warnings),
            "keep_proxy": bool(member.get("keep_proxy")),
            "created_at": timestamp(member.get("created"), f"{path}.created", warnings),
        }
        values = {k: v for k, v in values.items() if v is not None}
        member_privacy = _privacy(member, MEMBER_PRIVACY)
        if member_privacy:
            values["privacy"] = member_privacy
        for key, what in NOT_KEPT.items():
            if member.get(key) not in (None, False, 0, ""):
                warnings.add("not_imported", f"{what}: not kept")
        plan.members.append(MemberItem(source_id, values, hid=hid))
    for index, group in enumerate(expect(data.get("groups") or [], list, "$.groups")):
        path = f"$.groups[{index}]"
        expect(group, dict, path)
        hid = text(group.get("id"))
        name = text(group.get("name"))
        if hid is None or name is None:
            raise SourceError("needs an id and a name", path)
        members = []
        for position, ref in enumerate(expect(group.get("members") or [], list, f"{path}.members")):
            found = by_hid.get(str(ref)) or (str(ref) if str(ref) in by_hid.values() else None)
            if found is None:
                raise SourceError(f"{str(ref)[:40]!r} is not a member in the file", f"{path}.members[{position}]")
            members.append(found)
        values = {"name": name, "display_name": text(group.get("display_name")),
                  "description": text(group.get("description")), "icon": text(group.get("icon")),
                  "color": colour(group.get("color"), "groups.color", warnings),
                  "created_at": timestamp(group.get("created"), f"{path}.created", warnings)}
        values = {k: v for k, v in values.items() if v is not None}
        group_privacy = _privacy(group, GROUP_PRIVACY)
        if group_privacy:
            values["privacy"] = group_privacy
        if text(group.get("banner")):
            warnings.add("not_imported", "groups.banner: not kept")
        plan.groups.append(GroupItem(text(group.get("uuid")) or hid, values, members=members, hid=hid))
    plan.fronts = _fronts(expect(data.get("switches") or [], list, "$.switches"), by_hid, plan)
    plan.linked_accounts = [str(a) for a in data.get("accounts") or [] if isinstance(a, (int, str))
                            and str(a).isdigit()]
    return plan


def _fronts(switches: list[Any], by_hid: dict[str, str], plan: Plan) -> list[FrontItem]:
    moments: list[tuple[datetime, list[str], int]] = []
    for index, switch in enumerate(switches):
        path = f"$.switches[{index}]"
        expect(switch, dict, path)
        at = timestamp(switch.get("timestamp"), f"{path}.timestamp", plan.warnings, required=True)
        members = []
        for position, ref in enumerate(expect(switch.get("members") or [], list, f"{path}.members")):
            found = by_hid.get(str(ref)) or (str(ref) if str(ref) in by_hid.values() else None)
            if found is None:
                raise SourceError(f"{str(ref)[:40]!r} is not a member in the file", f"{path}.members[{position}]")
            members.append(found)
        moments.append((at, list(dict.fromkeys(members)), index))
    moments.sort(key=lambda m: m[0])
    fronts: list[FrontItem] = []
    open_since: dict[str, datetime] = {}
    for at, members, _index in moments:
        for member in [m for m in open_since if m not in members]:
            start = open_since.pop(member)
            fronts.append(FrontItem(f"{member}@{start.isoformat()}", member, start, at))
        for member in members:
            open_since.setdefault(member, at)
    for member, start in open_since.items():
        fronts.append(FrontItem(f"{member}@{start.isoformat()}", member, start, None))
    return fronts
