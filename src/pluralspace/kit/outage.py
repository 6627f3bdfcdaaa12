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
        self._told_at = 0.0
        self._told_failures = 0
        metrics.dependency_up(dependency, True)

    @property
    def ongoing(self) -> bool:
        return self.failures > 0

    def failed(self, cause: str) -> None:
        now = time.monotonic()
        self.failures += 1
        self.last_failure_at = now
        metrics.dependency_failed(self.dependency)
        if self.failures == 1:
            self.started_at, self.cause = now, cause
            metrics.dependency_up(self.dependency, False)
            self._tell(now, "%s unavailable: %s", self.dependency, cause)
        elif cause != self.cause:
            self.cause = cause
            self._tell(now, "%s still unavailable, now: %s (%d failures so far)", self.dependency, cause,
                       self.failures)
        elif now - self._told_at >= SUMMARY_EVERY_SECONDS:
            self._tell(now, "%s still unavailable: %s (%d failures in the last %.0f s)", self.dependency, cause,
                       self.failures - self._told_failures, now - self._told_at)

    def recovered(self) -> None:
        """Called on every success, so it costs one comparison while nothing is wrong."""
        if not self.failures:
            return
        self._log.warning("%s available again after %.1f s (%d failures)", self.dependency,
                          time.monotonic() - self.started_at, self.failures)
        self.failures = 0
        metrics.dependency_up(self.dependency, True)

    def _tell(self, now: float, message: str, *args: object) -> None:
        self._log.warning(message, *args)
        self._told_at, self._told_failures = now, self.failures
