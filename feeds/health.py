"""Feed health: what the dashboard says about each feed, derived from what happened to it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from issdash.feeds.source_time import ahead_s, ahead_words, from_future, said_at

HealthState = Literal["ok", "stale", "down", "disabled"]

# Data older than this many poll intervals is stale even if nothing has failed yet (a poller
# that silently stopped must not look healthy).
STALE_AFTER_INTERVALS = 3.0

# A feed that has never been asked may be waiting its turn (a shared rate limit) or be stuck;
# once this long past its request deadline without a word it is not answering, whatever the
# reason, and counts as down for "every feed is down".
FIRST_ANSWER_GRACE_S = 5.0


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
    # When the data itself dates from (an element set's epoch), and how old it may be before
    # the feed is stale however recently it answered (None: only the answer's age counts).
    data_time: datetime | None = None
    max_data_age_s: float | None = None
    # When its poller started (None: not started, e.g. `status`, which reports a feed that did
    # not answer as failed), and its request deadline: together they say when the first
    # answer is overdue.
    waiting_since: datetime | None = None
    timeout_s: float = 10.0
    # A value of this feed set aside as dated in the future (a streamed feed's update), in
    # words, and when it arrived: the feed is not "ok" while it is said (`source_time`).
    future_note: str | None = None
    future_note_at: datetime | None = None

    def state(self, now: datetime) -> HealthState:
        if not self.enabled:
            return "disabled"
        if self.last_success_at is None:
            return "down" if self.last_error else "stale"
        if self.last_error:
            return "stale"
        if from_future(self.last_success_at, now):
            # Its answer arrived "after" now: the clock stepped back. A negative age is not
            # young, it is unknown, until the feed answers again.
            return "stale"
        age = self.age_s(now)
        # A cached answer younger than the interval is what a poll would have given (a
        # restart does not ask again until it is due); older, it is stale.
        if self.from_cache and (age is None or age >= self.interval_s):
            return "stale"
        if age is not None and age > STALE_AFTER_INTERVALS * self.interval_s:
            return "stale"
        if self.data_too_old(now) or self.source_time_problem(now) is not None:
            return "stale"
        return "ok"

    def source_time_problem(self, now: datetime) -> str | None:
        """In words, what this feed sent dated in the future, while it is said; else None."""
        if self.future_note is not None and said_at(self.future_note_at, now):
            return self.future_note
        return self.data_from_future()

    def noted_future(self, note: str | None, at: datetime | None) -> FeedHealth:
        """A value set aside as dated in the future (`note` None: none to say)."""
        if (note, at) == (self.future_note, self.future_note_at):
            return self
        return replace(self, future_note=note, future_note_at=at)

    def data_too_old(self, now: datetime) -> bool:
        if self.data_time is None or self.max_data_age_s is None:
            return False
        return (now - self.data_time).total_seconds() > self.max_data_age_s

    def data_from_future(self) -> str | None:
        """In words, when the data's own time is after the answer that brought it (an
        element set's epoch in the future): never "ok", said rather than trusted."""
        if self.data_time is None or self.last_success_at is None:
            return None
        if not from_future(self.data_time, self.last_success_at):
            return None
        ahead = ahead_words(ahead_s(self.data_time, self.last_success_at))
        return f"its data is dated {ahead} after it arrived (a clock is wrong, theirs or ours)"

    @property
    def failing(self) -> bool:
        """Its latest attempt failed (whether or not older good data is kept)."""
        return self.last_error is not None

    @property
    def waiting(self) -> bool:
        """No attempt of its own has finished yet (data loaded from the cache may be shown)."""
        return self.last_attempt_at is None

    def overdue(self, now: datetime) -> bool:
        """Waiting for a first answer for longer than a request may take."""
        if not self.enabled or not self.waiting or self.waiting_since is None:
            return False
        waited_s = (now - self.waiting_since).total_seconds()
        return waited_s > self.timeout_s + FIRST_ANSWER_GRACE_S

    def not_answering(self, now: datetime) -> bool:
        """Failing, or silent past its first deadline: what "down" means for the banner."""
        return self.enabled and (self.failing or self.overdue(now))

    def started(self, at: datetime) -> FeedHealth:
        """Its poller started at `at` (kept if an attempt already finished)."""
        if self.waiting_since is not None or self.last_attempt_at is not None:
            return self
        return replace(self, waiting_since=at)

    def age_s(self, now: datetime) -> float | None:
        """Seconds since the last good data, never negative (a clock step back reads 0, and
        `state` says stale when the step is beyond the skew of `source_time`)."""
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
