"""The PluralSpace app's data export (pluralspace.app): a zip of `manifest.json`, `data.json` and `media/`.

`data.json` holds `system`, `members` (integer ids; `groups` by name, `custom_field_values`), `member_groups`,
`custom_fields`, `fronts` (one row per member), `journal`, `polls` (options with their votes), `thoughts` and
`chat_channels`. Its visibility levels have no documented meaning, so everything stays private here.
"""

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
    ThoughtItem,
)
from .common import SourceError, colour, expect, text, timestamp

NAME = "pluralspace-app"
MANIFEST, DATA, MEDIA = "manifest.json", "data.json", "media/"
MARKERS = {"member_groups", "custom_fields", "chat_channels", "thoughts", "journal"}


def bundle(manifest: Any, data: Any, media: list[str]) -> dict[str, Any]:
    """The zip's parts as one object, the way `read` takes them."""
    return {"manifest": manifest, "data": data, "media": media}


def detect(data: Any) -> bool:
    if isinstance(data, dict) and {"manifest", "data"} <= data.keys():
        return True
    return isinstance(data, dict) and "format" not in data and "system" in data and "fronts" in data \
        and bool(MARKERS & data.keys())


def _records(data: dict[str, Any], key: str) -> list[tuple[dict[str, Any], str]]:
    found = []
    for index, item in enumerate(expect(data.get(key) or [], list, f"$.{key}")):
        found.append((expect(item, dict, f"$.{key}[{index}]"), f"$.{key}[{index}]"))
    return found


def read(whole: Any) -> Plan:
    expect(whole, dict, "$")
    data = whole["data"] if "manifest" in whole and "data" in whole else whole
    expect(data, dict, "$")
    plan = Plan(format=NAME)
    warnings = plan.warnings
    system = expect(data.get("system") or {}, dict, "$.system")
    plan.system = {k: v for k, v in {"name": text(system.get("name")), "description": text(system.get("description")),
                                     "color": colour(system.get("color"), "system.color", warnings)}.items()
                   if v is not None}
    media = whole.get("media") or []
    warnings.add("avatar_not_kept", "media/: pictures are not kept", len(media))

    fields: dict[str, str] = {}  # field name -> source id
    for item, _path in _records(data, "custom_fields"):
        name = text(item.get("name")) or "(no name)"
        source_id = str(item.get("id", name))
        fields[name] = source_id
        kind = "date" if item.get("field_type") == "date" and not item.get("is_multiple") else "text"
        plan.fields.append(Item(source_id, {"name": name, "type": kind}))

    member_ids: dict[str, str] = {}  # name -> source id, for the rows that name members only
    group_members: dict[str, list[str]] = {}
    for item, path in _records(data, "members"):
        member_name = text(item.get("name"))
        if item.get("id") is None or member_name is None:
            raise SourceError("needs an id and a name", path)
        source_id = str(item["id"])
        member_ids.setdefault(member_name, source_id)
        roles = [r[:100] for r in (item.get("role") or item.get("roles") or []) if isinstance(r, str) and r.strip()]
        values: dict[str, Any] = {
            "name": member_name, "display_name": text(item.get("display_name")), "pronouns": text(item.get("pronouns")),
            "description": text(item.get("description")),
            "color": colour(item.get("color"), "members.color", warnings), "roles": roles[:50],
            "archived": bool(item.get("is_archived")), "is_custom_front": bool(item.get("is_custom_front")),
            "created_at": timestamp(item.get("created_at"), f"{path}.created_at", warnings)}
        if text(item.get("message_prefix")):
            values["proxy_tags"] = [{"prefix": item["message_prefix"][:100], "suffix": None}]
        for group in item.get("groups") or []:
            group_members.setdefault(str(group.get("name") if isinstance(group, dict) else group), []).append(
                source_id)
        member = MemberItem(source_id, {k: v for k, v in values.items() if v is not None})
        values_in = item.get("custom_field_values") or {}
        pairs = values_in.items() if isinstance(values_in, dict) else (
            (v.get("name") or v.get("field"), v.get("value")) for v in values_in if isinstance(v, dict))
        for field_name, value in pairs:
            if str(field_name) in fields:
                member.fields[fields[str(field_name)]] = ", ".join(map(str, value)) if isinstance(value, list) \
                    else value
            else:
                warnings.add("field_unknown", "members.custom_field_values: values of fields not in the file")
        plan.members.append(member)

    for item, _path in _records(data, "member_groups"):
        name = text(item.get("name")) or "(no name)"
        members = [str(m) for m in item.get("members") or item.get("member_ids") or []] or group_members.pop(name, [])
        plan.groups.append(GroupItem(str(item.get("id", name)), {k: v for k, v in {
            "name": name, "description": text(item.get("description")),
            "color": colour(item.get("color"), "member_groups.color", warnings)}.items() if v is not None},
            parent=str(item["parent_id"]) if item.get("parent_id") else None, members=members))
    for name, members in group_members.items():
        plan.groups.append(GroupItem(f"name:{name}", {"name": name}, members=members))

    def member_of(row: dict[str, Any]) -> str | None:
        if row.get("member_id") is not None:
            return str(row["member_id"])
        return member_ids.get(str(row.get("member_name")))

    def person(ref: Any) -> str | None:
        """A member as journal entries and polls name one: `{id, name}`, or the bare id."""
        if isinstance(ref, dict):
            return str(ref["id"]) if ref.get("id") is not None else member_ids.get(str(ref.get("name")))
        return str(ref) if ref is not None else None

    for item, path in _records(data, "fronts"):
        fronter = member_of(item)
        start = timestamp(item.get("started_at"), f"{path}.started_at", warnings, required=True)
        end = None if item.get("is_live") else timestamp(item.get("ended_at"), f"{path}.ended_at", warnings)
        if fronter is None:
            warnings.add("unknown_member", "fronts: rows naming a member that is not in the file, left out")
            continue
        if item.get("type_name") or item.get("type"):
            warnings.add("not_imported", "fronts.type: front types are not kept")
        plan.fronts.append(FrontItem(str(item.get("id", f"{fronter}@{_iso(start)}")), fronter, start, end,
                                     text(item.get("comment"))))

    for index, (item, path) in enumerate(_records(data, "journal")):
        created = timestamp(item.get("created_at") or item.get("date"), f"{path}.created_at", warnings)
        values = {"title": text(item.get("title")), "body": text(item.get("content")) or ""}
        if created:
            values["created_at"] = created
        authors = [a for a in (person(m) for m in item.get("members") or []) if a]
        plan.journal.append(JournalItem(str(item.get("id", f"journal-{index}")), values, authors=authors))

    for index, (item, path) in enumerate(_records(data, "polls")):
        options, votes = [], []
        for position, option in enumerate(item.get("options") or []):
            if not isinstance(option, dict):
                continue
            key = str(option.get("id", position))
            options.append(PollOption(key, text(option.get("text")) or f"Option {position + 1}"))
            for vote in option.get("votes") or []:
                voter = member_of(vote) if isinstance(vote, dict) else str(vote)
                if voter:
                    votes.append(PollVote(voter, "choice", [key]))
        values = {"title": text(item.get("title")) or "(untitled poll)", "description": text(item.get("description")),
                  "allow_multiple": bool(item.get("allows_multiple_votes")),
                  "closed": str(item.get("status", "")).lower() == "closed",
                  "closes_at": timestamp(item.get("closes_at"), f"{path}.closes_at", warnings)}
        plan.polls.append(PollItem(str(item.get("id", f"poll-{index}")), values, options=options,
                                   votes=_one_vote_each(votes), created_by=person(item.get("created_by_member"))))

    for index, (item, path) in enumerate(_records(data, "thoughts")):
        body = text(item.get("text") or item.get("content") or item.get("thought"))
        created = timestamp(item.get("created_at"), f"{path}.created_at", warnings)
        if body is None or created is None:
            warnings.add("not_imported", "thoughts: thoughts without text or time, left out")
            continue
        plan.thoughts.append(ThoughtItem(str(item.get("id", f"thought-{index}")),
                                         {"text": body, "date": created.date().isoformat(), "created_at": created},
                                         member=member_of(item)))
    channels = data.get("chat_channels") or []
    warnings.add("not_imported", "chat_channels: chat is not imported", len(channels))
    warnings.add("not_imported", "chat messages: not imported",
                 sum(len(c.get("messages") or []) for c in channels if isinstance(c, dict)))
    return plan


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _one_vote_each(votes: list[PollVote]) -> list[PollVote]:
    """A member who picked several options casts one vote choosing them all."""
    merged: dict[str, PollVote] = {}
    for vote in votes:
        if vote.member in merged:
            merged[vote.member].options += vote.options
        else:
            merged[vote.member] = vote
    return list(merged.values())
