"""MissionState: everything the dashboard knows, as immutable snapshots.

Feed events go in through `MissionState.apply`, which returns a new snapshot; nothing is mutated
in place, so a widget holding an old snapshot never sees it change under it. This module never
imports Textual: `issdash status --json` and most tests use it with no terminal at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Literal, TypeVar, cast

from issdash.feeds.adapters.crew import CrewReport
from issdash.feeds.adapters.oem import Oem
from issdash.feeds.adapters.schedule import Docked, Dockings, Launches, scheduled_times
from issdash.feeds.adapters.supgp import SupGp
from issdash.feeds.elements import ElementsChoice, ElementsInfo, ElementsOrigin, choose, merge
from issdash.feeds.health import FeedHealth
from issdash.feeds.poller import FeedEvent, FeedFailure, FeedUpdate
from issdash.feeds.registry import (
    ASTROS,
    BY_NAME,
    CREW,
    DOCKED,
    DOCKINGS,
    LAUNCHES,
    OEM,
    POSITION,
    SUPGP,
    TLE,
    FeedDef,
    Received,
)
from issdash.feeds.values import Observer, PositionFix
from issdash.model.station import StationModel

Mode = Literal["live", "demo"]
T = TypeVar("T")
__all__ = ["ElementsChoice", "ElementsInfo", "ElementsOrigin", "MissionState", "StateStore"]


@dataclass(frozen=True, slots=True)
class Slip:
    """A scheduled time that a newer schedule moved."""

    previous: datetime
    current: datetime
    noticed_at: datetime

    @property
    def delta_s(self) -> float:
        return (self.current - self.previous).total_seconds()

    @property
    def scrubbed(self) -> bool:
        """Moved at the last moment (within 2 h of, or after, the old time): a scrub."""
        return self.noticed_at >= self.previous - SCRUB_WINDOW


SCRUB_WINDOW = timedelta(hours=2)


@dataclass(frozen=True, slots=True)
class MissionState:
    mode: Mode = "live"
    observer: Observer | None = None
    # Every element set available (feed, cache, history file, bundled), oldest epoch first;
    # which one is used depends on the time asked (`elements_at`).
    element_sets: tuple[ElementsInfo, ...] = ()
    # Each feed's last good value, by feed name; read typed with `latest(FEED)`.
    received: Mapping[str, Received[object]] = field(default_factory=lambda: MappingProxyType({}))
    # ISSLIVE telemetry: the feed's model as of its latest batch (a copy, never mutated).
    station: StationModel | None = None
    # Schedule changes noticed so far, by "vehicle|kind"
    # (issdash.feeds.adapters.schedule.scheduled_times).
    slips: Mapping[str, Slip] = field(default_factory=lambda: MappingProxyType({}))
    feeds: Mapping[str, FeedHealth] = field(default_factory=lambda: MappingProxyType({}))
    notices: tuple[str, ...] = ()
    # NASA's trajectory before the current one (another creation time): how far consecutive
    # predictions moved is the OEM's expected error (`issdash.model.orbit_source`).
    previous_oem: Received[Oem] | None = None
    # Bumped on every change, so a widget can skip work when nothing it draws has changed.
    version: int = 0

    def latest(self, feed: FeedDef[T]) -> Received[T] | None:
        """The feed's last good value, typed by its registry entry."""
        # Stored only by `_with_value`, after `feed.received` checked the value's type.
        return cast("Received[T] | None", self.received.get(feed.name))

    @property
    def position_fix(self) -> PositionFix | None:
        fix = self.latest(POSITION)
        return fix.value if fix is not None else None

    @property
    def crew(self) -> Received[CrewReport] | None:
        return self.latest(CREW)

    @property
    def astros(self) -> Received[CrewReport] | None:
        return self.latest(ASTROS)

    @property
    def docked(self) -> Received[Docked] | None:
        return self.latest(DOCKED)

    @property
    def launches(self) -> Received[Launches] | None:
        return self.latest(LAUNCHES)

    @property
    def dockings(self) -> Received[Dockings] | None:
        return self.latest(DOCKINGS)

    @property
    def oem(self) -> Received[Oem] | None:
        """NASA's trajectory, as last received (see `issdash.model.trajectory`)."""
        return self.latest(OEM)

    @property
    def supgp(self) -> Received[SupGp] | None:
        """CelesTrak's elements fitted to NASA's trajectory, as last received."""
        return self.latest(SUPGP)

    def without(self, feeds: Iterable[str]) -> MissionState:
        """The state with these feeds' values set aside, as if never received."""
        gone = set(feeds)
        kept = {f: r for f, r in self.received.items() if f not in gone}
        previous = None if OEM.name in gone else self.previous_oem
        return replace(self, received=MappingProxyType(kept), previous_oem=previous)

    def with_feeds(self, feeds: Mapping[str, FeedHealth]) -> MissionState:
        return replace(self, feeds=MappingProxyType(dict(feeds)), version=self.version + 1)

    def with_elements(self, *infos: ElementsInfo) -> MissionState:
        """Add element sets. A feed's (or the cache's) new body replaces what that feed said
        before; the sets of other origins stay, and the choice is made per time."""
        origins = {i.origin for i in infos}
        kept = self.element_sets
        if origins & {"feed", "cache"}:
            kept = tuple(i for i in kept if i.origin not in ("feed", "cache"))
        merged = merge(kept, infos)
        if merged == self.element_sets:
            return self
        return replace(self, element_sets=merged, version=self.version + 1)

    def elements_at(self, at: datetime) -> ElementsChoice | None:
        """The element set to use at `at` (see `issdash.feeds.elements.choose`), or None if none."""
        return choose(self.element_sets, at)

    def with_notice(self, notice: str) -> MissionState:
        if notice in self.notices:
            return self
        return replace(self, notices=(*self.notices, notice), version=self.version + 1)

    def apply(self, event: FeedEvent) -> MissionState:
        """The snapshot after one feed event."""
        health = self.feeds.get(event.feed)
        if isinstance(event, FeedFailure):
            if health is None:
                return self
            feeds = {
                **self.feeds,
                event.feed: health.failed(event.at, event.error, event.retry_in_s),
            }
            return self.with_feeds(feeds)
        state = self
        if health is not None:
            health = health.succeeded(event.received_at, from_cache=event.from_cache)
            feed = BY_NAME.get(event.feed)
            data_time = feed.data_time_of(event) if feed is not None else None
            if data_time is not None:
                # The data is older than its fetch (elements age from their epoch): a feed
                # that answers every time with 40-day-old elements is not "ok".
                health = replace(health, data_time=data_time)
            feeds = {**self.feeds, event.feed: health}
            state = state.with_feeds(feeds)
        return state._with_value(event)

    def _with_slips(self, before: MissionState) -> MissionState:
        """Record every scheduled time that moved by a minute or more since `before`."""
        old, new = _schedule(before), _schedule(self)
        noticed = max(
            (r.received_at for r in (self.launches, self.dockings) if r is not None),
            default=None,
        )
        if noticed is None:
            return self
        slips = dict(self.slips)
        for key, when in new.items():
            previous = old.get(key)
            if previous is not None and abs((when - previous).total_seconds()) >= 60:
                slips[key] = Slip(previous, when, noticed)
        if slips == dict(self.slips):
            return self
        return replace(self, slips=MappingProxyType(slips))

    def _with_value(self, event: FeedUpdate[object]) -> MissionState:
        reduce = _REDUCERS.get(event.feed, _store)
        return reduce(self, event)

    def _stored(self, received: Received[object], feed: str) -> MissionState:
        values = MappingProxyType({**self.received, feed: received})
        return replace(self, received=values, version=self.version + 1)


Reduce = Callable[[MissionState, FeedUpdate[object]], MissionState]


def _store(state: MissionState, event: FeedUpdate[object]) -> MissionState:
    """What most feeds do to the state: their answer becomes the feed's latest value. A value
    that is not what the feed's entry says it gives is ignored."""
    feed = BY_NAME.get(event.feed)
    received = feed.received(event) if feed is not None else None
    return state if received is None else state._stored(received, event.feed)


def _store_schedule(state: MissionState, event: FeedUpdate[object]) -> MissionState:
    """A schedule is stored, then compared with the one before it for slips."""
    stored = _store(state, event)
    return stored if stored is state else stored._with_slips(state)


def _elements(state: MissionState, event: FeedUpdate[object]) -> MissionState:
    """Element sets are not just the latest answer: every set of every origin is kept, and
    the one to use is chosen per time (`elements_at`)."""
    received = TLE.received(event)
    if received is None:
        return state
    value = received.value
    origin: ElementsOrigin = "cache" if received.from_cache else "feed"
    new = state.with_elements(*(ElementsInfo(s, origin, received.received_at) for s in value.sets))
    if value.rejected:
        # The good sets are used; the skipped ones are said, not silently dropped.
        skipped = value.rejected_count
        new = new.with_notice(
            f"tle: {skipped} element set{'s' if skipped > 1 else ''} skipped, "
            f"the first because: {value.rejected[0]}"
        )
    return new


def _oem(state: MissionState, event: FeedUpdate[object]) -> MissionState:
    """A trajectory is stored like any answer; the one it replaces is kept as the previous
    when it was made at another time (a re-fetch of the same file keeps the older one)."""
    before = state.oem
    stored = _store(state, event)
    after = stored.oem
    if stored is state or after is None or before is None:
        return stored
    if _made(before.value) == _made(after.value):
        return stored
    return replace(stored, previous_oem=before)


def _made(oem: Oem) -> tuple[datetime | None, datetime]:
    return oem.header.created, oem.header.start


def _station(state: MissionState, event: FeedUpdate[object]) -> MissionState:
    """The streamed telemetry feed (not a registry entry yet) publishes its station model."""
    model = event.value
    if not isinstance(model, StationModel):
        return state
    new = replace(state, station=model, version=state.version + 1)
    health = new.feeds.get(event.feed)
    future = model.future_latest
    if health is not None and future is not None:
        # An update dated in the future was set aside: the feed's health says so too.
        noted = health.noted_future(model.future_words(future.received_at), future.received_at)
        new = new.with_feeds({**new.feeds, event.feed: noted})
    return new


# Feeds whose answer changes more of the state than their latest value. A new feed needs no
# entry here: `_store` keeps its answers and views read them with `MissionState.latest`.
_REDUCERS: Mapping[str, Reduce] = {
    TLE.name: _elements,
    LAUNCHES.name: _store_schedule,
    DOCKINGS.name: _store_schedule,
    OEM.name: _oem,
    "telemetry": _station,
}


log = logging.getLogger(__name__)

Listener = Callable[[MissionState], None]


def _schedule(state: MissionState) -> dict[str, datetime]:
    return scheduled_times(
        state.launches.value if state.launches else None,
        state.dockings.value if state.dockings else None,
    )


class StateStore:
    """Holds the current snapshot and tells listeners about each new one."""

    def __init__(self, initial: MissionState) -> None:
        self._state = initial
        self._listeners: list[Listener] = []

    @property
    def state(self) -> MissionState:
        return self._state

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def publish(self, event: FeedEvent) -> None:
        self._set(self._state.apply(event))

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def reset(self, state: MissionState) -> None:
        self._set(state)

    def update(self, change: Callable[[MissionState], MissionState]) -> None:
        self._set(change(self._state))

    def _set(self, new: MissionState) -> None:
        if new is self._state:
            return
        self._state = new
        for listener in list(self._listeners):
            try:
                listener(new)
            except Exception:
                # A broken listener (a widget bug) must not stop the feed that published.
                log.exception("state listener failed")
