"""MissionState: everything the dashboard knows, as immutable snapshots.

Feed events go in through `MissionState.apply`, which returns a new snapshot; nothing is mutated
in place, so a widget holding an old snapshot never sees it change under it. This module never
imports Textual: `issdash status --json` and most tests use it with no terminal at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Generic, Literal, TypeVar

from app.station import StationModel
from feeds.crew import CrewReport
from feeds.elements import ElementsChoice, ElementSets, ElementsInfo, ElementsOrigin, choose, merge
from feeds.health import FeedHealth
from feeds.models import Observer, PositionFix
from feeds.poller import FeedEvent, FeedFailure, FeedUpdate
from feeds.schedule import Docked, Dockings, Launches, scheduled_times

Mode = Literal["live", "demo"]
T = TypeVar("T")
__all__ = ["ElementsChoice", "ElementsInfo", "ElementsOrigin", "MissionState", "StateStore"]


@dataclass(frozen=True, slots=True)
class Received(Generic[T]):
    """A feed's last good value and when it arrived."""

    value: T
    received_at: datetime
    from_cache: bool = False


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
    position_fix: PositionFix | None = None
    crew: Received[CrewReport] | None = None
    astros: Received[CrewReport] | None = None
    launches: Received[Launches] | None = None
    dockings: Received[Dockings] | None = None
    docked: Received[Docked] | None = None
    # ISSLIVE telemetry: the feed's model as of its latest batch (a copy, never mutated).
    station: StationModel | None = None
    # Schedule changes noticed so far, by "vehicle|kind" (see feeds.schedule.scheduled_times).
    slips: Mapping[str, Slip] = field(default_factory=lambda: MappingProxyType({}))
    feeds: Mapping[str, FeedHealth] = field(default_factory=lambda: MappingProxyType({}))
    notices: tuple[str, ...] = ()
    # Bumped on every change, so a widget can skip work when nothing it draws has changed.
    version: int = 0

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
        """The element set to use at `at` (see `feeds.elements.choose`), or None if none."""
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
            if isinstance(event.value, ElementSets):
                # Elements age from their epoch, not from when they were fetched: a feed that
                # answers every time with 40-day-old elements is not "ok".
                health = replace(health, data_time=event.value.sets[-1].epoch)
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
        value = event.value
        if event.feed == "tle" and isinstance(value, ElementSets):
            origin: ElementsOrigin = "cache" if event.from_cache else "feed"
            state = self.with_elements(
                *(ElementsInfo(s, origin, event.received_at) for s in value.sets)
            )
            if value.rejected:
                # The good sets are used; the skipped ones are said, not silently dropped.
                skipped = value.rejected_count
                state = state.with_notice(
                    f"tle: {skipped} element set{'s' if skipped > 1 else ''} skipped, "
                    f"the first because: {value.rejected[0]}"
                )
            return state
        if event.feed == "position" and isinstance(value, PositionFix):
            return replace(self, position_fix=value, version=self.version + 1)
        if event.feed in ("crew", "astros") and isinstance(value, CrewReport):
            received = Received(value, event.received_at, event.from_cache)
            if event.feed == "crew":
                return replace(self, crew=received, version=self.version + 1)
            return replace(self, astros=received, version=self.version + 1)
        if event.feed == "docked" and isinstance(value, Docked):
            docked = Received(value, event.received_at, event.from_cache)
            return replace(self, docked=docked, version=self.version + 1)
        if event.feed == "launches" and isinstance(value, Launches):
            launches = Received(value, event.received_at, event.from_cache)
            return replace(self, launches=launches, version=self.version + 1)._with_slips(self)
        if event.feed == "telemetry" and isinstance(value, StationModel):
            return replace(self, station=value, version=self.version + 1)
        if event.feed == "dockings" and isinstance(value, Dockings):
            dockings = Received(value, event.received_at, event.from_cache)
            return replace(self, dockings=dockings, version=self.version + 1)._with_slips(self)
        return self


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
