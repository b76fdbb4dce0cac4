"""The best orbit source for every time, said aloud: NASA's trajectory (OEM) where its span
covers the time, else CelesTrak's segment fitted to it (SupGP, SGP4 on the segment that holds
then), else the TLE/OMM set chosen as everywhere else (`MissionState.elements_at`: the one
nearest in time, or the bundled one).

`BestOrbit` is a skyfield vector function (centre: the Earth), so everything that asks skyfield
where the station is (the map, telemetry, footprint, passes, sky chart, alerts, the launch
card) asks it the same question and gets the same choice, time by time inside one array.
`source_at` names the source for a time with its age and expected error (`SourceAt`), and
`disagreement` measures the other sources against the OEM (`Disagreement`).

NASA's states are in EME2000 (the J2000 mean equator and equinox); skyfield works in the GCRS,
whose axes are the ICRS's. The two differ by the frame bias (23 milliarcseconds, about 0.8 m
at the station's radius), which is applied here with skyfield's own matrix.

Importing this module imports skyfield (about 0.2 s): `issdash.model.orbit` imports it only
when an engine is built from sources.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray
from skyfield.constants import AU_KM, DAY_S
from skyfield.framelib import ICRS_to_J2000
from skyfield.sgp4lib import EarthSatellite
from skyfield.vectorlib import VectorFunction

from issdash.feeds.adapters.oem import Oem, TrajectoryEvent
from issdash.feeds.adapters.supgp import SupGp
from issdash.feeds.clock import ensure_utc
from issdash.feeds.elements import (
    APPROXIMATE_AFTER_H,
    MAX_ERROR_KM,
    ElementsInfo,
    ExpectedError,
    Level,
    expected_error_km,
)
from issdash.feeds.values import ElementSet
from issdash.model.trajectory import Trajectory, TrajectoryStates

if TYPE_CHECKING:
    from issdash.model.state import MissionState

FloatArray = NDArray[np.float64]
SourceKind = Literal["nasa-oem", "celestrak-supgp", "elements", "bundled"]
# What each source is called in front of people.
LABELS: Mapping[SourceKind, str] = MappingProxyType(
    {
        "nasa-oem": "NASA trajectory",
        "celestrak-supgp": "CelesTrak fit to NASA",
        "elements": "elements",
        "bundled": "bundled elements",
    }
)
# The sources measured against the OEM (`disagreement`), by the names `status --json` uses.
ComparedKind = Literal["elements", "celestrak-supgp"]

# EME2000 -> GCRS: the transpose of skyfield's ICRS -> J2000 frame bias (a rotation).
J2000_TO_GCRS = ICRS_to_J2000.T
# skyfield names the body by NAIF's convention for Earth satellites: -100000 - catalogue number.
_ISS_TARGET = -100000 - 25544
_UNIX_EPOCH_JD = 2440587.5

# The expected error of a NASA trajectory while only one is known (no earlier file to compare
# it with). Issue 25's replay against TLEs of the same days put an 8-day-old NASA ephemeris
# 3.4 km and 26.6 km from a fresh TLE (which is itself good to a km or so at its epoch): the
# larger figure, spread linearly over the lead time from the file's creation, is taken as
# the honest upper figure; never below `OEM_MIN_ERROR_KM`.
OEM_FALLBACK_KM_PER_DAY = 26.6 / 8.0
# Two consecutive files agree to metres at their common start; NASA's predictions are not
# that good (attitude, drag): nothing under 100 m is claimed.
OEM_MIN_ERROR_KM = 0.1
# A change of velocity dv changes the period by 3*dv/v of itself (da/a = 2 dv/v, dT/T =
# 3/2 da/a), so elements from before a burn drift along the track by 3*(dv/v)*2*pi*a every
# revolution after it. Taken at the station's circular speed and radius.
_STATION_SPEED_KM_S = 7.66
_STATION_RADIUS_KM = 6790.0
_STATION_PERIOD_S = 92.9 * 60.0


@dataclass(frozen=True, slots=True)
class SourceAt:
    """Which source gives the station's position at one time, and how far to trust it.

    `created`: when the source was made (the OEM's creation time, the SupGP segment's epoch,
    the elements' epoch); `span`: the stretch it covers (OEM: start to stop; SupGP: the
    segment's epoch to the next one's) or None for elements; `age_h`: hours from `created` to
    the time asked (negative before it); `expected_error_km`: how far off the position is
    expected to be (see `BestOrbit.source_at`); `why`: a reason the error is larger than the
    source's age alone says (a burn after the elements' epoch), or None.
    """

    kind: SourceKind
    label: str
    created: datetime | None
    span: tuple[datetime, datetime] | None
    age_h: float | None
    expected_error_km: float
    why: str | None = None


@dataclass(frozen=True, slots=True)
class Disagreement:
    """How far another source puts the station from the OEM at one time: `distance_km`, and
    `along_track_s`, the separation projected on the OEM's velocity divided by its speed
    (positive: the other source is ahead, the station will pass there later than it says)."""

    distance_km: float
    along_track_s: float


# Neither source measured (no trajectory, or no orbit at all).
NO_DISAGREEMENT: Mapping[ComparedKind, Disagreement | None] = MappingProxyType(
    {"elements": None, "celestrak-supgp": None}
)


@dataclass(frozen=True, slots=True)
class Burn:
    """A manoeuvre known from a trajectory's event summary (delta-v above zero)."""

    name: str
    at: datetime
    delta_v_m_s: float

    @property
    def word(self) -> str:
        lowered = self.name.lower()
        return "debris avoidance" if "avoid" in lowered or "debris" in lowered else "reboost"


@dataclass(frozen=True, slots=True)
class OrbitInputs:
    """What the choice is made from. An engine is rebuilt when any of these changes
    (`same_as`): a new OEM, a new SupGP body, another element set.

    `previous_oem`: the OEM before `oem` (another creation time), kept to measure how far
    consecutive predictions disagree. `elements`: the set chosen for the time asked, with its
    origin (a bundled set is said to be one)."""

    oem: Oem | None = None
    previous_oem: Oem | None = None
    supgp: SupGp | None = None
    elements: ElementSet | None = None
    bundled: bool = False

    @classmethod
    def from_state(cls, state: MissionState, at: datetime) -> OrbitInputs:
        choice = state.elements_at(at)
        return cls.of(
            oem=state.oem.value if state.oem is not None else None,
            previous_oem=state.previous_oem.value if state.previous_oem is not None else None,
            supgp=state.supgp.value if state.supgp is not None else None,
            elements=choice.info if choice is not None else None,
        )

    @classmethod
    def of(
        cls,
        *,
        oem: Oem | None = None,
        previous_oem: Oem | None = None,
        supgp: SupGp | None = None,
        elements: ElementsInfo | None = None,
    ) -> OrbitInputs:
        return cls(
            oem,
            previous_oem,
            supgp,
            elements.elements if elements is not None else None,
            elements is not None and elements.origin == "bundled",
        )

    def same_as(self, other: OrbitInputs) -> bool:
        """The same sources: the same OEM and SupGP objects (a state keeps the object it
        received; comparing 5,000 states by value every second would not be cheap) and an
        equal element set."""
        return (
            self.oem is other.oem
            and self.previous_oem is other.previous_oem
            and self.supgp is other.supgp
            and self.elements == other.elements
            and self.bundled == other.bundled
        )

    @property
    def burns(self) -> tuple[Burn, ...]:
        """Every burn the trajectories name (delta-v above zero), in time order, one per
        ignition time (the newer file's word first)."""
        found: dict[datetime, Burn] = {}
        for oem in (self.oem, self.previous_oem):
            for event in oem.events if oem is not None else ():
                if event.delta_v_m_s > 0 and event.ignition not in found:
                    found[event.ignition] = _burn(event)
        return tuple(sorted(found.values(), key=lambda b: b.at))


def _burn(event: TrajectoryEvent) -> Burn:
    return Burn(event.name, ensure_utc(event.ignition), event.delta_v_m_s)


def earth_satellite(elements: ElementSet, timescale: Any) -> Any:
    """skyfield's SGP4 satellite for a set, from its TLE lines or its OMM fields."""
    if elements.tle_line1 and elements.tle_line2:
        return EarthSatellite(elements.tle_line1, elements.tle_line2, elements.name, timescale)
    assert elements.omm is not None  # guaranteed by the model's validator
    return EarthSatellite.from_omm(timescale, dict(elements.omm))


def unix_seconds(t: Any) -> FloatArray:
    """Unix seconds (UTC, without leap seconds) of a skyfield Time, vectorised: TAI from the
    Time's two-part Julian date (whole + fraction, so microseconds survive), less TAI-UTC from
    the timescale's leap-second table."""
    ts = t.ts
    whole = np.atleast_1d(np.asarray(t.whole, dtype=np.float64))
    fraction = np.atleast_1d(np.asarray(t.tai_fraction, dtype=np.float64))
    tai_s = (whole - _UNIX_EPOCH_JD) * DAY_S + fraction * DAY_S
    offsets = np.asarray(ts.leap_offsets, dtype=np.float64)
    starts_tai_s = (np.asarray(ts.leap_dates, dtype=np.float64) - _UNIX_EPOCH_JD) * DAY_S + offsets
    index = np.clip(np.searchsorted(starts_tai_s, tai_s, side="right") - 1, 0, offsets.size - 1)
    result: FloatArray = tai_s - offsets[index]
    return result


_KIND_OEM, _KIND_SUPGP, _KIND_ELEMENTS, _KIND_NONE = 0, 1, 2, 3


class BestOrbit(VectorFunction):  # type: ignore[misc]
    """The station's GCRS position and velocity from the best source at each time.

    At each time of an array: the OEM's interpolated state if it answers there (inside its
    span, not in a gap or across a burn), else SGP4 on the SupGP segment that holds then, else
    SGP4 on the chosen element set; NaN where there is none of these.
    """

    center = 399
    target = _ISS_TARGET

    def __init__(self, inputs: OrbitInputs, timescale: Any) -> None:
        self.inputs = inputs
        self.name = "ISS"
        self._ts = timescale
        self.trajectory = Trajectory.from_oem(inputs.oem) if inputs.oem is not None else None
        self._previous = (
            Trajectory.from_oem(inputs.previous_oem) if inputs.previous_oem is not None else None
        )
        self.elements_satellite = (
            earth_satellite(inputs.elements, timescale) if inputs.elements is not None else None
        )
        self.burns = inputs.burns
        supgp = inputs.supgp
        self._segment_epochs_s = (
            np.array([s.elements.epoch.timestamp() for s in supgp.segments])
            if supgp is not None
            else np.zeros(0)
        )
        self._segment_satellites: dict[int, Any] = {}
        # One-entry caches: the dashboard asks about the same second several times a tick.
        self._source_cache: tuple[float, SourceAt] | None = None
        self._disagreement_cache: tuple[float, Mapping[ComparedKind, Disagreement | None]] | None
        self._disagreement_cache = None

    def covered_until(self) -> datetime | None:
        """The last time NASA's trajectory or a segment fitted to it covers, or None: beyond
        it only the elements remain."""
        ends = [
            *((self.trajectory.stop,) if self.trajectory is not None else ()),
            *((self.inputs.supgp.stop,) if self.inputs.supgp is not None else ()),
        ]
        return max(ends, default=None)

    # -- which source, per time -----------------------------------------------------------

    def kinds_at(self, unix_s: FloatArray) -> tuple[NDArray[np.int_], NDArray[np.int_]]:
        """For each time: 0 OEM, 1 SupGP, 2 elements, 3 nothing; and the SupGP segment index
        (-1 where none)."""
        kinds, segment, _ = self._choose(unix_s)
        return kinds, segment

    def _choose(
        self, unix_s: FloatArray
    ) -> tuple[NDArray[np.int_], NDArray[np.int_], TrajectoryStates | None]:
        unix_s = np.atleast_1d(np.asarray(unix_s, dtype=np.float64))
        kinds = np.full(unix_s.shape, _KIND_NONE, dtype=np.int_)
        if self.elements_satellite is not None:
            kinds[:] = _KIND_ELEMENTS
        segment = np.full(unix_s.shape, -1, dtype=np.int_)
        supgp = self.inputs.supgp
        if supgp is not None:
            covered = (unix_s >= supgp.start.timestamp()) & (unix_s <= supgp.stop.timestamp())
            index = np.searchsorted(self._segment_epochs_s, unix_s, side="right") - 1
            covered &= index >= 0
            segment = np.where(covered, index, -1)
            kinds[covered] = _KIND_SUPGP
        states = None
        if self.trajectory is not None:
            states = self.trajectory.states_at(unix_s)
            kinds[states.valid] = _KIND_OEM
        return kinds, segment, states

    def _segment_satellite(self, index: int) -> Any:
        satellite = self._segment_satellites.get(index)
        if satellite is None:
            assert self.inputs.supgp is not None
            elements = self.inputs.supgp.segments[index].elements
            satellite = earth_satellite(elements, self._ts)
            self._segment_satellites[index] = satellite
        return satellite

    # -- skyfield's vector function --------------------------------------------------------

    def _at(self, t: Any) -> tuple[FloatArray, FloatArray, None, str | None]:
        """GCRS position (au) and velocity (au/day), as skyfield's vector functions give."""
        shape = np.shape(t.tt)
        if len(shape) > 1:
            # Times in a grid: answered flat, then given the grid's shape back.
            flat = self._ts.tt_jd(np.ravel(t.whole), np.ravel(t.tt_fraction))
            p, v, _, message = self._at(flat)
            return p.reshape((3, *shape)), v.reshape((3, *shape)), None, message
        scalar = len(shape) == 0
        unix_s = unix_seconds(t)
        kinds, segment, states = self._choose(unix_s)
        position = np.full((3, unix_s.size), np.nan)
        velocity = np.full((3, unix_s.size), np.nan)
        if states is not None:
            mask = kinds == _KIND_OEM
            position[:, mask] = J2000_TO_GCRS @ states.position_km[mask].T / AU_KM
            velocity[:, mask] = J2000_TO_GCRS @ states.velocity_km_s[mask].T * (DAY_S / AU_KM)
        for index in np.unique(segment[kinds == _KIND_SUPGP]):
            mask = (kinds == _KIND_SUPGP) & (segment == index)
            self._fill(self._segment_satellite(int(index)), t, mask, position, velocity, scalar)
        if self.elements_satellite is not None and (kinds == _KIND_ELEMENTS).any():
            mask = kinds == _KIND_ELEMENTS
            self._fill(self.elements_satellite, t, mask, position, velocity, scalar)
        if scalar:
            return position[:, 0], velocity[:, 0], None, None
        return position, velocity, None, None

    @staticmethod
    def _fill(
        satellite: Any,
        t: Any,
        mask: NDArray[np.bool_],
        position: FloatArray,
        velocity: FloatArray,
        scalar: bool,
    ) -> None:
        # The whole Time when the source holds throughout (it keeps any nutation already
        # computed on it, e.g. the coarse series the map and the finder set); else the times
        # it holds at.
        subset = t if scalar or mask.all() else t[np.flatnonzero(mask)]
        with np.errstate(all="ignore"):
            geocentric = satellite.at(subset)
        position[:, mask] = np.reshape(geocentric.position.au, (3, -1))
        velocity[:, mask] = np.reshape(geocentric.velocity.au_per_d, (3, -1))

    # -- said aloud -------------------------------------------------------------------------

    def source_at(self, at: datetime) -> SourceAt | None:
        """The source used at `at`, how old and how far to trust it; None with no source.

        Expected error: OEM, the distance between this trajectory and the one before it at
        `at` (how much NASA's prediction moved between files), or while no earlier file
        covers `at`, `OEM_FALLBACK_KM_PER_DAY` per day since the file was made; SupGP, the
        segment's RMS, else the elements table for the segment's age; elements, the
        table for their age plus the drift of every known burn between their epoch and `at`
        (`burn_drift_km`), and then `why` names the burn.
        """
        at = ensure_utc(at)
        key = at.timestamp()
        cached = self._source_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        kinds, segment, _ = self._choose(np.array([key]))
        kind = int(kinds[0])
        source: SourceAt | None
        if kind == _KIND_OEM:
            source = self._oem_source(at)
        elif kind == _KIND_SUPGP:
            source = self._supgp_source(at, int(segment[0]))
        elif kind == _KIND_ELEMENTS:
            source = self._elements_source(at)
        else:
            source = None
        self._source_cache = (key, source) if source is not None else None
        return source

    def _oem_source(self, at: datetime) -> SourceAt:
        oem = self.inputs.oem
        assert oem is not None and self.trajectory is not None
        created = oem.header.created
        age_h = (at - created).total_seconds() / 3600.0 if created is not None else None
        error_km: float | None = None
        if self._previous is not None:
            now, before = self.trajectory.state_at(at), self._previous.state_at(at)
            if now is not None and before is not None:
                error_km = float(np.linalg.norm(np.subtract(now.position_km, before.position_km)))
        if error_km is None:
            # Without a creation date, the prediction is dated from its first state.
            made = created if created is not None else oem.header.start
            lead_days = max((at - made).total_seconds(), 0.0) / 86400.0
            error_km = OEM_FALLBACK_KM_PER_DAY * lead_days
        return SourceAt(
            kind="nasa-oem",
            label=LABELS["nasa-oem"],
            created=created,
            span=(self.trajectory.start, self.trajectory.stop),
            age_h=age_h,
            expected_error_km=max(OEM_MIN_ERROR_KM, error_km),
        )

    def _supgp_source(self, at: datetime, index: int) -> SourceAt:
        supgp = self.inputs.supgp
        assert supgp is not None
        segment = supgp.segments[index]
        epoch = segment.elements.epoch
        end = (
            supgp.segments[index + 1].elements.epoch
            if index + 1 < len(supgp.segments)
            else supgp.stop
        )
        age_h = (at - epoch).total_seconds() / 3600.0
        error_km = (
            segment.rms_km if segment.rms_km is not None else expected_error_km(age_h).median_km
        )
        return SourceAt(
            kind="celestrak-supgp",
            label=LABELS["celestrak-supgp"],
            created=epoch,
            span=(epoch, end),
            age_h=age_h,
            expected_error_km=error_km,
        )

    def _elements_source(self, at: datetime) -> SourceAt:
        elements = self.inputs.elements
        assert elements is not None
        kind: SourceKind = "bundled" if self.inputs.bundled else "elements"
        age_h = (at - elements.epoch).total_seconds() / 3600.0
        error_km = expected_error_km(age_h).median_km
        crossed = self.burns_crossed(elements.epoch, at)
        why = None
        if crossed:
            error_km += sum(
                burn_drift_km(b.delta_v_m_s, abs((at - b.at).total_seconds())) for b in crossed
            )
            first = crossed[0]
            side = "before" if first.at > elements.epoch else "after"
            why = f"elements from {side} the {first.word} of {first.at:%Y-%m-%d %H:%M}Z"
        return SourceAt(
            kind=kind,
            label=LABELS[kind],
            created=elements.epoch,
            span=None,
            age_h=age_h,
            expected_error_km=error_km,
            why=why,
        )

    def burns_crossed(self, epoch: datetime, at: datetime) -> tuple[Burn, ...]:
        """The known burns between an epoch and a time (either order): propagating from the
        epoch to the time crosses them, and elements know nothing of them."""
        lo, hi = sorted((ensure_utc(epoch), ensure_utc(at)))
        return tuple(b for b in self.burns if lo < b.at < hi)

    # -- the sources checked against each other ---------------------------------------------

    def disagreement(self, at: datetime) -> Mapping[ComparedKind, Disagreement | None]:
        """For the elements and for the SupGP segment holding at `at`: how far each puts the
        station from the OEM then; None where the OEM does not answer at `at` or the other
        source is missing (or does not hold then)."""
        at = ensure_utc(at)
        key = at.timestamp()
        cached = self._disagreement_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        found: dict[ComparedKind, Disagreement | None] = {"elements": None, "celestrak-supgp": None}
        reference = self.trajectory.state_at(at) if self.trajectory is not None else None
        if reference is not None:
            t = self._ts.from_datetime(at)
            r_oem = J2000_TO_GCRS @ np.array(reference.position_km)
            v_oem = J2000_TO_GCRS @ np.array(reference.velocity_km_s)
            others: dict[ComparedKind, Any] = {"elements": self.elements_satellite}
            supgp = self.inputs.supgp
            segment = supgp.covering(at) if supgp is not None else None
            if segment is not None:
                assert supgp is not None
                others["celestrak-supgp"] = self._segment_satellite(supgp.segments.index(segment))
            for name, satellite in others.items():
                if satellite is None:
                    continue
                with np.errstate(all="ignore"):
                    r_other = np.asarray(satellite.at(t).position.km, dtype=np.float64)
                found[name] = _disagreement(r_other - r_oem, v_oem)
        result: Mapping[ComparedKind, Disagreement | None] = MappingProxyType(found)
        self._disagreement_cache = (key, result)
        return result


def _disagreement(difference_km: FloatArray, velocity_km_s: FloatArray) -> Disagreement | None:
    distance = float(np.linalg.norm(difference_km))
    speed = float(np.linalg.norm(velocity_km_s))
    if not (math.isfinite(distance) and speed > 0):
        return None
    along_km = float(np.dot(difference_km, velocity_km_s)) / speed
    return Disagreement(distance_km=distance, along_track_s=along_km / speed)


def burn_drift_km(delta_v_m_s: float, seconds_since: float) -> float:
    """Along-track drift of a position propagated across a burn of `delta_v_m_s` that the
    elements do not know, `seconds_since` after it: 3*(dv/v)*2*pi*a per revolution."""
    per_revolution_km = (
        3.0 * (delta_v_m_s / 1000.0 / _STATION_SPEED_KM_S) * 2.0 * math.pi * _STATION_RADIUS_KM
    )
    return per_revolution_km * max(seconds_since, 0.0) / _STATION_PERIOD_S


# Past this the sources are not "a few km apart as usual": one of them is wrong or a burn
# happened that one does not know. Said as a notice naming both.
DISAGREEMENT_NOTICE_KM = 20.0
_COMPARED_LABELS: Mapping[ComparedKind, str] = MappingProxyType(
    {"elements": "elements", "celestrak-supgp": "CelesTrak fit"}
)


def expected_error_for(source: SourceAt | None, elements_error: ExpectedError) -> ExpectedError:
    """The expected error of the position where it comes from, in the form every panel reads
    (`ExpectedError`: the map's marker or "somewhere here", "≈", "approximate").

    From elements: their table, widened by the drift of any known burn they cross (then at
    least "approximate"). From NASA's trajectory or a fit to it: that source's own expected
    error, "good" while it is no worse than 3-day-old elements (the bar elements pass as good)
    and "approximate" beyond; there is no 90th percentile for it, so both numbers are one."""
    if source is None:
        return elements_error
    if source.kind in ("elements", "bundled"):
        if source.why is None:
            return elements_error
        extra_km = max(source.expected_error_km - elements_error.median_km, 0.0)
        level: Level = "uncertain" if elements_error.level == "uncertain" else "approximate"
        return ExpectedError(
            min(elements_error.median_km + extra_km, MAX_ERROR_KM),
            min(elements_error.p90_km + extra_km, MAX_ERROR_KM),
            level,
        )
    good = source.expected_error_km <= expected_error_km(APPROXIMATE_AFTER_H).median_km
    error_km = min(source.expected_error_km, MAX_ERROR_KM)
    return ExpectedError(error_km, error_km, "good" if good else "approximate")


def disagreement_notices(
    disagreement: Mapping[ComparedKind, Disagreement | None],
) -> list[str]:
    """A notice for each source more than `DISAGREEMENT_NOTICE_KM` from NASA's trajectory,
    naming both."""
    return [
        f"{_COMPARED_LABELS[kind]} and NASA trajectory disagree by {d.distance_km:,.0f} km"
        f" ({abs(d.along_track_s):.1f} s along track)"
        for kind, d in disagreement.items()
        if d is not None and d.distance_km > DISAGREEMENT_NOTICE_KM
    ]


__all__ = [
    "DISAGREEMENT_NOTICE_KM",
    "LABELS",
    "NO_DISAGREEMENT",
    "BestOrbit",
    "Burn",
    "ComparedKind",
    "Disagreement",
    "OrbitInputs",
    "SourceAt",
    "SourceKind",
    "burn_drift_km",
    "disagreement_notices",
    "earth_satellite",
    "expected_error_for",
    "unix_seconds",
]
