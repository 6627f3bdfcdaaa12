"""Switches derived from front intervals: pure functions, shared by the service and the tests.

A switch is a change point of the fronting history: a time at which some front starts or ends *and* the set of
fronters right after it differs from the set right before it (a member whose front ends exactly when their next
front starts did not switch). `member_ids` is the whole set right after the change, in the order its members
started fronting, then by id; an empty list means nobody fronts from then on.

The service feeds `change_points` only the fronts around a window of the newest event times, so a page costs the
same whatever the length of the history; `brute_force_switches` recomputes everything from the full list and is
what the randomized test compares against.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

# How intervals name their member: a short id here, a uuid in the PluralKit API.
K = TypeVar("K", str, uuid.UUID)


@dataclass(frozen=True)
class Interval(Generic[K]):
    member: K
    start: datetime
    end: datetime | None  # None: still fronting


@dataclass(frozen=True)
class Switch:
    timestamp: datetime
    member_ids: tuple[str, ...]


def fronting_after(intervals: Iterable[Interval[K]], moment: datetime) -> list[Interval[K]]:
    """Fronts covering the instant right after `moment`: [start, end) contains it."""
    return [i for i in intervals if i.start <= moment and (i.end is None or i.end > moment)]


def fronting_before(intervals: Iterable[Interval[K]], moment: datetime) -> list[Interval[K]]:
    """Fronts covering the instant right before `moment`."""
    return [i for i in intervals if i.start < moment and (i.end is None or i.end >= moment)]


def _ordered(intervals: list[Interval[str]]) -> tuple[str, ...]:
    seen: dict[str, datetime] = {}
    for interval in intervals:  # one front per member at a time; min() only guards malformed input
        seen[interval.member] = min(interval.start, seen.get(interval.member, interval.start))
    return tuple(member for member, _ in sorted(seen.items(), key=lambda item: (item[1], item[0])))


def change_points(intervals: list[Interval[str]], moments: Iterable[datetime]) -> list[Switch]:
    """The switches among `moments`, newest first.

    `intervals` must hold every front that covers any instant from just before the oldest moment to just after
    the newest one; fronts outside that window may be present and do not matter.
    """
    switches = []
    for moment in sorted(set(moments), reverse=True):
        after = fronting_after(intervals, moment)
        before = fronting_before(intervals, moment)
        if {i.member for i in after} != {i.member for i in before}:
            switches.append(Switch(moment, _ordered(after)))
    return switches


def event_times(intervals: Iterable[Interval[K]]) -> set[datetime]:
    times: set[datetime] = set()
    for interval in intervals:
        times.add(interval.start)
        if interval.end is not None:
            times.add(interval.end)
    return times


def brute_force_switches(intervals: list[Interval[str]]) -> list[Switch]:
    """Every switch of a whole history, newest first (quadratic; for tests and small histories)."""
    return change_points(intervals, event_times(intervals))
