"""Paging through a 5,000-member system: every page costs the same, first or last (keyset, no N+1).

A fresh SQLite database migrated to head, one account (through the API) with a custom field and a group, then
5,000 members inserted straight into `members` (each with a field value and the group) with SQLAlchemy Core.
Against the real server (`pluralspace serve`, one worker, rate limits off) it walks every page with
`?include=fields,groups` at limit 50 and at limit 200, and reports the median page latency, the first and last
page's latency and the whole walk.

Run:  python -m bench.members_paging [--members 5000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from pluralspace.fields.models import FieldValue
from pluralspace.groups.models import Group, GroupMember
from pluralspace.identity.system import System
from pluralspace.kit.db import null_pool_engine
from pluralspace.members.models import MEMBER_PRIVACY, Member
from pluralspace.migrate import upgrade

from .common import DEFAULT_DATA_DIR, free_port, real_server
from .fronts import call

PASSWORD = "bench password 123"


def populate(data_dir: Path, count: int) -> tuple[str, str]:
    database_url = f"sqlite:///{data_dir / 'pluralspace.db'}"
    data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(database_url)
    with real_server(data_dir, free_port(), rate_limit=False) as server:
        server.wait_ready()
        email = f"bench-{uuid.uuid4().hex[:8]}@example.org"
        call(server.url, "POST", "/api/v1/auth/register", body={"email": email, "password": PASSWORD})
        token = call(server.url, "POST", "/api/v1/auth/login", body={"email": email, "password": PASSWORD})
        token = token["data"]["access_token"]
        field = call(server.url, "POST", "/api/v1/systems/@me/fields", token, {"name": "Age", "type": "text"})
        call(server.url, "POST", "/api/v1/systems/@me/groups", token, {"name": "Everyone"})
    engine = null_pool_engine(database_url)
    start = datetime.now(UTC) - timedelta(days=1)
    with engine.begin() as connection:
        system_uuid = connection.execute(select(System.uuid).order_by(System.created_at.desc())).scalars().first()
        group_uuid = connection.execute(select(Group.uuid).where(Group.system_uuid == system_uuid)).scalar_one()
        members = [{"uuid": uuid.uuid4(), "hid": f"{index:06d}".translate(str.maketrans("0123456789", "abcdefghij")),
                    "system_uuid": system_uuid, "name": f"member {index}", "roles": [], "proxy_tags": [],
                    "keep_proxy": False, "is_custom_front": False,
                    "privacy": MEMBER_PRIVACY.defaults(), "created_at": start + timedelta(seconds=index),
                    "updated_at": start} for index in range(count)]
        connection.execute(Member.__table__.insert(), members)
        connection.execute(FieldValue.__table__.insert(), [
            {"member_uuid": m["uuid"], "field_id": uuid.UUID(field["data"]["id"]), "value": str(i)}
            for i, m in enumerate(members)])
        connection.execute(GroupMember.__table__.insert(), [
            {"group_uuid": group_uuid, "member_uuid": m["uuid"]} for m in members])
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    return email, database_url


def walk(base: str, token: str, limit: int) -> list[float]:
    """Latency of every page of one full walk, in order."""
    samples, cursor = [], None
    while True:
        path = f"/api/v1/systems/@me/members?limit={limit}&include=fields,groups"
        path += f"&cursor={cursor}" if cursor else ""
        started = time.perf_counter()
        page = call(base, "GET", path, token)
        samples.append(time.perf_counter() - started)
        cursor = page["pagination"]["cursor"]
        if cursor is None:
            return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR / "members-paging")
    args = parser.parse_args()
    email, _ = populate(args.data_dir, args.members)
    with real_server(args.data_dir, free_port(), rate_limit=False) as server:
        server.wait_ready()
        token = call(server.url, "POST", "/api/v1/auth/login", body={"email": email, "password": PASSWORD})
        token = token["data"]["access_token"]
        for limit in (50, 200):
            walks = [walk(server.url, token, limit) for _ in range(args.rounds)]
            pages = [sample for one in walks for sample in one]
            print(f"limit {limit}: {len(walks[0])} pages; page median {statistics.median(pages) * 1000:.1f} ms, "
                  f"first {statistics.median(w[0] for w in walks) * 1000:.1f} ms, "
                  f"last {statistics.median(w[-1] for w in walks) * 1000:.1f} ms, "
                  f"whole walk {statistics.median(sum(w) for w in walks) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
