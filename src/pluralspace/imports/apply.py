"""The import engine: writes one `Plan` into a system, in steps (`kit.db.Steps`).

On PostgreSQL, and for every dry run, the steps are one transaction: a failure halfway rolls it all back, and a dry
run is the same work followed by a rollback (`DryRun`). On SQLite, whose writers take turns on the whole database,
a real import commits a step every few tens of milliseconds so other systems' writes go in between; every row a
step writes is noted in the undo log (`undo.Recorder`), and a failure takes the committed steps back
(`undo.take_back`), so a file that fails halfway still leaves the system exactly as it was.

Objects are matched to an earlier import of the same source through `import_sources`: a mapped object is updated
where the file differs and counted `unchanged` otherwise; an unmapped one is created and mapped. Values are fitted
to this server's rules here, once for every format: over-long text is cut (and warned about), a URL that is not
https is dropped (warned), a field value that does not fit its field's type is left out (warned). Fronts are written
in bulk (a history of hundreds of thousands of rows is normal), after the no-overlap rule is checked in memory
against the member's whole history.
"""

from __future__ import annotations

import bisect
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import InstrumentedAttribute

from ..fields import values as field_values
from ..fields.models import Field, FieldValue
from ..fields.schemas import FIELD_TYPES
from ..fronts.models import Front
from ..groups.models import GROUP_PRIVACY, Group, GroupMember
from ..identity.system import SYSTEM_PRIVACY, System
from ..journal import search
from ..journal.models import BODY_MAX, TAG_MAX, TAGS_MAX, TITLE_MAX, JournalAuthor, JournalEntry, JournalTag
from ..kit.db import Steps, table_of
from ..kit.errors import ValidationFailed
from ..kit.ids import normalize_short_id
from ..kit.privacy import PRIVATE
from ..kit.timeutil import utcnow
from ..kit.validators import check_https_url, is_timezone
from ..media import service as media
from ..media.images import reencode
from ..media.service import ImageTarget
from ..members.models import MEMBER_PRIVACY, Member
from ..pk.models import PkAccount
from ..polls.models import Poll, Vote
from ..relationships.models import Relationship, RelationshipType
from ..systems.service import unique_short_id
from ..thoughts.models import Thought
from .models import ImportSource
from .plan import FrontItem, ImageItem, Item, Plan, PollItem, Warnings
from .undo import Recorder

# Rows per bulk INSERT (fronts, sources): a few milliseconds on SQLite, so a step ends soon after its time is up
# (a step only ends between two pieces of work) even on a machine so busy that each piece takes ten times as long.
ROWS_PER_INSERT = 250
T = TypeVar("T")
Target = TypeVar("Target")  # the mapped class an upsert writes
# Rows deleted by statement are never loaded as objects here, so the session need not look for them.
QUIET = {"synchronize_session": False}
Progress = Callable[[float], None]

# Text limits of this server, per kind and column (the API's own rules).
TEXT_LIMITS: dict[str, dict[str, int]] = {
    "system": {"name": 100, "description": 10_000, "tag": 79, "pronouns": 100},
    "members": {"name": 100, "display_name": 100, "pronouns": 100, "description": 10_000},
    "groups": {"name": 100, "display_name": 100, "description": 10_000},
    "fields": {"name": 100},
    "relationship_types": {"name": 100, "inverse_name": 100, "description": 10_000},
    "relationships": {"note": 10_000},
    "journal": {"title": TITLE_MAX, "body": BODY_MAX},
    "polls": {"title": 200, "description": 10_000},
    "thoughts": {"text": 500},
}
URL_COLUMNS = {"system": ("avatar_url", "banner_url"), "members": ("avatar_url", "banner_url"), "groups": ("icon",)}
PICTURE_COLUMNS = ("avatar_url", "banner_url")
FRONT_COMMENT_MAX = 500
POLL_OPTIONS_MAX = 50
OPTION_LABEL_MAX = 100


class DryRun(Exception):
    """Raised at the end of a dry run so the unit of work rolls back; carries the report."""

    def __init__(self, report: Report) -> None:
        super().__init__("dry run")
        self.report = report


@dataclass
class Report:
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    # Stored pictures the import replaced: their bytes are removed once the import is committed.
    replaced_media: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"counts": self.counts, "warnings": self.warnings}


class _Counts:
    def __init__(self) -> None:
        self.by_kind: dict[str, dict[str, int]] = {}

    def add(self, kind: str, outcome: str, count: int = 1) -> None:
        entry = self.by_kind.setdefault(kind, {"created": 0, "updated": 0, "unchanged": 0})
        entry[outcome] += count


class _Sources:
    """The `import_sources` rows of this system and format, loaded once; new rows are written in bulk."""

    def __init__(self, steps: Steps, system_uuid: uuid.UUID, source_format: str) -> None:
        self.steps, self.system_uuid, self.format = steps, system_uuid, source_format
        session = self.session = steps.session
        rows = session.execute(select(ImportSource.kind, ImportSource.source_id, ImportSource.target_id).where(
            ImportSource.system_uuid == system_uuid, ImportSource.source_format == source_format))
        self.known: dict[tuple[str, str], str] = {(kind, sid): target for kind, sid, target in rows}
        self.new: dict[tuple[str, str], str] = {}
        self.moved: dict[tuple[str, str], str] = {}

    def target(self, kind: str, source_id: str) -> str | None:
        key = (kind, source_id)
        return self.new.get(key) or self.moved.get(key) or self.known.get(key)

    def remember(self, kind: str, source_id: str, target: str) -> None:
        key = (kind, source_id)
        if key in self.known:
            if self.known[key] != target:
                self.moved[key] = target
        else:
            self.new[key] = target

    def flush(self) -> None:
        rows = [{"system_uuid": self.system_uuid, "kind": kind, "source_format": self.format, "source_id": sid,
                 "target_id": target} for (kind, sid), target in self.new.items()]
        # Core executemany: the ORM's bulk path costs several times more.
        for start in range(0, len(rows), ROWS_PER_INSERT):
            self.session.execute(insert(table_of(ImportSource)), rows[start:start + ROWS_PER_INSERT])
            self.steps.pause()
        for (kind, sid), target in self.moved.items():
            self.session.execute(update(ImportSource).where(
                ImportSource.system_uuid == self.system_uuid, ImportSource.kind == kind,
                ImportSource.source_format == self.format, ImportSource.source_id == sid).values(target_id=target))
            self.steps.pause()
        self.known.update(self.new)
        self.known.update(self.moved)
        self.new, self.moved = {}, {}


class _Engine:
    def __init__(self, steps: Steps, system: System, plan: Plan, progress: Progress,
                 images: ImageTarget | None, dry_run: bool) -> None:
        self.steps, self.session, self.system, self.plan = steps, steps.session, system, plan
        self.images, self.dry_run = images, dry_run
        self.replaced_media: list[str] = []
        self.warnings: Warnings = plan.warnings
        self.counts = _Counts()
        self.sources = _Sources(steps, system.uuid, plan.format)
        self.now = utcnow()
        self.progress = progress
        self.total = max(1, len(plan.members) + len(plan.groups) + len(plan.fronts) + len(plan.journal)
                         + len(plan.polls) + len(plan.fields) + len(plan.thoughts) + len(plan.relationships))
        self.done = 0
        self.members: dict[str, uuid.UUID] = {}  # source id -> member uuid
        self.fields: dict[str, Field] = {}
        self.front_namespace = uuid.uuid5(system.uuid, f"fronts:{plan.format}")

    # --- shared helpers ------------------------------------------------------------------------------------------

    def step(self, count: int = 1) -> None:
        """One piece of the work is done: the progress moves, and the step may end here (see `Steps`)."""
        self.done += count
        self.progress(min(1.0, self.done / self.total))
        self.steps.pause()

    def fit(self, kind: str, values: dict[str, Any]) -> dict[str, Any]:
        """The values, within this server's limits; every change is warned about."""
        fitted = dict(values)
        for key, limit in TEXT_LIMITS.get(kind, {}).items():
            text = fitted.get(key)
            if isinstance(text, str) and len(text) > limit:
                fitted[key] = text[:limit]
                self.warnings.add("text_truncated", f"{kind}.{key}: cut to {limit} characters, this server's limit")
        for key in URL_COLUMNS.get(kind, ()):
            url = fitted.get(key)
            if url is None:
                continue
            try:
                if len(url) > 256:
                    raise ValueError
                check_https_url(url)
            except (ValueError, TypeError):
                fitted[key] = None
                self.warnings.add("url_dropped", f"{kind}.{key}: not an https URL of at most 256 characters, "
                                                 "left out")
                continue
            if key in PICTURE_COLUMNS:
                self.warnings.add("image_linked", f"{kind}.{key}: a picture on another server, kept as a link and "
                                                  "not downloaded (this server fetches nothing from elsewhere)")
        return fitted

    def upsert(self, kind: str, model: type[Target], item: Item, create: Callable[[dict[str, Any]], Target],
               key_of: Callable[[Target], object]) -> tuple[Target, bool]:
        """The mapped object updated with the item's values, or a new one from `create`; (object, created)."""
        values = self.fit(kind, item.values)
        target = self.sources.target(kind, item.source_id)
        existing = self.session.get(model, uuid.UUID(target)) if target else None
        if existing is not None and getattr(existing, "system_uuid", self.system.uuid) == self.system.uuid:
            changed = _assign(existing, values)
            if changed:
                if hasattr(existing, "updated_at"):
                    existing.updated_at = self.now
                self.counts.add(kind, "updated")
            else:
                self.counts.add(kind, "unchanged")
            return existing, False
        created = create(values)
        self.session.add(created)
        self.session.flush()
        self.sources.remember(kind, item.source_id, str(key_of(created)))
        self.counts.add(kind, "created")
        return created, True

    def member(self, source_id: str | None, what: str) -> uuid.UUID | None:
        if source_id is None:
            return None
        found = self.members.get(source_id)
        if found is None:
            self.warnings.add("unknown_member", f"{what}: refers to a member that is not in the file, left out")
        return found

    def short_id(self, column: InstrumentedAttribute[str], wanted: str | None) -> str:
        hid = normalize_short_id(wanted) if wanted else None
        if hid and len(hid) == 6 and self.session.execute(select(column).where(column == hid)).first() is None:
            return hid
        return unique_short_id(self.session, column)

    # --- kinds, in dependency order --------------------------------------------------------------------------

    def run(self) -> Report:
        self.apply_system()
        self.apply_fields()
        self.apply_members()
        self.apply_images()
        self.apply_groups()
        self.apply_relationships()
        self.apply_fronts()
        self.apply_journal()
        self.apply_polls()
        self.apply_thoughts()
        self.apply_linked_accounts()
        self.sources.flush()
        self.progress(1.0)
        return Report(counts=self.counts.by_kind, warnings=self.warnings.as_list(),
                      replaced_media=self.replaced_media)

    def apply_system(self) -> None:
        if not self.plan.system:
            return
        values = self.fit("system", self.plan.system)
        timezone = values.get("timezone")
        if timezone is not None and not is_timezone(timezone):
            self.warnings.add("timezone_unknown", f"system.timezone: {timezone[:64]!r} is not an IANA time zone, "
                                                  "left as it was")
            del values["timezone"]
        if "privacy" in values:
            values["privacy"] = SYSTEM_PRIVACY.merged(self.system.privacy, values["privacy"])
        if _assign(self.system, values):
            self.system.updated_at = self.now
            self.counts.add("system", "updated")
        else:
            self.counts.add("system", "unchanged")

    def apply_fields(self) -> None:
        for position, item in enumerate(self.plan.fields):
            values = {"position": position, **item.values}
            if values.get("type") not in FIELD_TYPES:
                values["type"] = "text"
            item = Item(item.source_id, values)
            self.fields[item.source_id], _ = self.upsert(
                "fields", Field, item, lambda v: Field(id=uuid.uuid4(), system_uuid=self.system.uuid,
                                                       **{"privacy": PRIVATE, "options": None, **v},
                                                       created_at=self.now, updated_at=self.now),
                lambda f: f.id)
            self.step()

    def apply_members(self) -> None:
        names_seen: dict[str, int] = defaultdict(int)
        for source in self.plan.members:
            values = dict(source.values)
            if "privacy" in values:
                values["privacy"] = MEMBER_PRIVACY.merged(MEMBER_PRIVACY.defaults(), values["privacy"])
            if not (values.get("name") or "").strip():
                values["name"] = "(no name)"
                self.warnings.add("member_unnamed", "members.name: missing, named \"(no name)\"")
            names_seen[values["name"].casefold()] += 1
            member, _ = self.upsert("members", Member, Item(source.source_id, values), lambda v: Member(
                uuid=uuid.uuid4(), hid=self.short_id(Member.hid, source.hid), system_uuid=self.system.uuid,  # noqa: B023 (called at once, in the loop)
                **{"privacy": MEMBER_PRIVACY.defaults(), "roles": [], "proxy_tags": [], "keep_proxy": False,
                   "is_custom_front": False, "created_at": self.now, **v},
                updated_at=self.now), lambda m: m.uuid)
            self.members[source.source_id] = member.uuid
            self.apply_field_values(member, source.fields)
            self.step()
        duplicates = sum(count - 1 for count in names_seen.values() if count > 1)
        self.warnings.add("duplicate_names", "members: several members share a name; all were kept", duplicates)

    def apply_images(self) -> None:
        """The pictures of the zip, each checked and re-encoded as an upload is, stored (not on a dry run) and put
        in its place; one that cannot be read is warned about and left out."""
        if not self.plan.images or self.plan.archive is None:
            return
        if self.images is None:
            self.warnings.add("image_not_stored", "pictures: this import cannot store pictures, left out",
                              len(self.plan.images))
            return
        with zipfile.ZipFile(self.plan.archive) as archive:
            for item in self.plan.images:
                member = None
                if item.member is not None:
                    member = self.session.get(Member, self.members[item.member])
                self._store_image(archive, item, member)
                self.steps.pause()

    def _store_image(self, archive: zipfile.ZipFile, item: ImageItem, member: Member | None) -> None:
        target = self.images
        assert target is not None
        if archive.getinfo(item.entry).file_size > target.max_bytes:
            self.warnings.add("image_too_large", f"pictures: larger than {target.max_bytes} bytes, left out")
            return
        try:
            encoded = reencode(archive.read(item.entry), target.max_pixels)
        except (ValidationFailed, zipfile.BadZipFile, OSError, EOFError):
            self.warnings.add("image_unreadable", "pictures: not a whole PNG, JPEG, WebP or GIF image within "
                                                  "this server's limits, left out")
            return
        key = encoded.key(self.system.uuid, media.place_name(member, item.slot))
        holder: Any = member if member is not None else self.system
        current = getattr(holder, f"{item.slot}_url")
        if media.key_of(current) == key:
            self.counts.add("images", "unchanged")
            return
        if not self.dry_run:
            target.backend.put(key, encoded.content, encoded.content_type)
        self.replaced_media += media.place_image(self.session, self.system, member, item.slot, key, encoded,
                                                 media.media_url(target.base_url, key))
        self.counts.add("images", "updated" if current else "created")

    def apply_field_values(self, member: Member, values: dict[str, Any]) -> None:
        rows = {}
        for source_field, value in values.items():
            target = self.fields.get(source_field)
            if target is None:
                self.warnings.add("field_unknown", "members.fields: a value for a field that is not in the file, "
                                                   "left out")
                continue
            if value is None:
                continue
            try:
                rows[target.id] = field_values.CHECKS[target.type](value, target)
            except ValueError as exc:
                self.warnings.add("field_value_invalid", f"members.fields: a value of field {target.name!r} "
                                                         f"{exc}, left out")
        if not rows:
            return
        current = dict(self.session.execute(select(FieldValue.field_id, FieldValue.value).where(
            FieldValue.member_uuid == member.uuid, FieldValue.field_id.in_(rows))).tuples().all())
        changed = {fid: value for fid, value in rows.items() if current.get(fid, _MISSING) != value}
        if not changed:
            return
        self.session.execute(delete(FieldValue).where(FieldValue.member_uuid == member.uuid,
                                                      FieldValue.field_id.in_(changed)), execution_options=QUIET)
        self.session.add_all(FieldValue(member_uuid=member.uuid, field_id=fid, value=value)
                             for fid, value in changed.items())

    def apply_groups(self) -> None:
        groups: dict[str, Group] = {}
        for item in self.plan.groups:
            values = dict(item.values)
            if "privacy" in values:
                values["privacy"] = GROUP_PRIVACY.merged(GROUP_PRIVACY.defaults(), values["privacy"])
            if not (values.get("name") or "").strip():
                values["name"] = "(no name)"
                self.warnings.add("group_unnamed", "groups.name: missing, named \"(no name)\"")
            group, _ = self.upsert("groups", Group, Item(item.source_id, values), lambda v: Group(
                uuid=uuid.uuid4(), hid=self.short_id(Group.hid, item.hid), system_uuid=self.system.uuid,  # noqa: B023 (called at once, in the loop)
                **{"privacy": GROUP_PRIVACY.defaults(), "created_at": self.now, **v}, updated_at=self.now),
                lambda g: g.uuid)
            groups[item.source_id] = group
            self.step()
        for item in self.plan.groups:
            group = groups[item.source_id]
            parent = groups.get(item.parent) if item.parent is not None else None
            if item.parent is not None and parent is None:
                self.warnings.add("group_parent_unknown", "groups.parent: the parent group is not in the file, "
                                                          "the group is kept at the top level")
            if parent is not None and _makes_cycle(group, parent, groups.values()):
                self.warnings.add("group_parent_cycle", "groups.parent: groups nested in a circle; one link was "
                                                        "dropped")
                parent = None
            new_parent = parent.uuid if parent is not None else None
            if item.parent is not None or new_parent is not None:
                group.parent_uuid = new_parent
            members = {self.member(m, "groups.members") for m in item.members} - {None}
            present = set(self.session.execute(select(GroupMember.member_uuid).where(
                GroupMember.group_uuid == group.uuid)).scalars())
            self.session.add_all(GroupMember(group_uuid=group.uuid, member_uuid=m) for m in members - present)
            self.steps.pause()
        self.session.flush()

    def apply_relationships(self) -> None:
        types: dict[str, RelationshipType] = {}
        for item in self.plan.relationship_types:
            types[item.source_id], _ = self.upsert(
                "relationship_types", RelationshipType, item,
                lambda v: RelationshipType(id=uuid.uuid4(), system_uuid=self.system.uuid,
                                           **{"created_at": self.now, **v}, updated_at=self.now), lambda t: t.id)
        for item in self.plan.relationships:
            self.step()
            kind = types.get(item.type)
            source = self.member(item.source_member, "relationships.source_member_id")
            target = self.member(item.target_member, "relationships.target_member_id")
            if kind is None or source is None or target is None:
                self.warnings.add("relationship_incomplete", "relationships: type or member missing, left out")
                continue
            duplicate = self.session.execute(select(Relationship.id).where(
                Relationship.type_id == kind.id, Relationship.source_member_uuid == source,
                Relationship.target_member_uuid == target)).scalar()
            if duplicate is not None and self.sources.target("relationships", item.source_id) is None:
                self.sources.remember("relationships", item.source_id, str(duplicate))
            self.upsert("relationships", Relationship, item, lambda v: Relationship(
                id=uuid.uuid4(), system_uuid=self.system.uuid, type_id=kind.id, source_member_uuid=source,  # noqa: B023 (called at once, in the loop)
                target_member_uuid=target, **{"created_at": self.now, **v}, updated_at=self.now), lambda r: r.id)  # noqa: B023 (called at once, in the loop)

    # --- fronts ------------------------------------------------------------------------------------------------

    def apply_fronts(self) -> None:
        by_member: dict[uuid.UUID, list[FrontItem]] = defaultdict(list)
        for item in self.plan.fronts:
            member = self.member(item.member, "fronts.member")
            if member is None:
                continue
            if item.ended_at is not None and item.ended_at <= item.started_at:
                self.warnings.add("front_empty", "fronts: a front that ends before (or when) it starts, left out")
                continue
            if item.comment is not None and len(item.comment) > FRONT_COMMENT_MAX:
                item.comment = item.comment[:FRONT_COMMENT_MAX]
                self.warnings.add("text_truncated", f"fronts.comment: cut to {FRONT_COMMENT_MAX} characters, this "
                                                    "server's limit")
            by_member[member].append(item)
        if not by_member:
            self.step(len(self.plan.fronts))
            return
        history = self._front_history(list(by_member))
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for member, items in by_member.items():
            self.steps.pause()  # between members: reading the history and joining overlaps is work too
            merged = self._merge_overlaps(items)
            own = {self.front_id(i.source_id) for i in items}
            rows = history.get(member, [])
            current = {front_id: (start, end, comment) for front_id, start, end, comment in rows if front_id in own}
            others = sorted(((start, end) for front_id, start, end, _comment in rows if front_id not in own),
                            key=lambda interval: interval[0])
            starts = [start for start, _end in others]
            for item, sources in merged:
                if _overlaps(others, starts, item.started_at, item.ended_at):
                    self.warnings.add("front_overlaps_existing", "fronts: overlaps a front already recorded here "
                                                                 "(not from this source), left out")
                    continue
                ids = [self.front_id(s) for s in sources]
                target = next((front_id for front_id in ids if front_id in current), None)
                if target is None:
                    inserts.append({"id": ids[0], "system_uuid": self.system.uuid, "member_uuid": member,
                                    "started_at": item.started_at, "ended_at": item.ended_at,
                                    "comment": item.comment, "created_at": self.now, "updated_at": self.now})
                    self.counts.add("fronts", "created")
                elif current[target] != (item.started_at, item.ended_at, item.comment):
                    updates.append({"id": target, "started_at": item.started_at, "ended_at": item.ended_at,
                                    "comment": item.comment, "updated_at": self.now})
                    self.counts.add("fronts", "updated")
                else:
                    self.counts.add("fronts", "unchanged")
        self.step(len(self.plan.fronts) // 4)
        if self.dry_run:  # the counts are known: writing fronts only to roll them back would hold up other writers
            return
        for start in range(0, len(updates), ROWS_PER_INSERT):
            self.session.execute(update(Front), updates[start:start + ROWS_PER_INSERT])
            self.steps.pause()
        for start in range(0, len(inserts), ROWS_PER_INSERT):
            self.session.execute(insert(table_of(Front)), inserts[start:start + ROWS_PER_INSERT])
            self.step(min(ROWS_PER_INSERT, len(inserts) - start) * 3 // 4)

    def front_id(self, source_id: str) -> uuid.UUID:
        """A front's id, derived from its source: a history holds hundreds of thousands of fronts, too many to map
        one by one in import_sources, and the same source front always gets the same id in this system."""
        return uuid.uuid5(self.front_namespace, source_id)

    def _front_history(self, members: list[uuid.UUID]) -> dict[uuid.UUID, list[tuple[Any, ...]]]:
        """Every front of these members already stored: (id, started_at, ended_at, comment) per member."""
        history: dict[uuid.UUID, list[tuple[Any, ...]]] = defaultdict(list)
        for chunk in _chunks(members, 500):
            for member, *row in self.session.execute(select(
                    Front.member_uuid, Front.id, Front.started_at, Front.ended_at, Front.comment
            ).where(Front.member_uuid.in_(chunk))):
                history[member].append(tuple(row))
        return history

    def _merge_overlaps(self, items: list[FrontItem]) -> list[tuple[FrontItem, list[str]]]:
        """The member's fronts from the file in order, overlapping ones joined into one (warned): a member cannot
        front twice at once here. Returns each front with every source id it stands for."""
        items.sort(key=lambda i: (i.started_at, i.ended_at is None, i.ended_at or i.started_at))
        merged: list[tuple[FrontItem, list[str]]] = []
        for item in items:
            if merged:
                last, sources = merged[-1]
                if last.ended_at is None or last.ended_at > item.started_at:
                    end = None if last.ended_at is None or item.ended_at is None else max(last.ended_at, item.ended_at)
                    comments = [c for c in (last.comment, item.comment) if c]
                    comment = "\n".join(dict.fromkeys(comments))[:FRONT_COMMENT_MAX] if comments else None
                    merged[-1] = (FrontItem(last.source_id, last.member, last.started_at, end, comment),
                                  [*sources, item.source_id])
                    self.warnings.add("front_overlap_merged", "fronts: fronts of one member that overlap in the "
                                                              "file were joined into one")
                    continue
            merged.append((item, [item.source_id]))
        return merged

    # --- journal, polls, thoughts, accounts ------------------------------------------------------------------

    def apply_journal(self) -> None:
        for item in self.plan.journal:
            values = dict(item.values)
            tags = self._tags(values.pop("tags", None))
            values.setdefault("body", "")
            entry, created = self.upsert("journal", JournalEntry, Item(item.source_id, values), lambda v: JournalEntry(
                id=uuid.uuid4(), system_uuid=self.system.uuid,
                **{"pinned": False, "privacy": PRIVATE, "created_at": self.now, "updated_at": self.now, **v}),
                lambda e: e.id)
            search.index_terms(self.session, entry, new=created)  # what ranking counts, for the text as imported
            if tags is not None and (created or list(entry.tags or []) != tags):
                entry.tags = tags
                self.session.execute(delete(JournalTag).where(JournalTag.entry_id == entry.id),
                                     execution_options=QUIET)
                self.session.add_all(JournalTag(entry_id=entry.id, tag=tag) for tag in tags)
            authors = list(dict.fromkeys(a for a in (self.member(m, "journal.authors") for m in item.authors) if a))
            present = list(self.session.execute(select(JournalAuthor.member_uuid).where(
                JournalAuthor.entry_id == entry.id).order_by(JournalAuthor.position)).scalars())
            if authors and authors != present:
                self.session.execute(delete(JournalAuthor).where(JournalAuthor.entry_id == entry.id),
                                     execution_options=QUIET)
                self.session.add_all(JournalAuthor(entry_id=entry.id, member_uuid=m, position=i)
                                     for i, m in enumerate(authors))
            self.step()
        self.session.flush()

    def _tags(self, tags: Iterable[str] | None) -> list[str] | None:
        if tags is None:
            return None
        kept = list(dict.fromkeys(t[:TAG_MAX] for t in tags if isinstance(t, str) and t.strip()))
        if len(kept) > TAGS_MAX:
            self.warnings.add("journal_tags_cut", f"journal.tags: more than {TAGS_MAX} tags, the rest left out")
        return kept[:TAGS_MAX]

    def apply_polls(self) -> None:
        for item in self.plan.polls:
            self.step()
            options = item.options[:POLL_OPTIONS_MAX]
            if len(item.options) > POLL_OPTIONS_MAX:
                self.warnings.add("poll_options_cut", f"polls.options: more than {POLL_OPTIONS_MAX}, the rest left out")
            if len(options) < 2:
                self.warnings.add("poll_too_few_options", "polls: a poll with fewer than two options, left out")
                continue
            target = self.sources.target("polls", item.source_id)
            existing = self.session.get(Poll, uuid.UUID(target)) if target else None
            known = {o["label"]: o["id"] for o in existing.options} if existing is not None else {}
            stored: list[dict[str, Any]] = [{"id": known.get(o.label[:OPTION_LABEL_MAX]) or str(uuid.uuid4()),
                                             "label": o.label[:OPTION_LABEL_MAX], "color": o.color} for o in options]
            values = {**item.values, "options": stored,
                      "created_by": self.members.get(item.created_by) if item.created_by else None}
            poll, _ = self.upsert("polls", Poll, Item(item.source_id, values), lambda v: Poll(
                id=uuid.uuid4(), system_uuid=self.system.uuid,
                **{"allow_multiple": False, "allow_abstain": False, "allow_veto": False, "closed": False,
                   "created_at": self.now, **v}, updated_at=self.now), lambda p: p.id)
            self._votes(poll, item, {o.key: s["id"] for o, s in zip(options, stored, strict=True)})

    def _votes(self, poll: Poll, item: PollItem, option_ids: dict[str | None, str]) -> None:
        wanted: dict[uuid.UUID, dict[str, Any]] = {}
        for vote in item.votes:
            member = self.member(vote.member, "polls.votes.member")
            if member is None:
                continue
            chosen = [option_ids[key] for key in vote.options if key in option_ids]
            if vote.kind == "choice" and not chosen:
                self.warnings.add("vote_unknown_option", "polls.votes: a vote for an option that is not in the "
                                                         "poll, left out")
                continue
            if vote.kind == "choice" and len(chosen) > 1:
                poll.allow_multiple = True
            if vote.kind == "abstain":
                poll.allow_abstain = True
            if vote.kind == "veto":
                poll.allow_veto = True
            wanted[member] = {"poll_id": poll.id, "member_uuid": member, "option_ids": chosen, "kind": vote.kind,
                              "comment": (vote.comment or None) and vote.comment[:500],
                              "created_at": vote.created_at or poll.created_at}
        if not wanted:
            return
        present = {v.member_uuid: v for v in self.session.execute(
            select(Vote).where(Vote.poll_id == poll.id)).scalars()}
        for member, row in wanted.items():
            existing = present.get(member)
            if existing is None:
                self.session.add(Vote(**row))
                self.counts.add("votes", "created")
            elif _assign(existing, {k: row[k] for k in ("option_ids", "kind", "comment")}):
                self.counts.add("votes", "updated")
            else:
                self.counts.add("votes", "unchanged")

    def apply_thoughts(self) -> None:
        for item in self.plan.thoughts:
            self.step()
            values = {**item.values, "member_uuid": self.member(item.member, "thoughts.member")}
            self.upsert("thoughts", Thought, Item(item.source_id, values), lambda v: Thought(
                id=uuid.uuid4(), system_uuid=self.system.uuid, **{"created_at": self.now, **v}), lambda t: t.id)

    def apply_linked_accounts(self) -> None:
        for discord_id in self.plan.linked_accounts:
            linked = self.session.get(PkAccount, discord_id)
            if linked is None:
                self.session.add(PkAccount(discord_id=discord_id, system_uuid=self.system.uuid))
                self.counts.add("linked_accounts", "created")
            elif linked.system_uuid == self.system.uuid:
                self.counts.add("linked_accounts", "unchanged")
            else:
                self.warnings.add("account_linked_elsewhere", "accounts: a Discord account already linked to another "
                                                              "system here, left out")


_MISSING = object()


def _assign(obj: Any, values: dict[str, Any]) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def _makes_cycle(group: Group, parent: Group, groups: Iterable[Group]) -> bool:
    by_uuid = {g.uuid: g for g in groups}
    seen = set()
    current: Group | None = parent
    while current is not None and current.uuid not in seen:
        if current.uuid == group.uuid:
            return True
        seen.add(current.uuid)
        current = by_uuid.get(current.parent_uuid) if current.parent_uuid else None
    return False


def _overlaps(intervals: list[tuple[datetime, datetime | None]], starts: list[datetime], start: datetime,
              end: datetime | None) -> bool:
    """Whether [start, end) meets one of a member's fronts (sorted by start, never overlapping each other): only the
    latest of them starting before `end` can (as in fronts.service.check_overlap)."""
    index = bisect.bisect_left(starts, end) if end is not None else len(starts)
    if index == 0:
        return False
    _other_start, other_end = intervals[index - 1]
    return other_end is None or other_end > start


def _chunks(items: list[T], size: int) -> Iterable[list[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def apply_plan(steps: Steps, system_uuid: uuid.UUID, plan: Plan, progress: Progress, dry_run: bool,
               images: ImageTarget | None = None, undo_log: uuid.UUID | None = None) -> Report:
    """Writes the plan into the system, in `steps`; with `dry_run` raises `DryRun` at the end. `images` stores the
    pictures the file holds (a dry run stores none). `undo_log` (the job's id) records every write of the steps, for
    steps that commit (SQLite)."""
    if undo_log is not None:
        Recorder(steps, undo_log)
    # Writers of this system take turns (see systems.access.write_access): the fronts' rule is checked in memory.
    # While an import runs, the system's other writes are refused (write_access), so steps that commit keep it too.
    system = steps.session.execute(select(System).where(System.uuid == system_uuid).with_for_update(key_share=True)
                                   ).scalar_one()
    report = _Engine(steps, system, plan, progress, images, dry_run).run()
    steps.session.flush()
    if dry_run:
        raise DryRun(report)
    return report

