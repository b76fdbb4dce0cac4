"""What the telemetry panel and `status --json` report, computed from a state at a time.

Pure computation over the orbit engine; shared by the screen and the command line so both
always say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from issdash.feeds.elements import ElementsChoice, ExpectedError
from issdash.feeds.values import ElementSet, Observer, PositionFix
from issdash.model.orbit import ElementsUnusable, OrbitEngine, StationState
from issdash.model.passes.finder import Pass
from issdash.model.passes.upcoming import PASS_SEARCH_SPAN
from issdash.model.state import ElementsOrigin, MissionState


@dataclass(frozen=True, slots=True)
class Telemetry:
    station: StationState
    period_min: float
    elements_epoch: datetime
    elements_age_h: float
    elements_origin: ElementsOrigin
    next_shadow_change: datetime | None
    fix: PositionFix | None
    residual_km: float | None
    # The epoch is after the time shown (no earlier set was available).
    elements_after_time: bool = False
    # Expected along-track error for the elements' age, and how to treat it.
    error: ExpectedError | None = None


@dataclass(frozen=True, slots=True)
class Orbit:
    """The elements chosen for a time, the engine for them, and the telemetry, or why there
    is no position (`problem`: the elements cannot be propagated to that time)."""

    choice: ElementsChoice
    engine: OrbitEngine
    telemetry: Telemetry | None
    problem: str | None


class EngineCache:
    """Keeps the engine for the current element set; a new set builds a new engine."""

    def __init__(self) -> None:
        self._elements: ElementSet | None = None
        self._engine: OrbitEngine | None = None

    def get(self, elements: ElementSet | None) -> OrbitEngine | None:
        if elements is None:
            return None
        if self._engine is None or self._elements != elements:
            self._engine = OrbitEngine(elements)
            self._elements = elements
        return self._engine


def orbit_at(engines: EngineCache, state: MissionState, now: datetime) -> Orbit | None:
    """The station at `now` from the set chosen for `now`; None when there are no elements.

    Elements that give nonsense at `now` (decayed, NaN) give an `Orbit` with a problem and no
    telemetry, never an exception: the screen says the elements are unusable.
    """
    choice = state.elements_at(now)
    if choice is None:
        return None
    engine = engines.get(choice.elements)
    assert engine is not None
    if choice.problem is not None:
        return Orbit(choice, engine, None, choice.problem)
    try:
        telemetry = compute_telemetry(engine, choice, state.position_fix, now)
    except ElementsUnusable as exc:
        return Orbit(choice, engine, None, str(exc))
    return Orbit(choice, engine, telemetry, None)


def compute_telemetry(
    engine: OrbitEngine, choice: ElementsChoice, fix: PositionFix | None, now: datetime
) -> Telemetry:
    """Telemetry at `now`. Called every second with the same engine, this is cheap: the
    engine keeps its shadow search (asked first, so the light comes from it) and its last
    fix comparison."""
    next_shadow_change = engine.next_shadow_change(now)
    age_h = engine.elements_age_h(now)
    return Telemetry(
        station=engine.state_at(now),
        period_min=engine.period_min,
        elements_epoch=engine.elements.epoch,
        elements_age_h=age_h,
        elements_origin=choice.info.origin,
        next_shadow_change=next_shadow_change,
        fix=fix,
        residual_km=engine.residual_km(fix) if fix is not None else None,
        elements_after_time=choice.after_time,
        error=choice.error,
    )


@dataclass(frozen=True, slots=True)
class TelemetryView:
    """Everything the telemetry panel shows at one moment."""

    now: datetime
    telemetry: Telemetry | None
    observer: Observer | None
    passes: tuple[Pass, ...] | None  # None while the search is still running
    min_elevation_deg: float
    # Why the elements cannot be propagated to `now` (then `telemetry` is None).
    elements_problem: str | None = None
    # Why passes are not offered (elements too old or unusable), or None.
    passes_withheld: str | None = None
    # The next pass that can be seen (within the planner's ten days), and the zone to say it in.
    next_visible: Pass | None = None
    zone: tzinfo | None = None


def build_telemetry_view(
    orbit: Orbit | None,
    state: MissionState,
    now: datetime,
    *,
    passes: tuple[Pass, ...] | None,
    passes_withheld: str | None,
    min_elevation_deg: float,
    zone: tzinfo | None,
) -> TelemetryView:
    """`passes` are the planner's (ten days, None while searched): the panel lists the next
    day's and names the next visible one."""
    day = None if passes is None else tuple(p for p in passes if p.rise < now + PASS_SEARCH_SPAN)
    return TelemetryView(
        now=now,
        telemetry=orbit.telemetry if orbit is not None else None,
        observer=state.observer,
        passes=day,
        min_elevation_deg=min_elevation_deg,
        elements_problem=orbit.problem if orbit is not None else None,
        passes_withheld=passes_withheld,
        next_visible=next((p for p in passes or () if p.visible and p.set > now), None),
        zone=zone,
    )
