"""One dependency's faults (the database, its storage, Redis), told once rather than once per failed request.

A request that fails because a dependency is away is answered (503, 507, or counted elsewhere) and not logged by
itself: during an outage that would be thousands of identical lines. The outage is logged instead: when it starts,
when its cause changes, with a count at most once a minute while it lasts, and when it ends. /metrics shows it as
`pluralspace_dependency_up` and `pluralspace_dependency_failures_total`.
"""

from __future__ import annotations

import logging
import time

from . import metrics

SUMMARY_EVERY_SECONDS = 60.0


class Outage:
    def __init__(self, dependency: str, log: logging.Logger) -> None:
        self.dependency = dependency
        self._log = log
        self.failures = 0  # during the current outage; 0 while the dependency answers
        self.cause = ""
        self.started_at = 0.0
        self.last_failure_at = 0.0
        self._causes: set[str] = set()  # seen during this outage: told once each, however often they alternate
        self._told_at = -SUMMARY_EVERY_SECONDS
        self._told_this_outage = False
        self._untold = 0  # failures not yet in a log line
        self._recovered_at = -SUMMARY_EVERY_SECONDS
        metrics.dependency_up(dependency, True)

    @property
    def ongoing(self) -> bool:
        return self.failures > 0

    def failed(self, cause: str) -> None:
        now = time.monotonic()
        self.failures += 1
        self._untold += 1
        self.last_failure_at = now
        metrics.dependency_failed(self.dependency)
        if self.failures == 1:
            self.started_at, self.cause, self._causes, self._told_this_outage = now, cause, {cause}, False
            metrics.dependency_up(self.dependency, False)
            # A fault that returns soon after the last one ended (a flapping dependency, backends killed one by
            # one) is counted into the next summary rather than told twice each time.
            if now - self._recovered_at >= SUMMARY_EVERY_SECONDS:
                self._tell(now, "%s unavailable: %s", self.dependency, cause)
        elif cause not in self._causes:
            self.cause = cause
            self._causes.add(cause)
            self._tell(now, "%s still unavailable, now: %s (%d failures so far)", self.dependency, cause,
                       self.failures)
        self._summarise_if_due(now)

    def recovered(self) -> None:
        """Called on every success, so it costs one comparison while nothing is wrong."""
        if not self.failures:
            return
        now = time.monotonic()
        self._summarise_if_due(now)
        if self._told_this_outage:
            self._log.warning("%s available again after %.1f s (%d failures)", self.dependency,
                              now - self.started_at, self.failures)
            self._untold = 0
        self.failures = 0
        self._recovered_at = now
        metrics.dependency_up(self.dependency, True)

    def _summarise_if_due(self, now: float) -> None:
        if self._untold and now - self._told_at >= SUMMARY_EVERY_SECONDS:
            self._tell(now, "%s unavailable at times: %d failures in the last %.0f s, the last: %s", self.dependency,
                       self._untold, now - self._told_at, self.cause)

    def _tell(self, now: float, message: str, *args: object) -> None:
        self._log.warning(message, *args)
        self._told_at, self._told_this_outage, self._untold = now, True, 0
