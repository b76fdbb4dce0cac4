"""The dashboard's one pass search, kept between ticks: when to search again, and after a
failure when to retry. Pure, no Textual: the dashboard runs the search itself (`PassSearch.run`,
in a thread) and hands the answer back (`PassSearchCache.found` or `failed`).

Passes found for one time are kept while the clock moves on normally; a jump back, or a long
run, searches again ("next pass in 697d" came from a list found before a jump back).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from issdash.feeds.values import Observer
from issdash.model.orbit import ElementsUnusable, OrbitEngine
from issdash.model.passes.finder import Pass
from issdash.model.passes.upcoming import PASS_PLANNER_DAYS, passes_between

if TYPE_CHECKING:
    # Importing it imports skyfield; the engine imports it when it is built.
    from issdash.model.orbit_source import OrbitInputs

# After the pass search fails, how long before it is tried again with the same inputs.
PASSES_RETRY = timedelta(minutes=10)
# How long passes found for one time are kept while the clock moves on.
PASSES_REUSE_S = 6 * 3600.0
# With none found, how long before looking again.
_NONE_FOUND_REUSE_S = 600.0

# What a search depends on: the orbit's sources (the elements, and NASA's trajectory and
# CelesTrak's segments when there are: a new trajectory searches again), the observer, the
# minimum elevation.
SearchKey = tuple["OrbitInputs", Observer | None, float]


@dataclass(frozen=True, slots=True)
class PassSearch:
    """One search to run: the planner's ten days from `now`."""

    engine: OrbitEngine
    observer: Observer
    now: datetime
    min_elevation_deg: float

    def run(self) -> tuple[tuple[Pass, ...], str | None]:
        """The passes (one under way included), and why there are none when the elements
        decay into nonsense within the span (else None). Up to a few hundred ms: run it off
        the event loop."""
        end = self.now + timedelta(days=PASS_PLANNER_DAYS)
        try:
            found = passes_between(
                self.engine, self.observer, self.now, end, self.min_elevation_deg
            )
        except ElementsUnusable as exc:
            return (), str(exc)
        return tuple(found), None


class PassSearchCache:
    """The passes of the last search and when to search again. One per dashboard."""

    def __init__(self) -> None:
        self._passes: tuple[Pass, ...] | None = None
        # Why the last search gave nothing usable (elements that decay within it).
        self._problem: str | None = None
        self._key: SearchKey | None = None
        self._searched_at: datetime | None = None
        self._retry_at: datetime | None = None

    @property
    def passes(self) -> tuple[Pass, ...] | None:
        """The passes of the last search (ten days), None while it runs (or before one)."""
        return self._passes

    @property
    def problem(self) -> str | None:
        """Why the last search found nothing usable, or None."""
        return self._problem

    def due(
        self,
        engine: OrbitEngine,
        observer: Observer | None,
        min_elevation_deg: float,
        now: datetime,
    ) -> PassSearch | None:
        """The search to run now, or None when the passes in hand (or the search under way)
        still answer: asked every tick. Without an observer there are no passes, at once."""
        key: SearchKey = (engine.sources, observer, min_elevation_deg)
        searched = self._searched_at
        age_s = (now - searched).total_seconds() if searched is not None else -1.0
        passes = self._passes
        stale = passes is not None and (
            not 0 <= age_s <= PASSES_REUSE_S  # the clock jumped, or it has been hours
            or (not passes and age_s > _NONE_FOUND_REUSE_S)  # none found: look again now and then
            or (bool(passes) and passes[-1].set <= now)
        )
        if self._retry_at is not None:
            # The last search failed: not again every tick, only when its inputs change or
            # the retry time comes.
            if key == self._key and now < self._retry_at:
                return None
            self._retry_at = None
            stale = True
        if key == self._key and not stale:
            return None
        self._key = key
        self._searched_at = now
        if observer is None:
            self._passes = ()
            return None
        return PassSearch(engine, observer, now, min_elevation_deg)

    def found(self, passes: tuple[Pass, ...], problem: str | None = None) -> None:
        """A search's answer (`PassSearch.run`)."""
        self._passes = passes
        self._problem = problem

    def failed(self, now: datetime) -> None:
        """The search raised: no passes, and the same inputs are searched again only after
        `PASSES_RETRY`."""
        self._passes = ()
        self._retry_at = now + PASSES_RETRY

    def forget(self) -> None:
        """The clock was moved (a replay's jump): the next `due` searches again."""
        self._passes = None
        self._key = None
        self._retry_at = None
