"""A slow, obviously-correct Wrapped fronting computation, to check the database's against (test_properties.py).

It walks the fronts in Python: clips them to the period, sweeps their starts and ends in time order, and spreads
every stretch over the local hours it covers, one hour at a time.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

TOP_COFRONTS = 5


@dataclass(frozen=True)
class Front:
    member: str  # short id
    started_at: datetime
    ended_at: datetime | None


def fronting(fronts: list[Front], start: datetime, until: datetime, zone: ZoneInfo) -> dict:
    clipped = []
    for front in fronts:
        begin, end = max(front.started_at, start), min(front.ended_at or until, until)
        if front.started_at < until and end > begin:
            clipped.append((front, begin, end))
    changes = {moment for front, _, _ in clipped for moment in (front.started_at, front.ended_at)
               if moment is not None and start <= moment < until}
    deltas: dict[datetime, Counter[str]] = {}
    for front, begin, end in clipped:
        deltas.setdefault(begin, Counter())[front.member] += 1
        deltas.setdefault(end, Counter())[front.member] -= 1
    fronting_now: Counter[str] = Counter()
    segments, switches, previous = [], 0, None
    for moment in sorted(deltas):
        before = frozenset(fronting_now)
        if previous is not None and before:
            segments.append((previous, moment, before))
        fronting_now.update(deltas[moment])
        fronting_now = +fronting_now
        if moment in changes and frozenset(fronting_now) != before:
            switches += 1
        previous = moment
    total = sum((end - begin).total_seconds() for begin, end, _ in segments)
    by_weekday, by_hour = [0.0] * 7, [0.0] * 24
    together: Counter[tuple[str, ...]] = Counter()
    for begin, end, members in segments:
        moment = begin
        while moment < end:
            local = moment.astimezone(zone)
            next_hour = moment + timedelta(minutes=60 - local.minute, seconds=-local.second,
                                           microseconds=-local.microsecond)
            piece_end = min(next_hour, end)
            by_weekday[local.weekday()] += (piece_end - moment).total_seconds()
            by_hour[local.hour] += (piece_end - moment).total_seconds()
            moment = piece_end
        if len(members) > 1:
            together[tuple(sorted(members))] += (end - begin).total_seconds()
    seconds: Counter[str] = Counter()
    sessions: Counter[str] = Counter()
    longest: dict[str, float] = {}
    for front, begin, end in clipped:
        length = (end - begin).total_seconds()
        seconds[front.member] += length
        sessions[front.member] += 1
        longest[front.member] = max(longest.get(front.member, 0.0), length)
    best = min(clipped, key=lambda piece: (-(piece[2] - piece[1]), piece[0].started_at, piece[0].member),
               default=None)
    return {
        "total_seconds": round(total), "switch_count": switches,
        "members": [{"member_id": member, "seconds": round(seconds[member]),
                     "share": round(seconds[member] / total, 4) if total else 0.0, "sessions": sessions[member],
                     "longest_session_seconds": round(longest[member])}
                    for member in sorted(seconds, key=lambda m: (-seconds[m], m))],
        "top_cofronts": [{"member_ids": list(ids), "seconds": round(value)}
                         for ids, value in together.most_common(TOP_COFRONTS)],
        "longest_session": None if best is None else {
            "member_id": best[0].member, "started_at": best[0].started_at, "ended_at": best[0].ended_at,
            "seconds": round((best[2] - best[1]).total_seconds())},
        "by_weekday": [round(v) for v in by_weekday], "by_hour": [round(v) for v in by_hour],
    }
