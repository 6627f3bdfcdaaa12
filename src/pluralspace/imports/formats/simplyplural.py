"""Simply Plural's export: one JSON object keyed by collection name (every collection of the user).

Real files differ: collections are arrays or objects keyed by id, times are numbers, numeric strings, ISO text or
Firebase objects, `frontStatuses`/`customFronts` and `frontHistory`/`fronters` both occur, colours come in several
shapes (see common.py). docs/IMPORTS.md lists every mapping. `tokens`, notification tokens and friends' ids are
never read beyond counting them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any, Literal, overload

from ...kit.timeutil import format_timestamp
from ..plan import FrontItem, GroupItem, Item, JournalItem, MemberItem, Plan, PollItem, PollOption, PollVote
from .common import SourceError, colour, expect, records, text, timestamp

NAME = "simplyplural"
MEMBER_KEYS = ("members",)
CUSTOM_FRONT_KEYS = ("frontStatuses", "customFronts")
FRONT_KEYS = ("frontHistory", "fronters")
MARKERS = {"frontStatuses", "customFronts", "frontHistory", "fronters", "customFields", "privacyBuckets", "users",
           "boardMessages", "repeatedReminders", "automatedReminders", "chatMessages"}
# Collections this server has nothing for: counted in the warnings, never stored.
NOT_IMPORTED = {
    "chatMessages": "chat messages", "channels": "chat channels", "channelCategories": "chat categories",
    "automatedReminders": "automated reminders", "repeatedReminders": "repeated reminders",
    "privacyBuckets": "privacy buckets", "friends": "friends", "pendingFriendRequests": "friend requests",
    "friendRequests": "friend requests", "tokens": "API tokens", "events": "analytics events",
    "audit": "audit log entries", "audits": "audit log entries",
}
# Simply Plural's custom field types: 0 text, 1 colour, 2 date, 3 month, 4 year, 5 month and year, 6 timestamp,
# 7 month and day. Partial dates have no type here and stay text.
FIELD_TYPES = {0: "text", 1: "color", 2: "date", 3: "text", 4: "text", 5: "text", 6: "text", 7: "text"}
COMMENT_MAX = 500


def detect(data: Any) -> bool:
    return isinstance(data, dict) and "members" in data and bool(MARKERS & data.keys())


def _first(data: dict[str, Any], keys: tuple[str, ...]) -> tuple[Any, str]:
    for key in keys:
        if data.get(key) is not None:
            return data[key], f"$.{key}"
    return None, f"$.{keys[0]}"


# Simply Plural shares with friends (all, trusted, or by bucket), never with everyone; nobody here is a friend, so
# whatever it shared (`private`, `preventTrusted`, `buckets`) stays private here.
SHARED = "private"


class _Reader:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.plan = Plan(format=NAME)
        self.warn = self.plan.warnings.add
        self.names: dict[str, str] = {}
        self.field_types: dict[str, int] = {}
        self.legacy_fields: dict[str, Any] = {}

    def read(self) -> Plan:
        self.system()
        self.fields()
        self.members()
        self.groups()
        self.fronts()
        self.notes()
        self.board()
        self.polls()
        self.not_imported()
        return self.plan

    @overload
    def time(self, value: Any, path: str, required: Literal[True]) -> datetime: ...

    @overload
    def time(self, value: Any, path: str, required: bool = False) -> datetime | None: ...

    def time(self, value: Any, path: str, required: bool = False) -> datetime | None:
        return timestamp(value, path, self.plan.warnings, required=required)

    def system(self) -> None:
        users = list(records(self.data.get("users"), "$.users", "_id")) if self.data.get("users") else []
        if users:
            _uid, user, _path = users[0]
            self.plan.system.update({"name": text(user.get("username")), "description": text(user.get("desc")),
                                     "color": colour(user.get("color"), "users.color", self.plan.warnings)})
            self.plan.system = {k: v for k, v in self.plan.system.items() if v is not None}
            if text(user.get("avatarUrl")):
                self.plan.system["avatar_url"] = user["avatarUrl"]
            if isinstance(user.get("fields"), dict):
                self.legacy_fields = user["fields"]
        private = self.data.get("private")
        entries = list(records(private, "$.private", "_id")) if isinstance(private, (list, dict)) and private else []
        if isinstance(private, dict) and "location" in private:
            entries = [("", private, "$.private")]
        for _id, item, _path in entries:
            if isinstance(item.get("location"), str) and item["location"]:
                self.plan.system["timezone"] = item["location"]
            tokens = item.get("notificationToken") or item.get("notificationTokens")
            if tokens:
                self.warn("not_imported", "notification tokens: never imported", len(tokens)
                          if isinstance(tokens, list) else 1)

    def fields(self) -> None:
        found = list(records(self.data.get("customFields"), "$.customFields"))
        found += [(str(key), value, f"$.users.fields.{key}") for key, value in self.legacy_fields.items()
                  if isinstance(value, dict)]
        found.sort(key=lambda entry: str(entry[1].get("order", "")))
        for ident, item, _path in found:
            kind = item.get("type", 0)
            if kind not in FIELD_TYPES:
                self.warn("field_type_unknown", "customFields.type: unknown types kept as text")
            field_type = FIELD_TYPES.get(kind, "text")
            if field_type == "text" and item.get("supportMarkdown"):
                field_type = "markdown"
            self.plan.fields.append(Item(ident, {"name": text(item.get("name")) or "(no name)", "type": field_type,
                                                 "privacy": SHARED}))
            self.field_types[ident] = kind

    def field_value(self, field_id: str, value: Any) -> Any:
        kind = self.field_types.get(field_id, 0)
        value = text(value)
        if value is None:
            return None
        if kind == 1:
            found = colour(value, "members.info", self.plan.warnings)
            return "#" + found if found else None
        if kind == 2:
            moment = self.time(value, "members.info")
            return moment.date().isoformat() if moment else None
        if kind == 6:
            moment = self.time(value, "members.info")
            return format_timestamp(moment) if moment else value
        return value

    def member(self, ident: str, item: dict[str, Any], path: str, custom_front: bool) -> None:
        name = text(item.get("name"))
        if name is None:
            raise SourceError("has no name", f"{path}.name")
        self.names[ident] = name
        where = "frontStatuses" if custom_front else "members"
        values: dict[str, Any] = {
            "name": name, "description": text(item.get("desc")), "is_custom_front": custom_front,
            "color": colour(item.get("color"), f"{where}.color", self.plan.warnings),
            "privacy": {"visibility": SHARED},
        }
        if not custom_front:
            values.update(pronouns=text(item.get("pronouns")), archived=bool(item.get("archived")))
        if text(item.get("avatarUrl")):
            values["avatar_url"] = item["avatarUrl"]
        elif item.get("avatarUuid"):
            self.warn("avatar_not_kept", f"{where}.avatarUuid: pictures stored on Simply Plural's servers are not "
                                         "kept (use an https avatar URL)")
        if text(item.get("archivedReason")):
            self.warn("not_imported", "members.archivedReason: not kept")
        if item.get("frame"):
            self.warn("not_imported", f"{where}.frame: card frames are not kept")
        values = {k: v for k, v in values.items() if v is not None}
        fields = {}
        info = item.get("info")
        if isinstance(info, dict):
            fields = {str(k): self.field_value(str(k), v) for k, v in info.items()}
        pk_id = text(item.get("pkId"))
        self.plan.members.append(MemberItem(ident, values, fields=fields, hid=pk_id))

    def members(self) -> None:
        value, path = _first(self.data, MEMBER_KEYS)
        for ident, item, item_path in records(value, path):
            self.member(ident, item, item_path, custom_front=False)
        value, path = _first(self.data, CUSTOM_FRONT_KEYS)
        for ident, item, item_path in records(value, path):
            self.member(ident, item, item_path, custom_front=True)

    def groups(self) -> None:
        for ident, item, _path in records(self.data.get("groups"), "$.groups"):
            parent = item.get("parent")
            values = {"name": text(item.get("name")) or "(no name)", "description": text(item.get("desc")),
                      "color": colour(item.get("color"), "groups.color", self.plan.warnings),
                      "icon": None, "privacy": {"visibility": SHARED}}
            emoji = text(item.get("emoji"))
            if emoji:
                values["display_name"] = f"{emoji} {values['name']}"[:100]
            members = [str(m) for m in (item.get("members") or []) if isinstance(m, (str, int))]
            self.plan.groups.append(GroupItem(ident, {k: v for k, v in values.items() if v is not None},
                                              parent=None if parent in (None, "", "root") else str(parent),
                                              members=members))

    def fronts(self) -> None:
        comments: dict[str, list[tuple[datetime | None, str]]] = defaultdict(list)
        for _ident, item, path in records(self.data.get("comments"), "$.comments"):
            if item.get("collection", "frontHistory") not in FRONT_KEYS:
                self.warn("not_imported", "comments on something other than fronts: not kept")
                continue
            body = text(item.get("text"))
            if body is not None:
                comments[str(item.get("documentId"))].append((self.time(item.get("time"), f"{path}.time"), body))
        value, path = _first(self.data, FRONT_KEYS)
        for ident, item, item_path in records(value, path):
            member = text(item.get("member"))
            if member is None:
                raise SourceError("has no member", f"{item_path}.member")
            start = self.time(item.get("startTime"), f"{item_path}.startTime", required=True)
            live = bool(item.get("live"))
            end = None if live else self.time(item.get("endTime"), f"{item_path}.endTime")
            if not live and end is None:
                self.warn("front_without_end", "frontHistory: ended fronts without an end time, left out")
                continue
            self.plan.fronts.append(FrontItem(ident, member, start, end,
                                              self.front_comment(ident, item, start, comments.pop(ident, []))))
        if comments:
            self.warn("comment_orphaned", "comments: comments on fronts that are not in the file, left out",
                      sum(len(c) for c in comments.values()))

    def front_comment(self, ident: str, item: dict[str, Any], start: datetime,
                      found: list[tuple[datetime | None, str]]) -> str | None:
        """The custom status, then each comment with its time; when that is longer than a front comment may be,
        the whole text goes into a journal entry as well, so nothing is lost."""
        status = text(item.get("customStatus"))
        parts = [status] if status else []
        found.sort(key=lambda entry: entry[0] or start)
        parts += [f"[{format_timestamp(at) if at else '?'}] {body}" for at, body in found]
        if not parts:
            return None
        whole = "\n".join(parts)
        if len(whole) > COMMENT_MAX:
            member = self.names.get(str(item.get("member")), "a member")
            self.plan.journal.append(JournalItem(f"front-comments:{ident}", {
                "title": f"Front comments: {member}, {format_timestamp(start)}"[:200], "body": whole,
                "tags": ["front-comments"], "created_at": start}, authors=[str(item.get("member"))]))
            self.warn("front_comments_to_journal", "frontHistory: comments longer than a front comment may be were "
                                                   "also kept whole as journal entries (tag front-comments)")
        return whole

    def notes(self) -> None:
        for ident, item, path in records(self.data.get("notes"), "$.notes"):
            created = self.time(item.get("date"), f"{path}.date")
            values: dict[str, Any] = {"title": text(item.get("title")), "body": text(item.get("note")) or "",
                                      "tags": ["note"]}
            if created:
                values["created_at"] = created
            if item.get("color"):
                self.warn("not_imported", "notes.color: not kept")
            member = text(item.get("member"))
            self.plan.journal.append(JournalItem(ident, values, authors=[member] if member else []))

    def board(self) -> None:
        for ident, item, path in records(self.data.get("boardMessages"), "$.boardMessages"):
            body = text(item.get("message")) or ""
            addressee = self.names.get(str(item.get("writtenFor")))
            if addressee:
                body = f"For {addressee}:\n\n{body}"
            values: dict[str, Any] = {"title": text(item.get("title")), "body": body, "tags": ["board-message"]}
            written = self.time(item.get("writtenAt"), f"{path}.writtenAt")
            if written:
                values["created_at"] = written
            author = text(item.get("writtenBy"))
            self.plan.journal.append(JournalItem(f"board:{ident}", values, authors=[author] if author else []))

    def polls(self) -> None:
        for ident, item, path in records(self.data.get("polls"), "$.polls"):
            custom = bool(item.get("custom"))
            if custom:
                options = [PollOption(str(o.get("name")), text(o.get("name")) or f"Option {i + 1}",
                                      colour(o.get("color"), "polls.options.color", self.plan.warnings))
                           for i, o in enumerate(item.get("options") or []) if isinstance(o, dict)]
            else:
                options = [PollOption("yes", "Yes"), PollOption("no", "No")]
            by_key = {o.key.casefold(): o.key for o in options if o.key is not None}
            closes = self.time(item.get("endTime"), f"{path}.endTime")
            votes = []
            for vote in item.get("votes") or []:
                if not isinstance(vote, dict) or not text(vote.get("id")):
                    continue
                choice = str(vote.get("vote", "")).casefold()
                kind = choice if choice in ("abstain", "veto") else "choice"
                chosen = [by_key[choice]] if kind == "choice" and choice in by_key else []
                votes.append(PollVote(str(vote["id"]), kind, chosen, text(vote.get("comment"))))
            values = {"title": text(item.get("name")) or "(untitled poll)", "description": text(item.get("desc")),
                      "allow_abstain": bool(item.get("allowAbstain")), "allow_veto": bool(item.get("allowVeto")),
                      "closes_at": closes}
            self.plan.polls.append(PollItem(ident, values, options=options, votes=votes))

    def not_imported(self) -> None:
        for key, what in NOT_IMPORTED.items():
            value = self.data.get(key)
            count = len(value) if isinstance(value, (list, dict)) else 0
            self.warn("not_imported", f"{what}: not imported", count)


def read(data: Any) -> Plan:
    expect(data, dict, "$")
    return _Reader(data).read()
