"""Times stated by a source, read against when they reached us: nothing from outside comes
from the future.

A source's time (ISSLIVE's TimeStamp, a position's timestamp, an element set's epoch, a
docking time in a docked list) is a claim. One later than its own arrival, by more than two
hosts' clocks can disagree, is a broken clock (theirs or ours) or a forged value, never news:
it is set aside and said, so it is never "fresh" and never blocks the newer real values that
follow. Within that skew a source time is taken as its arrival time at the latest, so an
age measured from it is never negative while the clock runs forward; an age that is negative
all the same (the clock stepped back, a replay jumped) is not fresh either.

Pure: no I/O, no clock of its own, no Textual.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

# How far a source's time may be ahead of our receipt and still be believed. NTP keeps hosts
# within a second, but a laptop that has not synchronised for weeks drifts by a minute or so,
# and ISSLIVE's TimeStamps step about 5 s either way; two minutes covers both. Anything
# further ahead is not skew.
MAX_AHEAD_S = 120.0
MAX_AHEAD = timedelta(seconds=MAX_AHEAD_S)

# A value set aside as dated in the future is said for this long after it arrived (then only
# counted): long enough for any `status` or glance at the screen to see it, short enough not to
# mark a feed that has behaved for an hour since.
SAID_FOR_S = 3600.0


def ahead_s(source_time: datetime, arrived_at: datetime) -> float:
    """Seconds by which `source_time` is after `arrived_at` (negative: before it)."""
    return (source_time - arrived_at).total_seconds()


def from_future(source_time: datetime | None, arrived_at: datetime) -> bool:
    """The source claims a time later than its arrival by more than clocks can disagree."""
    return source_time is not None and source_time - arrived_at > MAX_AHEAD


def effective_time(source_time: datetime | None, arrived_at: datetime) -> datetime:
    """When the data can have been true at the latest: its source time, but never after it
    reached us (a time ahead within the skew is our clock or theirs, not the data's)."""
    if source_time is None:
        return arrived_at
    return min(source_time, arrived_at)


def is_fresh(
    source_time: datetime | None, arrived_at: datetime, now: datetime, max_age_s: float
) -> bool:
    """The data describes `now`: not from the future, and its age at `now` between 0 and
    `max_age_s` (a negative age, or a limit that is not a number, is never fresh)."""
    if from_future(source_time, arrived_at) or not math.isfinite(max_age_s):
        return False
    age_s = (now - effective_time(source_time, arrived_at)).total_seconds()
    return 0.0 <= age_s <= max_age_s


def said_at(arrived_at: datetime | None, now: datetime) -> bool:
    """A future-dated value that arrived at `arrived_at` is still to be said at `now`."""
    if arrived_at is None:
        return False
    since_s = (now - arrived_at).total_seconds()
    return 0.0 <= since_s <= SAID_FOR_S


def ahead_words(seconds: float) -> str:
    """How far ahead, in words: "40.0 h", "12 min", "95 s", "3.0 days"."""
    if not math.isfinite(seconds):
        return "an unknown time"
    if seconds >= 3 * 86400:
        return f"{seconds / 86400:.1f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h"
    if seconds >= 120:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"
