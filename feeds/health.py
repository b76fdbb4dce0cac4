"""Feed health: what the dashboard says about each feed, derived from what happened to it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

HealthState = Literal["ok", "stale", "down", "disabled"]

# Data older than this many poll intervals is stale even if nothing has failed yet (a poller
# that silently stopped must not look healthy).
STALE_AFTER_INTERVALS = 3.0


@dataclass(frozen=True, slots=True)
class FeedHealth:
    """The record of one feed; `state()` and `age_s()` read it against the clock."""

    name: str
    enabled: bool
    interval_s: float
    last_success_at: datetime | None = None
    last_attempt_at: datetime | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    retry_in_s: float | None = None
    from_cache: bool = False

    def state(self, now: datetime) -> HealthState:
        if not self.enabled:
            return "disabled"
        if self.last_success_at is None:
            return "down" if self.last_error else "stale"
        if self.last_error:
            return "stale"
        age = self.age_s(now)
        # A cached answer younger than the interval is what a poll would have given (a
        # restart does not ask again until it is due); older, it is stale.
        if self.from_cache and (age is None or age >= self.interval_s):
            return "stale"
        if age is not None and age > STALE_AFTER_INTERVALS * self.interval_s:
            return "stale"
        return "ok"

    def age_s(self, now: datetime) -> float | None:
        """Seconds since the last good data, never negative (a clock step back reads 0)."""
        if self.last_success_at is None:
            return None
        return max(0.0, (now - self.last_success_at).total_seconds())

    def succeeded(self, at: datetime, *, from_cache: bool = False) -> FeedHealth:
        return replace(
            self,
            last_success_at=at,
            last_attempt_at=self.last_attempt_at if from_cache else at,
            last_error=None if not from_cache else self.last_error,
            consecutive_failures=0 if not from_cache else self.consecutive_failures,
            retry_in_s=None,
            from_cache=from_cache,
        )

    def failed(self, at: datetime, error: str, retry_in_s: float | None) -> FeedHealth:
        return replace(
            self,
            last_attempt_at=at,
            last_error=error,
            consecutive_failures=self.consecutive_failures + 1,
            retry_in_s=retry_in_s,
        )
