"""What the telemetry panel and `status --json` report, computed from a state at a time.

Pure computation over the orbit engine; shared by the screen and the command line so both
always say the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING

from issdash.feeds.elements import ElementsChoice, ExpectedError
from issdash.feeds.values import ElementSet, Observer, PositionFix
from issdash.model.orbit import ElementsUnusable, OrbitEngine, StationState
from issdash.model.orbit_source import NO_DISAGREEMENT
from issdash.model.passes.finder import Pass
from issdash.model.passes.upcoming import PASS_SEARCH_SPAN
from issdash.model.state import ElementsOrigin, MissionState

if TYPE_CHECKING:
    from issdash.model.orbit_source import ComparedKind, Disagreement, OrbitInputs, SourceAt


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
    # Where the position comes from (NASA's trajectory, CelesTrak's fit, elements), how old
    # and how far off it is expected to be (`issdash.model.orbit_source.SourceAt`).
    source: SourceAt | None = None
    # The elements and CelesTrak's fit measured against NASA's trajectory at this time (None
    # for each where either is missing there).
    disagreement: Mapping[ComparedKind, Disagreement | None] = field(
        default_factory=lambda: NO_DISAGREEMENT
    )


@dataclass(frozen=True, slots=True)
class Orbit:
    """The elements chosen for a time, the engine for them, and the telemetry, or why there
    is no position (`problem`: the elements cannot be propagated to that time)."""

    choice: ElementsChoice
    engine: OrbitEngine
    telemetry: Telemetry | None
    problem: str | None


class EngineCache:
    """Keeps the engine for the current sources; a new element set, trajectory or SupGP body
    builds a new engine. `coarse_nutation`: its engines' station positions take IAU 2000B
    (`OrbitEngine`), for a screen that shows them to 0.01 degree."""

    def __init__(self, *, coarse_nutation: bool = False) -> None:
        self._coarse_nutation = coarse_nutation
        self._elements: ElementSet | None = None
        self._sources: OrbitInputs | None = None
        self._engine: OrbitEngine | None = None

    def get(
        self, elements: ElementSet | None, sources: OrbitInputs | None = None
    ) -> OrbitEngine | None:
        """The engine for `elements` and `sources`. Without `sources` (a caller that knows
        only the set, like the sky chart's), the engine in hand when it propagates the same
        set: the one `orbit_at` built with every source, not a second engine beside it."""
        if elements is None:
            return None
        engine = self._engine
        if engine is not None and self._elements == elements:
            held = self._sources
            if sources is None or (held is not None and sources.same_as(held)):
                return engine
        self._engine = engine = OrbitEngine(
            elements, sources, coarse_nutation=self._coarse_nutation
        )
        self._elements = elements
        self._sources = sources
        return engine


def orbit_at(engines: EngineCache, state: MissionState, now: datetime) -> Orbit | None:
    """The station at `now` from the best source for `now` (NASA's trajectory, CelesTrak's
    fit to it, the elements chosen for `now`); None when there are no elements.

    Elements that give nonsense at `now` (decayed, NaN) give an `Orbit` with a problem and no
    telemetry, never an exception: the screen says the elements are unusable. They do not
    matter while the trajectory or a fitted segment gives the position.
    """
    from issdash.model.orbit_source import OrbitInputs

    choice = state.elements_at(now)
    if choice is None:
        return None
    sources = OrbitInputs.of(
        oem=state.oem.value if state.oem is not None else None,
        previous_oem=state.previous_oem.value if state.previous_oem is not None else None,
        supgp=state.supgp.value if state.supgp is not None else None,
        elements=choice.info,
    )
    engine = engines.get(choice.elements, sources)
    assert engine is not None
    if choice.problem is not None and engine.from_elements_at(now):
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
    from issdash.model.orbit_source import expected_error_for

    next_shadow_change = engine.next_shadow_change(now)
    age_h = engine.elements_age_h(now)
    source = engine.source_at(now)
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
        # The error of the position where it comes from (NASA's trajectory is not as old as
        # the elements): what the map, the panels and `status` judge the position by.
        error=expected_error_for(source, choice.error),
        source=source,
        disagreement=engine.disagreement(now),
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
