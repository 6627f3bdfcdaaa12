"""Bench data for the list reads (issue 15): every system of a generate.py data dir gets members, fields, groups,
fronts, journal entries and polls, inserted straight into the tables with SQLAlchemy Core; and the reads measured.

Per system: 300 members (each with 2 field values and in 2 of 10 groups), 200 fronts (one member after another,
an hour each; the last 3 still open, so /fronters has 3), 60 journal entries (one author, two tags each) and 60
polls (3 options, 3 votes each). tokens.json gets, for each token, the ids one-object reads need (`member_id`,
`front_id`, `poll_id`), which bench/load.py fills into a path such as /api/v1/systems/@me/members/{member_id}.

    python bench/generate.py --accounts 256 --data-dir bench/.data/lists --fresh \
        --scopes system:read,members:read,groups:read,fields:read,fronts:read,journal:read,polls:read
    python bench/lists.py --data-dir bench/.data/lists
    python bench/run_ratio.py --data-dir bench/.data/lists --servers real,plain --reads all

`READS` names each read; the plain baseline (bench/baseline_sqlite3.py) serves the same paths with the same rows.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import DEFAULT_DATA_DIR, batches

ME = "/api/v1/systems/@me"
READS: dict[str, str] = {
    "members": f"{ME}/members?limit=50",
    "members+include": f"{ME}/members?limit=50&include=fields,groups",
    "fronts+member": f"{ME}/fronts?limit=50&include=member",
    "fronters": f"{ME}/fronters",
    "switches": f"{ME}/switches",
    "groups": f"{ME}/groups",
    "journal": f"{ME}/journal?limit=50",
    "polls": f"{ME}/polls?limit=50",
    "pk-members": "/pk/v2/systems/@me/members",
    "pk-switches": "/pk/v2/systems/@me/switches",
    "member": f"{ME}/members/{{member_id}}",
    "front": f"{ME}/fronts/{{front_id}}",
    "poll": f"{ME}/polls/{{poll_id}}",
}
"""What run_ratio.py --reads measures, by name (the issue's list)."""

MEMBERS, GROUPS, FRONTS, OPEN_FRONTS, ENTRIES, POLLS = 300, 10, 200, 3, 60, 60
PRIVATE = "private"


def _hid(number: int) -> str:
    """Six letters, unique per number (the app's short ids are six letters too)."""
    letters = ""
    for _ in range(6):
        number, digit = divmod(number, 26)
        letters += chr(ord("a") + digit)
    return letters


def populate(data_dir: Path) -> None:
    from sqlalchemy import insert, select

    from pluralspace.fields.models import Field, FieldValue
    from pluralspace.fronts.models import Front
    from pluralspace.groups.models import GROUP_PRIVACY, Group, GroupMember
    from pluralspace.identity.system import System
    from pluralspace.journal.models import JournalAuthor, JournalEntry, JournalTag
    from pluralspace.kit.db import null_pool_engine
    from pluralspace.members.models import MEMBER_PRIVACY, Member
    from pluralspace.polls.models import Poll, Vote

    tokens_path = data_dir / "tokens.json"
    generated = json.loads(tokens_path.read_text())
    engine = null_pool_engine(f"sqlite:///{data_dir / 'pluralspace.db'}")
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(hours=FRONTS + 10)
    ids: dict[str, dict[str, str]] = {}
    hid_number = 26 ** 5  # far from the random ids the app gave the systems
    with engine.begin() as connection:
        systems = connection.execute(select(System.uuid, System.hid)).all()
        for system_uuid, system_hid in systems:
            members = []
            for index in range(MEMBERS):
                hid_number += 1
                members.append({"uuid": uuid.uuid4(), "hid": _hid(hid_number), "system_uuid": system_uuid,
                                "name": f"Member {index}", "display_name": f"Display {index}",
                                "pronouns": "they/them", "description": f"Member number {index} of this system.",
                                "color": "aabbcc", "roles": [], "proxy_tags": [{"prefix": f"m{index}:",
                                                                                 "suffix": None}],
                                "keep_proxy": False, "is_custom_front": False, "privacy": MEMBER_PRIVACY.defaults(),
                                "created_at": start + timedelta(seconds=index), "updated_at": start})
            connection.execute(insert(Member), members)
            fields = [{"id": uuid.uuid4(), "system_uuid": system_uuid, "name": name, "type": "text",
                       "options": None, "position": position, "privacy": PRIVATE, "created_at": start,
                       "updated_at": start} for position, name in enumerate(("Age", "Role"))]
            connection.execute(insert(Field), fields)
            connection.execute(insert(FieldValue), [{"member_uuid": m["uuid"], "field_id": f["id"],
                                                     "value": f"{f['name']} {i}"}
                                                    for i, m in enumerate(members) for f in fields])
            groups = []
            for index in range(GROUPS):
                hid_number += 1
                groups.append({"uuid": uuid.uuid4(), "hid": _hid(hid_number), "system_uuid": system_uuid,
                               "parent_uuid": None, "name": f"Group {index}", "display_name": None,
                               "description": f"Group number {index}.", "icon": None, "color": "112233",
                               "privacy": GROUP_PRIVACY.defaults(), "created_at": start + timedelta(seconds=index),
                               "updated_at": start})
            connection.execute(insert(Group), groups)
            connection.execute(insert(GroupMember), [
                {"group_uuid": groups[(i + k) % GROUPS]["uuid"], "member_uuid": m["uuid"]}
                for i, m in enumerate(members) for k in (0, 1)])
            fronts = []
            for index in range(FRONTS):
                begins = start + timedelta(hours=index)
                still_open = index >= FRONTS - OPEN_FRONTS
                fronts.append({"id": uuid.uuid4(), "system_uuid": system_uuid,
                               "member_uuid": members[index % MEMBERS]["uuid"], "started_at": begins,
                               "ended_at": None if still_open else begins + timedelta(hours=1),
                               "comment": None, "created_at": begins, "updated_at": begins})
            connection.execute(insert(Front), fronts)
            entries = [{"id": uuid.uuid4(), "system_uuid": system_uuid, "title": f"Entry {index}",
                        "body": f"What happened on day {index}. " * 8, "tags": ["daily", f"week{index // 7}"],
                        "pinned": index == 0, "privacy": PRIVATE, "created_at": start + timedelta(hours=index),
                        "updated_at": start + timedelta(hours=index)} for index in range(ENTRIES)]
            connection.execute(insert(JournalEntry), entries)
            connection.execute(insert(JournalAuthor), [{"entry_id": e["id"], "member_uuid": members[i]["uuid"],
                                                        "position": 0} for i, e in enumerate(entries)])
            connection.execute(insert(JournalTag), [{"entry_id": e["id"], "tag": tag}
                                                    for e in entries for tag in e["tags"]])
            polls = [{"id": uuid.uuid4(), "system_uuid": system_uuid, "title": f"Poll {index}",
                      "description": "Which one?", "options": [{"id": f"o{k}", "label": f"Option {k}",
                                                               "color": None} for k in range(3)],
                      "allow_multiple": False, "allow_abstain": True, "allow_veto": False, "closes_at": None,
                      "closed": False, "created_by": members[index]["uuid"],
                      "created_at": start + timedelta(hours=index), "updated_at": start}
                     for index in range(POLLS)]
            connection.execute(insert(Poll), polls)
            for batch in batches(({"poll_id": p["id"], "member_uuid": members[k]["uuid"], "option_ids": [f"o{k}"],
                                   "kind": "choice", "comment": None, "created_at": start}
                                  for p in polls for k in range(3)), 500):
                connection.execute(insert(Vote), batch)
            ids[system_hid] = {"member_id": members[7]["hid"], "front_id": str(fronts[-10]["id"]),
                               "poll_id": str(polls[5]["id"])}
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    for client in generated["clients"]:
        client.update(ids[client["system_id"]])
    tokens_path.write_text(json.dumps(generated, indent=1))
    print(f"{len(systems)} systems filled; ids of one member, front and poll each in {tokens_path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR / "lists")
    args = parser.parse_args()
    populate(args.data_dir.resolve())


if __name__ == "__main__":
    main()
