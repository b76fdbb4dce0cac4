"""What the telemetry panel and `status --json` report, computed from a state at a time.

Pure computation over the orbit engine; shared by the screen and the command line so both
always say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from issdash.feeds.elements import ElementsChoice, ExpectedError
from issdash.feeds.values import ElementSet, PositionFix
from issdash.model.orbit import ElementsUnusable, OrbitEngine, StationState
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
