"""What the telemetry panel and `status --json` report, computed from a state at a time.

Pure computation over the orbit engine; shared by the screen and the command line so both
always say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.state import ElementsOrigin, MissionState
from feeds.models import ElementSet, Observer, PositionFix
from feeds.orbit import OrbitEngine, Pass, StationState

PASS_SEARCH_SPAN = timedelta(hours=24)


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


def compute_telemetry(engine: OrbitEngine, state: MissionState, now: datetime) -> Telemetry:
    """Telemetry at `now`. Called every second with the same engine, this is cheap: the
    engine keeps its shadow search (asked first, so the light comes from it) and its last
    fix comparison."""
    assert state.elements is not None
    fix = state.position_fix
    next_shadow_change = engine.next_shadow_change(now)
    return Telemetry(
        station=engine.state_at(now),
        period_min=engine.period_min,
        elements_epoch=engine.elements.epoch,
        elements_age_h=engine.elements_age_h(now),
        elements_origin=state.elements.origin,
        next_shadow_change=next_shadow_change,
        fix=fix,
        residual_km=engine.residual_km(fix) if fix is not None else None,
    )


def upcoming_passes(
    engine: OrbitEngine, observer: Observer | None, now: datetime, min_elevation_deg: float
) -> list[Pass]:
    """Passes in the next 24 h; a pass already under way is included (its rise is past)."""
    if observer is None:
        return []
    # Start a little back so a pass in progress is found with its real rise time.
    start = now - timedelta(minutes=15)
    passes = engine.passes(observer, start, now + PASS_SEARCH_SPAN, min_elevation_deg)
    return [p for p in passes if p.set > now]


def propagation_problem(engine: OrbitEngine, now: datetime) -> str | None:
    """Why no position can be shown at `now` from these elements, or None.

    SGP4 far from the elements' epoch (a clock years off, or elements years old) does not
    fail: it returns a station 280,000 km up or underground, and drawing that ended every
    tick in a math domain error. Such a result is reported as no position, with the reason.
    """
    try:
        altitude_km = engine.state_at(now).altitude_km
    except (ValueError, ArithmeticError) as exc:
        return f"no position: propagation failed ({exc})"
    if not PLAUSIBLE_ALTITUDE_KM[0] <= altitude_km <= PLAUSIBLE_ALTITUDE_KM[1]:
        days = abs(now - engine.elements.epoch).total_seconds() / 86400
        # Short: the telemetry panel has one narrow line for it.
        return f"no position: elements {days:.0f} d off"
    return None


# Where the station can be at all (it has flown between about 330 and 460 km).
PLAUSIBLE_ALTITUDE_KM = (150.0, 1000.0)
