"""The figures behind issue 25 (NASA's trajectory as the orbit source), measured on the real
files of the shared reference folder; docs/orbit-accuracy.md explains them and quotes them.

1. Interpolation error on held-out states, both NASA samples: every state left out in turn and
   interpolated by `issdash.model.trajectory.Trajectory` from the others (Hermite, the default,
   and Lagrange), max / 99th percentile / median in metres, split by where the state lies:
   inside the 4-min grid, or next to a burn block, an uneven step or the file's ends.
2. TLE vs OEM for the 2025 sample: CelesTrak sets (SGP4, skyfield, GCRS) against the OEM's
   states (EME2000 turned to GCRS by skyfield's frame bias) at +0, 1, 3, 7, 10 and 14 days from
   the OEM's start: the last set before the start, one 8 days older, one 8 days old at each
   time, and the freshest set at each time; km apart and seconds along track. And every set
   against the OEM at its own epoch, by the OEM's age. The 2022 sample has no TLE history.
3. Pass times for three places: rise, culmination and set found by a direct method from the
   OEM's interpolated vectors (skyfield topocentric altitude sampled every 20 s, roots bracketed
   and refined by bisection, maxima by golden section) against (a) SGP4 of the last TLE as
   issdash finds passes today, (b) issdash's own pass finder on the OEM once the orbit engine
   takes one (`issdash.model.orbit_source`; "not available" before). The direct method is
   first checked against skyfield's own event search on the same SGP4 satellite.

    .venv/bin/python scripts/orbit_figures.py [--reference DIR] [--json PATH]

About 30-60 s. Only scripts read the reference folder; the tests write their own OEMs.
"""

from __future__ import annotations

import argparse
import bisect
import gzip
import itertools
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

# BLAS threads only fight over the cores for these small matrices (27 s alone, 42 s with them
# on two cores); set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from issdash.feeds.adapters.oem import Oem, parse_oem  # noqa: E402
from issdash.feeds.adapters.tle import parse_element_sets  # noqa: E402
from issdash.feeds.sources import RawResponse  # noqa: E402
from issdash.feeds.values import ElementSet, Observer  # noqa: E402
from issdash.model.orbit import OrbitEngine  # noqa: E402
from issdash.model.passes.finder import find_passes  # noqa: E402
from issdash.model.trajectory import Trajectory  # noqa: E402

Vector = npt.NDArray[np.float64]

DEFAULT_REFERENCE = ROOT.parent / "shared" / "reference"
SAMPLES = ("nasa_iss_oem_2022-02-11.xml.gz", "nasa_iss_oem_2025-02-26.xml.gz")
HISTORY = "celestrak_omm_iss_history_2024-09_to_2025-03.json"
TLE_SAMPLE = SAMPLES[1]  # the history covers only the 2025 file's span

# --- 1. held-out states ---------------------------------------------------------------------

# States kept on each side of a held-out one: more than either method's window reaches (4
# states for Hermite, 9 for Lagrange), so a local trajectory answers exactly as the whole
# file without that state would (checked at a few states on every run, see `_check_local`).
REACH = 12
# Where a held-out state lies, from the steps around it (this many on each side, as far as a
# window near it reaches) and the burns among them:
# - "4-min grid": every step NASA's 240 s and no burn: no window near it is cut or uneven;
# - "dense block": every step the same shorter one (the 2-s states through a burn, the 30.6-s
#   ones around an event), no burn: a smooth run at a finer step;
# - "edge": anything else: an arc's end (a burn, a change of step, the file's ends) is near.
GRID_S = 240.0
EDGE_STEPS = 5
_SAME_STEP_S = 1e-3
_SAME_KM = 1e-6  # a millimetre
Place = Literal["4-min grid", "dense block", "edge"]
PLACES_OF_STATES: tuple[Place, ...] = ("4-min grid", "dense block", "edge")


@dataclass(frozen=True, slots=True)
class HeldOut:
    """Errors (m) of states left out and interpolated, by where the state lies."""

    errors_m: dict[Place, list[float]]
    no_answer: int  # the file's first and last state, a burn's ignition state (a gap then)
    worst_m: float
    worst_at: datetime

    @property
    def every_m(self) -> list[float]:
        return [e for errors in self.errors_m.values() for e in errors]


def held_out(oem: Oem, method: Literal["hermite", "lagrange"]) -> HeldOut:
    states = oem.states
    breaks = _breaks(oem)
    times = [s.epoch.timestamp() for s in states]
    break_s = sorted(b.timestamp() for b in breaks)
    errors: dict[Place, list[float]] = {place: [] for place in PLACES_OF_STATES}
    no_answer = 0
    worst = (0.0, states[0].epoch)
    for i, state in enumerate(states):
        answer = _leave_out(states, breaks, method, i, REACH)
        if answer is None:
            no_answer += 1
            continue
        error_m = 1000.0 * math.dist(answer, (state.x_km, state.y_km, state.z_km))
        errors[_place(times, break_s, i)].append(error_m)
        if error_m > worst[0]:
            worst = (error_m, state.epoch)
    return HeldOut(errors, no_answer, worst[0], worst[1])


def _place(times: list[float], break_s: list[float], i: int) -> Place:
    if i < EDGE_STEPS or i + EDGE_STEPS >= len(times):
        return "edge"
    first = bisect.bisect_left(break_s, times[i - EDGE_STEPS])
    if first < len(break_s) and break_s[first] <= times[i + EDGE_STEPS]:
        return "edge"
    steps = [times[k + 1] - times[k] for k in range(i - EDGE_STEPS, i + EDGE_STEPS)]
    if any(abs(step - steps[0]) > _SAME_STEP_S for step in steps):
        return "edge"
    return "4-min grid" if abs(steps[0] - GRID_S) <= _SAME_STEP_S else "dense block"


def _breaks(oem: Oem) -> list[datetime]:
    """What `Trajectory.from_oem` cuts at: every burn, every segment start."""
    return [*(e.ignition for e in oem.events if e.delta_v_m_s > 0), *oem.segment_starts]


def _leave_out(
    states: Sequence[Any],
    breaks: list[datetime],
    method: Literal["hermite", "lagrange"],
    i: int,
    reach: int,
) -> tuple[float, float, float] | None:
    lo, hi = max(0, i - reach), min(len(states), i + reach + 1)
    kept = [*states[lo:i], *states[i + 1 : hi]]
    if len(kept) < 2:
        return None
    answer = Trajectory(kept, breaks, method).state_at(states[i].epoch)
    return None if answer is None else answer.position_km


def _check_local(oem: Oem, method: Literal["hermite", "lagrange"]) -> int:
    """Local leave-one-out equals whole-file leave-one-out at states near every kind of
    place (the ends, the burn block and its uneven neighbours, the plain grid)."""
    states = oem.states
    steps = [(b.epoch - a.epoch).total_seconds() for a, b in itertools.pairwise(states)]
    uneven = [i for i, s in enumerate(steps) if abs(s - GRID_S) > _SAME_STEP_S]
    picks = {1, 2, len(states) - 2, len(states) // 2}
    for i in uneven[:3] + uneven[-3:]:
        picks.update({i - 3, i - 1, i, i + 1, i + 2, i + 5})
    breaks = _breaks(oem)
    for i in sorted(p for p in picks if 0 <= p < len(states)):
        local = _leave_out(states, breaks, method, i, REACH)
        whole = _leave_out(states, breaks, method, i, len(states))
        # Equal but for rounding: the two trajectories count time from different states.
        same = local == whole or (
            local is not None and whole is not None and math.dist(local, whole) < _SAME_KM
        )
        if not same:
            raise SystemExit(f"local leave-one-out differs from the whole file's at state {i}")
    return len(picks)


# --- 2. TLE vs OEM --------------------------------------------------------------------------

HORIZON_DAYS = (0, 1, 3, 7, 10, 14)
OLD_SET_DAYS = 8.0


@dataclass(frozen=True, slots=True)
class Apart:
    km: float
    along_s: float  # the elements' position ahead (+) or behind (-) the OEM's, in seconds


def oem_gcrs(trajectory: Trajectory, when: datetime) -> tuple[Vector, Vector] | None:
    """The OEM's position (km) and velocity (km/s) in skyfield's GCRS: EME2000 (J2000 mean
    equator and equinox) turned by the frame bias, ~0.8 m at the station's radius."""
    from skyfield.framelib import ICRS_to_J2000

    state = trajectory.state_at(when)
    if state is None:
        return None
    to_gcrs = np.asarray(ICRS_to_J2000).T  # the bias is a rotation: its inverse is its transpose
    return to_gcrs @ np.array(state.position_km), to_gcrs @ np.array(state.velocity_km_s)


def sgp4_gcrs(engine: OrbitEngine, when: datetime) -> tuple[Vector, Vector]:
    at = engine.satellite.at(engine.times(when.timestamp()))
    return np.asarray(at.position.km), np.asarray(at.velocity.km_per_s)


def apart(trajectory: Trajectory, engine: OrbitEngine, when: datetime) -> Apart:
    truth = oem_gcrs(trajectory, when)
    assert truth is not None, "compared only inside the OEM's span"
    r_oem, v_oem = truth
    r_set, _ = sgp4_gcrs(engine, when)
    difference = r_set - r_oem
    speed = float(np.linalg.norm(v_oem))
    along_s = float(difference @ v_oem) / speed / speed
    return Apart(float(np.linalg.norm(difference)), along_s)


def load_sets(path: Path) -> list[ElementSet]:
    body = path.read_text()
    raw = RawResponse(path.as_uri(), 200, "application/json", body, datetime.now(UTC))
    return list(parse_element_sets(raw, None).sets)  # distinct epochs, oldest first


def latest_before(sets: list[ElementSet], when: datetime) -> ElementSet:
    return [s for s in sets if s.epoch <= when][-1]


def nearest(sets: list[ElementSet], when: datetime) -> ElementSet:
    return min(sets, key=lambda s: abs((s.epoch - when).total_seconds()))


@dataclass(frozen=True, slots=True)
class SetRow:
    label: str
    epoch: datetime | None  # None: the freshest set at each time
    cells: list[tuple[Apart, float]]  # (apart, the set's age in days at that time)


def tle_vs_oem(oem: Oem, sets: list[ElementSet]) -> list[SetRow]:
    trajectory = Trajectory.from_oem(oem)
    start = oem.header.start
    moments = [start + timedelta(days=d) for d in HORIZON_DAYS]
    engines: dict[datetime, OrbitEngine] = {}

    def engine(s: ElementSet) -> OrbitEngine:
        return engines.setdefault(s.epoch, OrbitEngine(s))

    def cells(pick: Callable[[datetime], ElementSet]) -> list[tuple[Apart, float]]:
        out = []
        for when in moments:
            chosen = pick(when)
            age_days = (when - chosen.epoch).total_seconds() / 86400
            out.append((apart(trajectory, engine(chosen), when), age_days))
        return out

    day_old = latest_before(sets, start)
    old = nearest([s for s in sets if s.epoch <= start], start - timedelta(days=OLD_SET_DAYS))
    return [
        SetRow("last set before the start", day_old.epoch, cells(lambda _w: day_old)),
        SetRow(f"set ~{OLD_SET_DAYS:.0f} days before the start", old.epoch, cells(lambda _w: old)),
        SetRow(
            f"set ~{OLD_SET_DAYS:.0f} days old then",
            None,
            cells(lambda w: nearest(sets, w - timedelta(days=OLD_SET_DAYS))),
        ),
        SetRow("freshest set then", None, cells(lambda w: latest_before(sets, w))),
    ]


# Each set at its own epoch (where a fresh set is good to about a kilometre, see
# docs/expected-error.md) against the OEM at that time, by the OEM's age then: how far the
# OEM's prediction has drifted from what the tracking behind each new set saw.
# The first bin starts before the creation: NASA's span starts hours before the file is made.
OEM_AGE_BINS = ((-1.0, 1.0), (1.0, 3.0), (3.0, 7.0), (7.0, 10.0), (10.0, 16.0))


def sets_at_epoch(oem: Oem, sets: list[ElementSet]) -> list[tuple[float, Apart]]:
    """(the OEM's age in days since its creation, apart) for every set dated inside the span."""
    trajectory = Trajectory.from_oem(oem)
    created = oem.header.created or oem.header.start
    return [
        ((s.epoch - created).total_seconds() / 86400, apart(trajectory, OrbitEngine(s), s.epoch))
        for s in sets
        if oem.header.start <= s.epoch <= oem.header.stop
    ]


# --- 3. pass times --------------------------------------------------------------------------

PLACES = (
    ("Boston", 42.3601, -71.0589),
    ("Amsterdam", 52.3676, 4.9041),
    ("Sydney", -33.8688, 151.2093),
)
MIN_ELEVATION_DEG = 10.0  # the finder's default
SAMPLE_STEP_S = 20.0  # a pass above 10 degrees lasts minutes; a maximum is never stepped over
# A sampled local maximum this far below the threshold may still top it between samples.
_MAX_MARGIN_DEG = 3.0
_BISECTIONS = 26  # 20 s / 2^26: a third of a microsecond
_GOLDEN_STEPS = 45  # 40 s * 0.618^45: far below a microsecond
# Passes are the same pass when their culminations are this close.
_SAME_PASS_S = 300.0
DAY_BINS = ((0.0, 1.0), (1.0, 3.0), (3.0, 7.0), (7.0, 16.0))


@dataclass(frozen=True, slots=True)
class PassTimes:
    """Unix seconds of rise, culmination and set above `MIN_ELEVATION_DEG`."""

    rise_s: float
    culminate_s: float
    set_s: float


PositionFn = Callable[[Vector], Vector]  # unix seconds (N,) -> ITRS km (3, N), NaN if unknown
_TS: list[Any] = []  # skyfield's timescale, loaded once


def _times(unix_s: Vector) -> Any:
    """skyfield Times for unix seconds: offsets from a calendar instant inside the span, since
    unix time skips the leap seconds that `ts.utc` counts."""
    from skyfield.api import load

    if not _TS:
        _TS.append(load.timescale(builtin=True))
    base_s = math.floor(float(np.min(unix_s)))
    base = datetime.fromtimestamp(base_s, tz=UTC)
    return _TS[0].utc(
        base.year, base.month, base.day, base.hour, base.minute, base.second + (unix_s - base_s)
    )


def oem_positions(trajectory: Trajectory) -> PositionFn:
    """The OEM's interpolated vectors, EME2000 -> GCRS (frame bias) -> ITRS (skyfield)."""
    from skyfield.framelib import ICRS_to_J2000, itrs
    from skyfield.functions import mxv

    to_gcrs = np.asarray(ICRS_to_J2000).T

    def positions(unix_s: Vector) -> Vector:
        eme2000 = np.full((3, len(unix_s)), np.nan)
        for k, t in enumerate(unix_s):
            state = trajectory.state_at(datetime.fromtimestamp(float(t), tz=UTC))
            if state is not None:
                eme2000[:, k] = state.position_km
        result: Vector = mxv(itrs.rotation_at(_times(unix_s)), to_gcrs @ eme2000)
        return result

    return positions


def sgp4_positions(engine: OrbitEngine) -> PositionFn:
    from skyfield.framelib import itrs

    def positions(unix_s: Vector) -> Vector:
        at = engine.satellite.at(_times(unix_s))
        result: Vector = np.asarray(at.frame_xyz(itrs).km)
        return result

    return positions


@dataclass(frozen=True, slots=True)
class Sites:
    """The places on the WGS84 ellipsoid: ITRS position (km) and geodetic up, (3, places)."""

    itrs_km: Vector
    up: Vector

    @classmethod
    def of(cls, places: Sequence[tuple[str, float, float]]) -> Sites:
        from skyfield.api import wgs84

        xyz, up = [], []
        for _name, lat, lon in places:
            xyz.append(np.asarray(wgs84.latlon(lat, lon, elevation_m=0.0).itrs_xyz.km))
            phi, lam = math.radians(lat), math.radians(lon)
            up.append((math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi)))
        return cls(np.array(xyz).T, np.array(up).T)


def altitude_deg(sites: Sites, place: npt.NDArray[np.int_], station_km: Vector) -> Vector:
    """Geometric altitude (no refraction, as skyfield's event search) of the station seen
    from each time's place: the angle of the topocentric vector above the geodetic horizon."""
    relative = station_km - sites.itrs_km[:, place]
    sine = np.einsum("ij,ij->j", relative, sites.up[:, place]) / np.linalg.norm(relative, axis=0)
    result: Vector = np.degrees(np.arcsin(sine))
    return result


def direct_passes(
    positions: PositionFn, sites: Sites, grid_s: Vector, grid_km: Vector
) -> list[list[PassTimes]]:
    """Passes for every place from the altitude sampled on `grid_s` (station at `grid_km`,
    ITRS), refined: each sampled maximum by golden section between its neighbours, rise and
    set by bisection in the sample interval where the altitude crosses the threshold. Passes
    cut by the ends of the span or by a gap are left out. All places are refined together
    (each evaluation computes the Earth's rotation once)."""
    count = sites.itrs_km.shape[1]

    def alt(unix_s: Vector, place: npt.NDArray[np.int_]) -> Vector:
        return altitude_deg(sites, place, positions(unix_s))

    sampled = [altitude_deg(sites, np.full(len(grid_s), p), grid_km) for p in range(count)]
    peaks_at, peaks_of = [], []
    for p, a in enumerate(sampled):
        k = np.arange(1, len(grid_s) - 1)
        peak = (a[k] >= a[k - 1]) & (a[k] > a[k + 1]) & (a[k] > MIN_ELEVATION_DEG - _MAX_MARGIN_DEG)
        peaks_at.append(k[peak])
        peaks_of.append(np.full(int(peak.sum()), p))
    candidates, place = np.concatenate(peaks_at), np.concatenate(peaks_of)
    if len(candidates) == 0:
        return [[] for _ in range(count)]
    culminate = _golden_max(alt, grid_s[candidates - 1], grid_s[candidates + 1], place)
    top = alt(culminate, place)
    kept: list[tuple[int, float]] = []
    lo: list[float] = []
    hi: list[float] = []
    for p, t_top, a_top in zip(place, culminate, top, strict=True):
        a = sampled[p]
        if not a_top > MIN_ELEVATION_DEG:
            continue
        before = int(np.searchsorted(grid_s, t_top, side="right")) - 1
        j = before
        while j >= 0 and a[j] > MIN_ELEVATION_DEG:
            j -= 1
        after = before + 1
        m = after
        while m < len(grid_s) and a[m] > MIN_ELEVATION_DEG:
            m += 1
        if j < 0 or m >= len(grid_s) or np.isnan(a[j : m + 1]).any():
            continue
        kept.append((int(p), float(t_top)))
        lo += [grid_s[j], t_top if m == after else grid_s[m - 1]]
        hi += [t_top if j == before else grid_s[j + 1], grid_s[m]]
    both = np.repeat([p for p, _ in kept], 2)
    rising = np.tile([True, False], len(kept))
    edges = _bisect(alt, np.array(lo), np.array(hi), both, rising)
    found: list[list[PassTimes]] = [[] for _ in range(count)]
    for n, (p, t_top) in enumerate(kept):
        found[p].append(PassTimes(float(edges[2 * n]), t_top, float(edges[2 * n + 1])))
    return found


Altitude = Callable[[Vector, npt.NDArray[np.int_]], Vector]


def _golden_max(f: Altitude, lo: Vector, hi: Vector, place: npt.NDArray[np.int_]) -> Vector:
    ratio = (math.sqrt(5) - 1) / 2
    a, b = lo.astype(float), hi.astype(float)
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    fc, fd = f(c, place), f(d, place)
    for _ in range(_GOLDEN_STEPS):
        left = fc > fd  # the maximum lies in [a, d]
        b = np.where(left, d, b)
        a = np.where(left, a, c)
        new_c, new_d = b - ratio * (b - a), a + ratio * (b - a)
        f_new = f(np.where(left, new_c, new_d), place)
        fd, fc = np.where(left, fc, f_new), np.where(left, f_new, fd)
        c, d = new_c, new_d
    result: Vector = (a + b) / 2
    return result


def _bisect(
    f: Altitude,
    lo: Vector,
    hi: Vector,
    place: npt.NDArray[np.int_],
    rising: npt.NDArray[np.bool_],
) -> Vector:
    """Rising: below the threshold at `lo`, above at `hi`; setting: the other way round."""
    a, b = lo.astype(float), hi.astype(float)
    for _ in range(_BISECTIONS):
        mid = (a + b) / 2
        above = f(mid, place) > MIN_ELEVATION_DEG
        move_b = above == rising
        b = np.where(move_b, mid, b)
        a = np.where(move_b, a, mid)
    result: Vector = (a + b) / 2
    return result


def finder_passes(
    engine: Any, observer: Observer, start: datetime, stop: datetime
) -> list[PassTimes]:
    """Passes as issdash finds them (`issdash.model.passes.finder.find_passes`)."""
    return [
        PassTimes(p.rise.timestamp(), p.culminate.timestamp(), p.set.timestamp())
        for p in find_passes(engine, observer, start, stop, MIN_ELEVATION_DEG)
    ]


@dataclass(frozen=True, slots=True)
class Differences:
    """Matched passes' |differences| (s) of rise, culmination and set, by day since the
    start; passes only one side has."""

    by_bin: list[list[float]]  # per DAY_BINS entry: the largest of |d rise|, |d culm|, |d set|
    rise_s: list[float]
    culminate_s: list[float]
    set_s: list[float]
    only_reference: int
    only_other: int


def compare(reference: list[PassTimes], other: list[PassTimes], start_s: float) -> Differences:
    by_bin: list[list[float]] = [[] for _ in DAY_BINS]
    rise, culm, sets = [], [], []
    unmatched = list(other)
    only_reference = 0
    for p in reference:
        match = min(unmatched, key=lambda q: abs(q.culminate_s - p.culminate_s), default=None)
        if match is None or abs(match.culminate_s - p.culminate_s) > _SAME_PASS_S:
            only_reference += 1
            continue
        unmatched.remove(match)
        d = (
            abs(match.rise_s - p.rise_s),
            abs(match.culminate_s - p.culminate_s),
            abs(match.set_s - p.set_s),
        )
        rise.append(d[0])
        culm.append(d[1])
        sets.append(d[2])
        day = (p.culminate_s - start_s) / 86400
        for b, (lo, hi) in enumerate(DAY_BINS):
            if lo <= day < hi:
                by_bin[b].append(max(d))
    return Differences(by_bin, rise, culm, sets, only_reference, len(unmatched))


def engine_for_oem(oem: Oem, fallback: ElementSet) -> Any | None:
    """issdash's own engine on the OEM, when the tree has one (issue 25, part B:
    `OrbitEngine(elements, OrbitInputs(oem=..., elements=...))`), else None. `fallback` is
    the set the engine falls back on outside the OEM's span; the passes compared all lie
    inside it. The one place to adjust if that constructor changes."""
    try:
        from issdash.model.orbit_source import OrbitInputs
    except ImportError:
        return None
    try:
        return OrbitEngine(fallback, OrbitInputs(oem=oem, elements=fallback))
    except TypeError:
        return None


def threshold_miss_s(satellite: Any, lat: float, lon: float, passes: list[PassTimes]) -> float:
    """skyfield's own altitude (`(satellite - place).at(t).altaz()`) at the rises and sets
    found directly: the largest distance from the threshold, as time at the rate it changes."""
    from skyfield.api import wgs84

    if not passes:
        return math.nan
    seen = satellite - wgs84.latlon(lat, lon, elevation_m=0.0)
    edges = np.array([t for p in passes for t in (p.rise_s, p.set_s)])

    def alt(unix_s: Vector) -> Vector:
        result: Vector = np.asarray(seen.at(_times(unix_s)).altaz()[0].degrees)
        return result

    rate_deg_s = (alt(edges + 0.5) - alt(edges - 0.5)) / 1.0
    return float(np.max(np.abs(alt(edges) - MIN_ELEVATION_DEG) / np.abs(rate_deg_s)))


@dataclass
class PassReport:
    sample: str
    place: str
    direct_count: int
    # The direct method on SGP4 checked by skyfield on the same satellite: the largest
    # difference from its event search of rise or set, and of culmination; and how far from
    # the threshold skyfield's own altitude is at the direct rises and sets, in time (ms).
    validation_ms: tuple[float, float, float] | None
    tle: Differences | None
    engine: Differences | None


def pass_figures(oem: Oem, sets: list[ElementSet] | None, fallback: ElementSet) -> list[PassReport]:
    """Passes over `PLACES` through the OEM's span; `sets`: the TLE history covering it (None
    for the 2022 sample); `fallback`: the set issdash's engine falls back on outside the span."""
    trajectory = Trajectory.from_oem(oem)
    start, stop = oem.header.start, oem.header.stop
    grid_s = np.arange(start.timestamp(), stop.timestamp() + 1e-6, SAMPLE_STEP_S)
    sites = Sites.of(PLACES)
    oem_fn = oem_positions(trajectory)
    direct = direct_passes(oem_fn, sites, grid_s, oem_fn(grid_s))
    tle_engine = OrbitEngine(latest_before(sets, start)) if sets else None
    tle_direct: list[list[PassTimes]] | None = None
    if tle_engine is not None:
        tle_fn = sgp4_positions(tle_engine)
        tle_direct = direct_passes(tle_fn, sites, grid_s, tle_fn(grid_s))
    engine = engine_for_oem(oem, fallback)
    reports = []
    for p, (place, lat, lon) in enumerate(PLACES):
        observer = Observer(latitude_deg=lat, longitude_deg=lon)
        validation = None
        tle = None
        if tle_engine is not None and tle_direct is not None:
            tle_found = finder_passes(tle_engine, observer, start, stop)
            check = compare(tle_direct[p], tle_found, start.timestamp())
            validation = (
                1000 * max([*check.rise_s, *check.set_s], default=math.nan),
                1000 * max(check.culminate_s, default=math.nan),
                1000 * threshold_miss_s(tle_engine.satellite, lat, lon, tle_direct[p]),
            )
            tle = compare(direct[p], tle_found, start.timestamp())
        found = finder_passes(engine, observer, start, stop) if engine is not None else None
        engine_diff = compare(direct[p], found, start.timestamp()) if found is not None else None
        reports.append(
            PassReport(oem_name(oem), place, len(direct[p]), validation, tle, engine_diff)
        )
    return reports


# --- output ---------------------------------------------------------------------------------


def oem_name(oem: Oem) -> str:
    return f"OEM {oem.header.start:%Y-%m-%d}"


def load_oem(path: Path) -> Oem:
    if path.suffix == ".gz":
        with gzip.open(path, "rt") as file:
            body = file.read()
    else:
        body = path.read_text()
    raw = RawResponse(path.as_uri(), 200, "application/xml", body, datetime.now(UTC))
    return parse_oem(raw, None)


def _stats(values: list[float]) -> str:
    if not values:
        return "- | - | - | 0"
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]
    median = statistics.median(ordered)
    return f"{max(ordered):.3g} | {p99:.3g} | {median:.3g} | {len(ordered)}"


def _table(title: str, header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["", f"### {title}", "", "| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join("---" for _ in header) + "|")
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _zulu(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ")


def _max_s(values: list[float]) -> str:
    return f"{max(values):.3f}" if values else "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    reference: Path = args.reference
    missing = [n for n in (*SAMPLES, HISTORY) if not (reference / n).exists()]
    if missing:
        raise SystemExit(f"not in {reference}: {', '.join(missing)} (see --reference)")
    began = time.perf_counter()
    oems = {name: load_oem(reference / name) for name in SAMPLES}
    sets = load_sets(reference / HISTORY)
    figures: dict[str, Any] = {
        "held_out": {},
        "tle_vs_oem": [],
        "oem_vs_sets_at_epoch": [],
        "passes": [],
    }
    lines: list[str] = []

    rows = []
    methods: tuple[Literal["hermite", "lagrange"], ...] = ("hermite", "lagrange")
    for oem in oems.values():
        for method in methods:
            checked = _check_local(oem, method)
            result = held_out(oem, method)
            every = result.every_m
            by_place: dict[str, Any] = {
                place: _summary(result.errors_m[place]) for place in PLACES_OF_STATES
            }
            figures["held_out"][f"{oem_name(oem)} {method}"] = {
                "all": _summary(every),
                **by_place,
                "no_answer": result.no_answer,
                "worst_m": result.worst_m,
                "worst_at": result.worst_at.isoformat(),
                "checked_against_whole_file": checked,
            }
            note = f" (worst at {_zulu(result.worst_at)}; {result.no_answer} without an answer)"
            rows.append([oem_name(oem), method, "all", _stats(every) + note])
            rows += [
                [oem_name(oem), method, place, _stats(result.errors_m[place])]
                for place in PLACES_OF_STATES
            ]
    lines += _table(
        "Held-out states: interpolation error (m)",
        ["sample", "method", "where", "max", "99 %", "median", "states"],
        rows,
    )

    tle_oem = oems[TLE_SAMPLE]
    set_rows = tle_vs_oem(tle_oem, sets)
    header = ["elements", *(f"+{d} d" for d in HORIZON_DAYS)]
    rows = []
    for row in set_rows:
        label = row.label + (f" ({_zulu(row.epoch)})" if row.epoch else "")
        rows.append(
            [label]
            + [f"{a.km:.1f} km, {a.along_s:+.1f} s (set {age:.1f} d)" for a, age in row.cells]
        )
        figures["tle_vs_oem"].append(
            {
                "elements": row.label,
                "epoch": row.epoch.isoformat() if row.epoch else None,
                "cells": [
                    {"days": d, "km": a.km, "along_track_s": a.along_s, "set_age_days": age}
                    for d, (a, age) in zip(HORIZON_DAYS, row.cells, strict=True)
                ],
            }
        )
    lines += _table(
        f"TLE (SGP4) vs {oem_name(tle_oem)} (created {_zulu(tle_oem.header.created or tle_oem.header.start)}), from its start",  # noqa: E501
        header,
        rows,
    )
    pairs = sets_at_epoch(tle_oem, sets)
    figures["oem_vs_each_set_at_epoch"] = [
        {"oem_age_days": age, "km": a.km, "along_track_s": a.along_s} for age, a in pairs
    ]
    rows = []
    for lo, hi in OEM_AGE_BINS:
        inside = [a for age, a in pairs if lo <= age < hi]
        kms = [a.km for a in inside]
        along = [abs(a.along_s) for a in inside]
        rows.append(
            [f"{lo:g}-{hi:g} d" if lo >= 0 else f"< {hi:g} d", str(len(inside))]
            + (
                [f"{statistics.median(kms):.1f}", f"{max(kms):.1f}", f"{max(along):.1f}"]
                if inside
                else ["-", "-", "-"]
            )
        )
        figures["oem_vs_sets_at_epoch"].append(
            {
                "oem_age_days": [lo, hi],
                "sets": len(inside),
                "median_km": statistics.median(kms) if inside else None,
                "max_km": max(kms, default=None),
                "max_along_track_s": max(along, default=None),
            }
        )
    lines += _table(
        f"{oem_name(tle_oem)} vs every CelesTrak set at its own epoch, by the OEM's age",
        ["OEM age", "sets", "median km", "max km", "max along-track s"],
        rows,
    )
    lines.append("")
    lines.append("(no TLE history covers the 2022 sample)")

    rows = []
    for name, oem in oems.items():
        # Outside its span the engine would use elements; for the 2022 sample (no history of
        # its time) the oldest set stands there, never asked since every pass is inside.
        history = sets if name == TLE_SAMPLE else None
        fallback = latest_before(sets, oem.header.start) if history else sets[0]
        reports = pass_figures(oem, history, fallback)
        for r in reports:
            tle_cells = (
                [_max_s(b) for b in r.tle.by_bin] + [f"{r.tle.only_reference}/{r.tle.only_other}"]
                if r.tle
                else ["no TLE history"] + ["-"] * len(DAY_BINS)
            )
            engine_cell = (
                f"{_max_s(r.engine.rise_s)} / {_max_s(r.engine.culminate_s)} / "
                f"{_max_s(r.engine.set_s)} ({r.engine.only_reference}/{r.engine.only_other})"
                if r.engine
                else "not available"
            )
            validation = (
                "-"
                if r.validation_ms is None
                else "{:.0f} / {:.0f} ms; altaz {:.2g} ms".format(*r.validation_ms)
            )
            rows.append(
                [r.sample, r.place, str(r.direct_count), validation, *tle_cells, engine_cell]
            )
            figures["passes"].append(_pass_json(r))
    lines += _table(
        "Pass times vs the direct computation from the OEM states (s)",
        [
            "sample",
            "place",
            "passes",
            "direct on SGP4 vs skyfield: events rise-set / culm; altaz at rise-set",
            *(f"last TLE, days {lo:g}-{hi:g}: max" for lo, hi in DAY_BINS),
            "unmatched OEM/TLE",
            "issdash finder on the OEM: max rise / culm / set (unmatched)",
        ],
        rows,
    )
    lines.append("")
    lines.append(f"({time.perf_counter() - began:.0f} s)")
    print("\n".join(lines))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1) + "\n")


def _summary(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"max_m": None, "p99_m": None, "median_m": None, "count": 0}
    ordered = sorted(values)
    return {
        "max_m": ordered[-1],
        "p99_m": ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)],
        "median_m": statistics.median(ordered),
        "count": len(ordered),
    }


def _pass_json(r: PassReport) -> dict[str, Any]:
    def diff(d: Differences | None) -> dict[str, Any] | None:
        if d is None:
            return None
        return {
            "max_by_days": {
                f"{lo:g}-{hi:g}": max(b, default=None)
                for (lo, hi), b in zip(DAY_BINS, d.by_bin, strict=True)
            },
            "max_rise_s": max(d.rise_s, default=None),
            "max_culminate_s": max(d.culminate_s, default=None),
            "max_set_s": max(d.set_s, default=None),
            "only_direct": d.only_reference,
            "only_other": d.only_other,
        }

    return {
        "sample": r.sample,
        "place": r.place,
        "passes": r.direct_count,
        "direct_on_sgp4_vs_skyfield_ms": (
            None
            if r.validation_ms is None
            else {
                "event_search_rise_set": r.validation_ms[0],
                "event_search_culminate": r.validation_ms[1],
                "altaz_at_rise_set": r.validation_ms[2],
            }
        ),
        "day_old_tle": diff(r.tle),
        "issdash_engine_on_oem": diff(r.engine) if r.engine else "not available",
    }


if __name__ == "__main__":
    main()
