"""What the dashboard knows, and what it does not: pure (no Textual), read by the screen and by
`issdash status`.

"Nothing docked" and "the docked list is not known" are different facts; so are "nothing
scheduled" and "the schedule is not known", "nobody aboard" and "no crew feed has answered".
A part is known when one of its feeds has given an answer recent enough to describe now;
otherwise it is unknown, with the reason in words (switched off, failing and why, no answer
yet, last answer too old, or received after the time described). The mode badge says LIVE
only while feeds are answering.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from issdash.feeds.registry import ASTROS, CREW, DOCKED, DOCKINGS, FEEDS, LAUNCHES
from issdash.feeds.source_time import MAX_AHEAD_S
from issdash.model.durations import age as age_words
from issdash.model.state import MissionState

# Past this age a feed's last good answer no longer describes now and the part is shown as
# not known (younger but failing or old answers are shown, marked stale): each feed's
# `trust_for` in the registry.
TRUST_FOR: dict[str, timedelta] = {f.name: f.trust_for for f in FEEDS if f.trust_for is not None}

# Which feeds each part comes from, and its name in words.
PARTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "docked": ("docked vehicles", (DOCKED.name,)),
    "crew": ("crew", (CREW.name, ASTROS.name)),
    "schedule": ("schedule", (LAUNCHES.name, DOCKINGS.name)),
}
PartName = Literal["docked", "crew", "schedule"]


@dataclass(frozen=True, slots=True)
class FeedGap:
    """Why one feed gives nothing usable now."""

    feed: str
    why: Literal["off", "failing", "waiting", "too old", "from later"]
    detail: str  # in words: the error, or the age

    @property
    def words(self) -> str:
        if self.why == "off":
            return f"{self.feed} feed off"
        if self.why == "waiting":
            return f"{self.feed}: no answer yet"
        if self.why == "too old":
            return f"{self.feed}: last answer {self.detail} old"
        if self.why == "from later":
            return f"{self.feed}: last answer received {self.detail} after this time"
        return f"{self.feed}: {self.detail}"


def feed_gap(state: MissionState, feed: str, now: datetime) -> FeedGap | None:
    """None when `feed` has an answer young enough to trust; otherwise why not."""
    health = state.feeds.get(feed)
    received = state.received.get(feed)
    if received is not None:
        age_s = (now - received.received_at).total_seconds()
        if age_s < -MAX_AHEAD_S:
            # Received after `now` (the clock stepped back, `status --at` before a cached
            # answer): a negative age is not fresh; it is no answer about this time at all.
            return FeedGap(feed, "from later", age_words(-age_s))
        age_s = max(0.0, age_s)
        limit = TRUST_FOR.get(feed)
        if limit is None or age_s <= limit.total_seconds():
            return None
        return FeedGap(feed, "too old", age_words(age_s))
    if health is None or not health.enabled:
        return FeedGap(feed, "off", "")
    if health.last_error is not None:
        return FeedGap(feed, "failing", health.last_error)
    return FeedGap(feed, "waiting", "")


@dataclass(frozen=True, slots=True)
class Unknown:
    """A part of the picture that is not known now, and why."""

    part: PartName
    gaps: tuple[FeedGap, ...]

    @property
    def what(self) -> str:
        return PARTS[self.part][0]

    @property
    def reason(self) -> str:
        return "; ".join(g.words for g in self.gaps)

    @property
    def only_switched_off(self) -> bool:
        """Not known because the user switched its feeds off: not a fault."""
        return all(g.why == "off" for g in self.gaps)

    @property
    def notice(self) -> str:
        return f"{self.what} not known ({self.reason})"


def part_gaps(state: MissionState, part: PartName, now: datetime) -> tuple[FeedGap, ...]:
    """Every feed of `part` that gives nothing usable now."""
    return tuple(g for f in PARTS[part][1] if (g := feed_gap(state, f, now)) is not None)


def unknown(state: MissionState, part: PartName, now: datetime) -> Unknown | None:
    """The part is known when any one of its feeds is (either crew source will do; either
    schedule gives events, see `schedule_gaps` for a schedule known only in part)."""
    gaps = part_gaps(state, part, now)
    if len(gaps) < len(PARTS[part][1]):
        return None
    return Unknown(part, gaps)


def trusted(state: MissionState, now: datetime) -> MissionState:
    """The state with answers too old to describe now set aside: what is built from it (the
    docked list, the timelines, the roster) is built only from what is known."""
    old = [
        f
        for f in TRUST_FOR
        if (g := feed_gap(state, f, now)) and g.why in ("too old", "from later")
    ]
    if not old:
        return state
    return state.without(old)


# -- the mode badge --------------------------------------------------------------------

BadgeLevel = Literal["live", "degraded", "offline", "replay"]


@dataclass(frozen=True, slots=True)
class Badge:
    """What the top bar says this screen is, in words and in colour."""

    label: str
    level: BadgeLevel
    hint: str = ""
    # The label without its count of feeds down ("CONNECTING"), for when something more
    # urgent needs the room (a wrong clock); the feeds bar names them anyway.
    short: str = ""


def mode_badge(state: MissionState, now: datetime) -> Badge:
    """LIVE only while feeds answer; LIVE · N down when some fail; OFFLINE when none does;
    CONNECTING before the first answers. A replay is a REPLAY whatever its feeds do."""
    if state.mode == "demo":
        return Badge("REPLAY", "replay")
    enabled = [h for h in state.feeds.values() if h.enabled]
    if not enabled:
        return Badge("OFFLINE", "offline", "every feed is switched off")
    answering = [h for h in enabled if not h.failing and h.state(now) == "ok"]
    # Down: failing now, or good once but silent past its staleness limit.
    down = [
        h for h in enabled if h.failing or (h.last_attempt_at is not None and h.state(now) != "ok")
    ]
    if answering:
        if not down:
            return Badge("LIVE", "live")
        return Badge(f"LIVE · {len(down)} down", "degraded", short="LIVE")
    if all(h.not_answering(now) for h in enabled):
        hint = "" if has_received_anything(state) else "nothing received · try issdash --demo"
        return Badge("OFFLINE", "offline", hint)
    label = "CONNECTING" if not down else f"CONNECTING · {len(down)} down"
    return Badge(label, "degraded", short="CONNECTING")


def has_received_anything(state: MissionState) -> bool:
    """Any answer from a feed, now or cached (the bundled elements do not count)."""
    held = (state.position_fix, state.crew, state.astros, state.docked, state.launches)
    return (
        any(x is not None for x in held)
        or state.dockings is not None
        or any(info.origin in ("feed", "cache") for info in state.element_sets)
    )


@dataclass(frozen=True, slots=True)
class FeedsDown:
    """Every enabled feed failing or silent past its first deadline."""

    all_down: bool
    newest_data_age_s: float | None
    feeds: int


def all_feeds_down(state: MissionState, now: datetime) -> FeedsDown:
    enabled = [h for h in state.feeds.values() if h.enabled]
    down = bool(enabled) and all(h.not_answering(now) for h in enabled)
    ages = [a for h in enabled if (a := h.age_s(now)) is not None]
    newest = min(ages) if ages and down else None  # only needed (and changing) when shown
    return FeedsDown(down, newest, len(enabled))


def feed_trouble(state: MissionState, now: datetime) -> list[str]:
    """Enabled feeds not answering well, in words (for the exit status and its notices)."""
    trouble = []
    for name, health in state.feeds.items():
        if not health.enabled:
            continue
        current = health.state(now)
        if current != "ok":
            trouble.append(f"{name} {'waiting' if health.waiting else current}")
    return trouble
