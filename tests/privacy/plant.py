"""A system full of secrets: a unique marker or id in every private field, object and area, with the rule for who
may see each one.

Every secret says which privacy settings would show it to other viewers (`public_when`, None: nobody but the owner
ever) and through which read scopes the owner's own tokens may see it (`families`, None: ids and times that every
area refers to, not checked for the owner's tokens). The same objects are planted in every scenario; only the
system's privacy settings differ.
"""

from __future__ import annotations

import io
import secrets
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from PIL import Image

from pluralspace.kit.timeutil import format_timestamp
from pluralspace.pk.switches import switch_id

from ..access.world import GRANTABLE
from ..helpers import Account, Api, data
from ..imports.common import send, wait
from ..pk.helpers import link_account, record_message

AREAS = ("description", "member_list", "group_list", "front", "front_history", "fields", "relationships", "journal",
         "polls", "thoughts", "wrapped")
# The read scopes by family (`members`: members:read, which members:write implies).
FAMILIES = tuple(sorted({scope.split(":")[0] for scope in GRANTABLE}))

Privacy = dict[str, str]
Rule = Callable[[Privacy], bool]


def area(*names: str) -> Rule:
    """Shown to other viewers when every one of these system settings is public."""
    return lambda privacy: all(privacy[name] == "public" for name in names)


def always(privacy: Privacy) -> bool:
    return True


def marker() -> str:
    """A unique word of letters only, so that full-text search and stemming keep it whole."""
    return "qz" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(12))


def png_image() -> bytes:
    """A picture of its own colour: each upload is stored under a key of its own."""
    out = io.BytesIO()
    Image.new("RGB", (4, 4), tuple(secrets.token_bytes(3))).save(out, "PNG")
    return out.getvalue()


def short_id() -> str:
    """An id in the form of a member's or group's, that no object has (26^6 of them: a clash is not a worry)."""
    return "".join(secrets.choice(string.ascii_lowercase) for _ in range(6))


def exact_time(base: datetime) -> datetime:
    """A time with a microsecond part that ends in a non-zero digit: printed the same by the native API and
    by PluralKit's format (which drops trailing zeros), and unlike any other time in the system."""
    return base.replace(microsecond=secrets.randbelow(99_999) * 10 + 7)


def printed(moment: datetime) -> str:
    return format_timestamp(moment)[:-1]  # without the `Z`, so an offset form would be caught too


@dataclass(frozen=True)
class Secret:
    text: str
    what: str
    families: frozenset[str] | None
    public_when: Rule | None = None

    def shown_to_others(self, privacy: Privacy) -> bool:
        return self.public_when is not None and self.public_when(privacy)


@dataclass
class Planted:
    """One owner's system with its secrets, and the values the route table fills paths with."""

    scenario: str
    privacy: Privacy
    owner: Account
    secrets: list[Secret] = field(default_factory=list)
    ids: dict[str, str] = field(default_factory=dict)  # name → a value to put in a path or query
    hidden: dict[str, list[str]] = field(default_factory=dict)  # kind → values others must not tell from unknown
    unknown: dict[str, str] = field(default_factory=dict)  # kind → a well-formed value that names nothing

    def secret(self, what: str, families: set[str] | None, public_when: Rule | None = None,
               text: str | None = None) -> str:
        text = text or marker()
        self.secrets.append(Secret(text, what, None if families is None else frozenset(families), public_when))
        return text

    def path(self, template: str, **values: str) -> str:
        return template.format(**{**self.ids, **values})


def plant(api: Api, server, scenario: str, privacy: Privacy) -> Planted:
    owner = api.register(system_name="Leak test system")
    world = Planted(scenario, privacy, owner)
    session = owner.session
    sid = owner.system_id
    world.ids.update(sid=sid, suuid=owner.system_uuid, account_id=owner.account_id)
    world.unknown.update(account=str(uuid.uuid4()), audit=str(uuid.uuid4()))

    def post(path: str, body: dict, status: int = 201) -> dict:
        return data(api.post(f"/api/v1/systems/@me/{path}", session, json=body), status)

    def put(path: str, body: dict) -> dict:
        return data(api.put(f"/api/v1/systems/@me/{path}", session, json=body))

    # The account: the owner's email and a token's name are the owner's alone, and no token but a session reads them.
    world.secret("owner's email", set(), text=owner.email)
    data(api.post("/api/v1/me/tokens", session,
                  json={"name": world.secret("owner's token name", set()), "scopes": ["system:read"]}), 201)
    app = data(api.post("/api/v1/me/apps", session, json={
        "name": "Leak test app", "description": world.secret("owner's app description", set()),
        "redirect_uris": ["https://example.org/callback"], "client_type": "public"}), 201)
    world.hidden["client_id"] = [app["client_id"]]  # from everyone but the owner's sessions
    world.unknown["client_id"] = f"{app['client_id'][:-4]}zzzz"

    # An import job (a dry run of the system's own export): the owner's alone, like every job.
    exported = api.get("/api/v1/systems/@me/export", session).json()
    job = data(send(api, session, exported, dry_run=True), 202)
    wait(api, session, job["id"])
    world.hidden["import"] = [job["id"]]
    world.unknown["import"] = str(uuid.uuid4())

    # A webhook: its URL is the owner's, read with the webhooks scope only (its secret is shown once, at creation).
    hook = data(api.post("/api/v1/me/webhooks", session, json={
        "url": f"https://1.1.1.1/{world.secret('webhook URL', {'webhooks'})}", "event_types": ["member.*"],
        "active": False}), 201)
    world.hidden["webhook"] = [hook["id"]]
    world.unknown["webhook"] = str(uuid.uuid4())

    # The system.
    data(api.patch("/api/v1/systems/@me", session, json={
        "description": world.secret("system description", {"system"}, area("description")),
        "privacy": privacy}))

    # Members: V is visible with private fields, V2 visible, H hidden (visibility private).
    visible_profile = {"visibility": "public", "name": "public", "description": "private", "avatar": "private",
                       "birthday": "private", "pronouns": "private", "metadata": "private"}
    v = post("members", {
        "name": "Visible", "display_name": world.secret("visible member's display name", {"members"}, always),
        "description": world.secret("visible member's private description", {"members"}),
        "pronouns": world.secret("visible member's private pronouns", {"members"}),
        "avatar_url": f"https://example.org/{world.secret('visible member private avatar', {'members'})}.png",
        "proxy_tags": [{"prefix": world.secret("visible member's private proxy tag", {"members"}), "suffix": None}],
        "privacy": visible_profile})
    v2 = post("members", {"name": "Second", "privacy": {"visibility": "public", "name": "public"}})
    h = post("members", {
        "name": world.secret("hidden member's name", {"members", "wrapped"}),  # a recap names its fronters
        "display_name": world.secret("hidden member's display name", {"members"}),
        "description": world.secret("hidden member's description", {"members"}),
        "pronouns": world.secret("hidden member's pronouns", {"members"}),
        "roles": [world.secret("hidden member's role", {"members"})],
        "avatar_url": f"https://example.org/{world.secret('hidden member avatar', {'members'})}.png",
        "privacy": {"visibility": "private", "name": "public", "description": "public", "avatar": "public",
                    "pronouns": "public", "metadata": "public", "birthday": "public"}})
    for key in ("id", "uuid"):
        world.secret(f"hidden member's {key}", None, text=h[key])
    world.ids.update(v=v["id"], v_uuid=v["uuid"], v2=v2["id"], h=h["id"], h_uuid=h["uuid"],
                     member_q=h["name"])

    # Stored images: the system's avatar (public), V's banner (V is visible, its avatar privacy private) and H's.
    def stored(path: str, slot: str) -> str:
        shown = data(api.put(f"/api/v1/systems/@me/{path}", session, files={"file": (
            "picture.png", png_image(), "image/png")}))
        return str(shown[f"{slot}_url"]).rsplit("/", 1)[-1]

    world.ids["system_media"] = stored("avatar", "avatar")
    world.hidden["media"] = [
        world.secret("visible member's private banner key", {"members"}, text=stored(f"members/{v['id']}/banner",
                                                                                    "banner")),
        world.secret("hidden member's banner key", {"members"}, text=stored(f"members/{h['id']}/banner", "banner"))]
    world.unknown["media"] = "0" * 40 + ".png"
    world.hidden["member"] = [h["id"], h["uuid"]]
    world.unknown["member"] = short_id()

    # Custom fields: one public (shown when the fields area is), one private; values on V and on H.
    public_field = post("fields", {"name": world.secret("public field's name", {"fields"}, area("fields")),
                                   "type": "text", "privacy": "public"})
    private_field = post("fields", {"name": world.secret("private field's name", {"fields"}), "type": "text",
                                    "privacy": "private"})
    world.secret("public field's id", {"fields"}, area("fields"), text=public_field["id"])
    world.secret("private field's id", {"fields"}, text=private_field["id"])
    data(api.patch(f"/api/v1/systems/@me/members/{v['id']}", session, json={"fields": {
        public_field["id"]: world.secret("visible member's public field value", {"fields"}, area("fields")),
        private_field["id"]: world.secret("visible member's private field value", {"fields"})}}))
    data(api.patch(f"/api/v1/systems/@me/members/{h['id']}", session, json={"fields": {
        public_field["id"]: world.secret("hidden member's public field value", {"fields"})}}))
    world.ids.update(public_field=public_field["id"], private_field=private_field["id"])
    world.hidden["field"] = [private_field["id"]]
    world.unknown["field"] = str(uuid.uuid4())

    # Groups: PG visible (holding V and H) with a private description, G hidden.
    pg = post("groups", {"name": "Open group", "description": world.secret("visible group's description", {"groups"}),
                         "member_ids": [v["id"], h["id"]],
                         "privacy": {"visibility": "public", "name": "public", "list": "public"}})
    g = post("groups", {"name": world.secret("hidden group's name", {"groups"}),
                        "display_name": world.secret("hidden group's display name", {"groups"}),
                        "description": world.secret("hidden group's description", {"groups"}),
                        "member_ids": [v["id"]], "privacy": {"visibility": "private", "name": "public",
                                                             "description": "public", "list": "public"}})
    for key in ("id", "uuid"):
        world.secret(f"hidden group's {key}", {"groups"}, text=g[key])
    world.ids.update(pg=pg["id"], g=g["id"], g_uuid=g["uuid"])
    world.hidden["group"] = [g["id"], g["uuid"]]
    world.unknown["group"] = short_id()

    # Relationships: V-V2 shown with the area, V-H never.
    kind = post("relationship-types", {"name": world.secret("relationship type's name", {"relationships"},
                                                            area("relationships")), "inverse_name": "other"})
    world.secret("relationship type's id", {"relationships"}, area("relationships"), text=kind["id"])
    shown = post("relationships", {"type_id": kind["id"], "source_member_id": v["id"], "target_member_id": v2["id"],
                                   "note": world.secret("relationship note", {"relationships"},
                                                        area("relationships"))})
    world.secret("relationship's id", {"relationships"}, area("relationships"), text=shown["id"])
    with_h = post("relationships", {"type_id": kind["id"], "source_member_id": v["id"], "target_member_id": h["id"],
                                    "note": world.secret("hidden member's relationship note", {"relationships"})})
    world.secret("hidden member's relationship id", {"relationships"}, text=with_h["id"])
    world.ids.update(relationship_type=kind["id"], relationship=shown["id"], hidden_relationship=with_h["id"])
    world.hidden["relationship"] = [with_h["id"]]
    world.unknown["relationship"] = str(uuid.uuid4())

    # Fronts, a few days back (so a month's recap holds them) and now:
    #   V  [s1, e1)  comment and times shown with front_history
    #   H  [s2, e2)  with s1 < s2 < e1 < e2: s2 and e2 are change points only H makes
    #   V2 from s4, H from s3 > s4: both fronting now; s3 is H's alone
    now = datetime.now(UTC)
    s1 = exact_time(now - timedelta(days=3, hours=6))
    e1 = exact_time(s1 + timedelta(hours=2))
    s2 = exact_time(s1 + timedelta(hours=1))
    e2 = exact_time(e1 + timedelta(hours=1))
    s4 = exact_time(now - timedelta(hours=2))
    s3 = exact_time(now - timedelta(minutes=30))
    v_front = post("fronts", {"member_id": v["id"], "started_at": s1.isoformat(), "ended_at": e1.isoformat(),
                              "comment": world.secret("front comment", {"fronts"}, area("front_history"))})
    world.secret("front's id", {"fronts"}, area("front_history"), text=v_front["id"])
    for name, moment in (("start", s1), ("end", e1)):
        world.secret(f"front's {name} time", {"fronts", "wrapped"}, area("front_history"), text=printed(moment))
    h_front = post("fronts", {"member_id": h["id"], "started_at": s2.isoformat(), "ended_at": e2.isoformat(),
                              "comment": world.secret("hidden member's front comment", {"fronts"})})
    post("fronts", {"member_id": v2["id"], "started_at": s4.isoformat()})
    h_open = post("fronts", {"member_id": h["id"], "started_at": s3.isoformat(),
                             "comment": world.secret("hidden member's open front comment", {"fronts"})})
    for what, front in (("past", h_front), ("open", h_open)):
        world.secret(f"hidden member's {what} front id", {"fronts"}, text=front["id"])
    for what, moment in (("start", s2), ("end", e2), ("open start", s3)):
        world.secret(f"hidden member's front {what} time", {"fronts", "wrapped"}, text=printed(moment))
    system_uuid = uuid.UUID(owner.system_uuid)
    hidden_switches = [switch_id(system_uuid, moment) for moment in (s2, e2, s3)]
    for ident in hidden_switches:
        world.secret("a switch only the hidden member makes", {"fronts"}, text=ident)
    world.ids.update(front=v_front["id"], hidden_front=h_front["id"], open_hidden_front=h_open["id"],
                     switch=switch_id(system_uuid, s1), since=format_timestamp(s1 - timedelta(days=1)),
                     until=format_timestamp(now + timedelta(minutes=1)),
                     before=format_timestamp(e2 + timedelta(seconds=1)))
    world.hidden["front"] = [h_front["id"], h_open["id"]]
    world.unknown["front"] = str(uuid.uuid4())
    world.hidden["switch"] = hidden_switches
    world.unknown["switch"] = switch_id(system_uuid, exact_time(s1 - timedelta(days=1)))
    # The native API names a switch by its timestamp.
    world.ids["switch_at"] = format_timestamp(s1)
    world.hidden["switch_at"] = [format_timestamp(moment) for moment in (s2, e2, s3)]
    world.unknown["switch_at"] = format_timestamp(exact_time(s1 - timedelta(days=1)))
    world.ids.update(year=str(now.year), month=str(now.month), front_year=str(s1.year), front_month=str(s1.month))

    # Journal: a public entry (shown with the area) and a private one, both by V and H.
    journal_date = (s1 + timedelta(minutes=5)).isoformat()
    public_word = world.secret("public journal entry's word", {"journal"}, area("journal"))
    j1 = post("journal", {"title": world.secret("public journal entry's title", {"journal"}, area("journal")),
                          "body": f"Dear diary, {public_word} today.", "author_ids": [v["id"], h["id"]],
                          "tags": [world.secret("public journal entry's tag", {"journal"}, area("journal"))],
                          "privacy": "public", "created_at": journal_date})
    world.secret("public journal entry's id", {"journal"}, area("journal"), text=j1["id"])
    private_word = world.secret("private journal entry's word", {"journal"})
    private_tag = world.secret("private journal entry's tag", {"journal"})
    j2 = post("journal", {"title": world.secret("private journal entry's title", {"journal"}),
                          "body": f"Dear diary, {private_word} and more.", "author_ids": [v["id"]],
                          "tags": [private_tag], "pinned": True, "privacy": "private", "created_at": journal_date})
    world.secret("private journal entry's id", {"journal"}, text=j2["id"])
    world.ids.update(entry=j1["id"], private_entry=j2["id"], public_word=public_word, private_word=private_word,
                     private_phrase=f'"{private_word} and"', private_prefix=private_word[:8] + "*",
                     public_tag=j1["tags"][0], private_tag=private_tag)
    world.hidden["journal"] = [j2["id"]]
    world.unknown["journal"] = str(uuid.uuid4())

    # A poll made by H, with V's vote (shown with the area) and H's vote (never).
    poll = post("polls", {"title": world.secret("poll's title", {"polls"}, area("polls")),
                          "description": world.secret("poll's description", {"polls"}, area("polls")),
                          "options": [{"label": "yes"}, {"label": "no"}], "created_by": h["id"]})
    world.secret("poll's id", {"polls"}, area("polls"), text=poll["id"])
    yes, no = (option["id"] for option in poll["options"])
    post(f"polls/{poll['id']}/votes", {"member_id": v["id"], "option_ids": [yes],
                                       "comment": world.secret("vote comment", {"polls"}, area("polls"))})
    post(f"polls/{poll['id']}/votes", {"member_id": h["id"], "option_ids": [no],
                                       "comment": world.secret("hidden member's vote comment", {"polls"})})
    world.ids.update(poll=poll["id"], yes=yes, no=no)
    world.unknown["poll"] = str(uuid.uuid4())

    # Thoughts: V's, then H's (the latest, so today's thought is H's to the owner).
    t1 = put("thought", {"text": world.secret("thought", {"thoughts"}, area("thoughts")), "member_id": v["id"]})
    world.secret("thought's id", {"thoughts"}, area("thoughts"), text=t1["id"])
    t2 = put("thought", {"text": world.secret("hidden member's thought", {"thoughts"}), "member_id": h["id"]})
    world.secret("hidden member's thought id", {"thoughts"}, text=t2["id"])
    world.ids["today"] = t2["date"]

    # PluralKit records an import would bring: a linked Discord account and messages proxied by V and by H.
    world.ids.update(discord=str(10 ** 17 + secrets.randbelow(10 ** 17)),
                     message=str(10 ** 18 + secrets.randbelow(10 ** 17)),
                     hidden_message=str(10 ** 18 + secrets.randbelow(10 ** 17)))
    link_account(server, owner, world.ids["discord"])
    record_message(server, owner, world.ids["message"], sender=world.ids["discord"], member_uuid=v["uuid"])
    record_message(server, owner, world.ids["hidden_message"], sender=world.ids["discord"], member_uuid=h["uuid"])
    world.unknown["message"] = str(10 ** 18 + secrets.randbelow(10 ** 17))
    world.unknown["discord"] = str(10 ** 17 + secrets.randbelow(10 ** 17))
    return world
