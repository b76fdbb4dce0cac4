"""Passes over an observer, found and described from the orbit engine: rise, culmination and
set from skyfield's event search, then for each pass the azimuths, the shadow entry and exit,
the visible part and the estimated magnitude; and the station's path through the observer's
sky for the chart. Pure numpy and skyfield, no Textual.

The engine (`issdash.model.orbit`) propagates; this module only asks it where the station
and the Sun are, vectorised over arrays of times. Which of the passes found are offered, and
how they are worded, is `issdash.model.passes.upcoming`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from issdash.feeds.clock import ensure_utc
from issdash.feeds.values import Observer
from issdash.model.orbit import BoolArray, FloatArray, OrbitEngine
from issdash.model.passes.brightness import visual_magnitude

__all__ = [
    "OBSERVER_DARK_SUN_ALT_DEG",
    "Pass",
    "SkyPoint",
    "find_events",
    "find_passes",
    "sky_path",
]

# Civil twilight: below this the sky is dark enough to see the station by eye.
OBSERVER_DARK_SUN_ALT_DEG = -6.0
# A pass is described from samples this far apart (plus rise, culmination and set); shadow
# changes between two samples are refined in two rounds of this many points (10 s / 40 / 40:
# about 6 ms).
_PASS_STEP_S = 10.0
_REFINE_POINTS = 41


@dataclass(frozen=True, slots=True)
class Pass:
    """One pass over the observer above the minimum elevation.

    Azimuths are degrees from north through east (0 = N, 90 = E). The visible part is where
    the station is sunlit, the observer's Sun is below -6 degrees and the station is above
    the minimum elevation; `magnitude` is the brightest estimate within it (None when the pass
    is not visible). `shadow_entry` / `shadow_exit` are the moments within [rise, set] when
    the station enters / leaves Earth's shadow, None when it does not.
    """

    rise: datetime
    culminate: datetime
    set: datetime
    max_elevation_deg: float
    visible: bool
    rise_azimuth_deg: float = math.nan
    culminate_azimuth_deg: float = math.nan
    set_azimuth_deg: float = math.nan
    magnitude: float | None = None
    shadow_entry: datetime | None = None
    shadow_exit: datetime | None = None
    visible_from: datetime | None = None
    visible_until: datetime | None = None

    @property
    def duration_s(self) -> float:
        return (self.set - self.rise).total_seconds()


@dataclass(frozen=True, slots=True)
class SkyPoint:
    """Where the station is in the observer's sky at one moment (for the sky chart)."""

    time: datetime
    azimuth_deg: float
    elevation_deg: float
    sunlit: bool
    magnitude: float | None


def find_passes(
    engine: OrbitEngine,
    observer: Observer,
    start: datetime,
    end: datetime,
    min_elevation_deg: float = 10.0,
) -> list[Pass]:
    """Passes above `min_elevation_deg` between `start` and `end`, in time order.

    Rise, culmination and set come from skyfield's event search (to a fraction of a
    second). Each pass is then described in one vectorised evaluation for all passes
    together (`_describe_passes`): azimuths, shadow entry and exit (refined to
    milliseconds), the visible part and the estimated magnitude.
    """
    site = _site(observer)
    t0 = engine.times(ensure_utc(start).timestamp())
    t1 = engine.times(ensure_utc(end).timestamp())
    times, kinds = find_events(engine.satellite, site, t0, t1, min_elevation_deg)
    windows: list[tuple[float, list[float], float]] = []
    rise: float | None = None
    culminations: list[float] = []
    for t, kind in zip(times, kinds, strict=True):
        unix_s = _dt(t).timestamp()
        if kind == 0:
            rise, culminations = unix_s, []
        elif kind == 1 and rise is not None:
            culminations.append(unix_s)
        elif kind == 2 and rise is not None and culminations:
            windows.append((rise, culminations, unix_s))
            rise, culminations = None, []
    return _describe_passes(engine, site, windows)


# skyfield's own pass search (EarthSatellite.find_events), which `find_events` follows: the
# altitude sampled every 0.05 revolution, maxima and crossings refined to half a second, the
# crossings by subdividing each bracket in 8.
_EVENT_STEP_REV = 0.05
_EVENT_EPSILON_S = 0.5
_EVENT_MAXIMA_NUM = 12
_EVENT_CROSSING_NUM = 8


def find_events(
    satellite: Any, site: Any, t0: Any, t1: Any, altitude_degrees: float = 0.0
) -> tuple[Any, Any]:
    """Rises (0), culminations (1) and sets (2) of `satellite` over `site` between skyfield
    times `t0` and `t1`, as skyfield's `EarthSatellite.find_events` returns them.

    An EarthSatellite answers with its own method. Any other vector function centred on the
    Earth (the best-source orbit, `issdash.model.orbit_source.BestOrbit`) gets the same
    search, step for step, with skyfield's public `find_maxima` and the same bracket
    subdivision, on the true topocentric altitude (skyfield's method skips the Earth's
    rotation, which cancels for SGP4's frame but not for vectors given in the GCRS): on
    plain elements both give the same times to a few milliseconds.
    """
    from skyfield.nutationlib import iau2000b_radians
    from skyfield.searchlib import find_maxima
    from skyfield.sgp4lib import EarthSatellite

    if isinstance(satellite, EarthSatellite):
        own: tuple[Any, Any] = satellite.find_events(
            site, t0, t1, altitude_degrees=altitude_degrees
        )
        return own
    ts = t0.ts
    relative = satellite - site
    step_days = _EVENT_STEP_REV * _period_days(satellite)
    epsilon_days = _EVENT_EPSILON_S / 86400.0

    def altitude_at(t: Any) -> Any:
        # IAU 2000B nutation (within a milliarcsecond, centimetres here) instead of the full
        # series, which would be most of the search's cost; set as `OrbitEngine.times` does.
        t._nutation_angles_radians = iau2000b_radians(t)
        with np.errstate(all="ignore"):
            return np.nan_to_num(relative.at(t).altaz()[0].degrees, nan=-90.0)

    altitude_at.step_days = step_days  # type: ignore[attr-defined]
    t_max, altitude = find_maxima(t0, t1, altitude_at, epsilon_days, _EVENT_MAXIMA_NUM)
    jd_max = t_max.tt[altitude >= altitude_degrees]
    # Sample points: the ends, every high enough maximum, and the midpoints between them
    # (the station is below the horizon there); each change between two is a rise or a set.
    doublets = np.repeat(np.concatenate(((t0.tt,), jd_max, (t1.tt,))), 2)
    jd = (doublets[:-1] + doublets[1:]) / 2.0
    end_mask = np.linspace(0.0, 1.0, _EVENT_CROSSING_NUM)
    start_mask = end_mask[::-1]
    while True:
        below = altitude_at(ts.tt_jd(jd)) < altitude_degrees
        changes = np.flatnonzero(np.diff(below))
        starts, ends = jd[changes], jd[changes + 1]
        if not changes.size or (ends - starts).max() <= epsilon_days:
            crossings, rising = ends, ~below[changes + 1]
            break
        jd = (np.multiply.outer(starts, start_mask) + np.multiply.outer(ends, end_mask)).ravel()
    jd_all = np.concatenate((jd_max, crossings))
    kinds = np.concatenate((np.ones(jd_max.size, dtype=np.uint8), np.where(rising, 0, 2)))
    order = jd_all.argsort()
    return ts.tt_jd(jd_all[order]), kinds[order].astype(np.uint8)


def _period_days(satellite: Any) -> float:
    """One revolution in days: from the elements behind the satellite, else the station's."""
    elements_satellite = getattr(satellite, "elements_satellite", None)
    model = getattr(elements_satellite, "model", None)
    if model is not None and model.no_kozai > 0:
        return float(2 * math.pi / model.no_kozai / 1440.0)
    return 92.9 / 1440.0


def _geometry(engine: OrbitEngine, site: Any, unix_s: FloatArray) -> _Geometry:
    """The station seen from `site` at each time, in one vectorised evaluation."""
    from skyfield.functions import mxv

    t = engine.times(unix_s, coarse_nutation=True)
    with np.errstate(all="ignore"):
        station = engine.satellite.at(t)
        station_km = np.asarray(station.xyz.km)
        site_km = np.asarray(site.at(t).xyz.km)
        sun_km = np.asarray(engine.sun_from_earth.at(t).xyz.km)
        # GCRS to the observer's horizon frame: x north, y east, z up.
        rotation = site.rotation_at(t)
        look = mxv(rotation, station_km - site_km)
        sun_look = mxv(rotation, sun_km - site_km)
        elevation = np.degrees(np.arctan2(look[2], np.hypot(look[0], look[1])))
        azimuth = np.degrees(np.arctan2(look[1], look[0])) % 360.0
        sun_elevation = np.degrees(np.arctan2(sun_look[2], np.hypot(sun_look[0], sun_look[1])))
        range_km = np.linalg.norm(station_km - site_km, axis=0)
        # The phase angle: at the station, between the Sun and the observer.
        to_sun = sun_km - station_km
        to_site = site_km - station_km
        cos_phase = np.sum(to_sun * to_site, axis=0) / (np.linalg.norm(to_sun, axis=0) * range_km)
        phase = np.degrees(np.arccos(np.clip(cos_phase, -1.0, 1.0)))
        sunlit = np.asarray(station.is_sunlit(engine.ephemeris), dtype=bool)
    return _Geometry(
        unix_s=np.asarray(unix_s, dtype=np.float64),
        azimuth_deg=np.atleast_1d(azimuth),
        elevation_deg=np.atleast_1d(elevation),
        range_km=np.atleast_1d(range_km),
        phase_deg=np.atleast_1d(phase),
        sun_elevation_deg=np.atleast_1d(sun_elevation),
        sunlit=np.atleast_1d(sunlit),
    )


def _shadow_changes(engine: OrbitEngine, lo_s: FloatArray, hi_s: FloatArray) -> FloatArray:
    """For brackets [lo, hi] across which the light changes, the first moment in the new
    state (to about 5 ms): two vectorised rounds of `_REFINE_POINTS` samples each, every
    bracket at once, on skyfield's own `is_sunlit` (the definition the tests check)."""
    lo, hi = lo_s.copy(), hi_s.copy()
    if lo.size == 0:
        return hi
    fraction = np.linspace(0.0, 1.0, _REFINE_POINTS)
    for _ in range(2):
        grid = lo[:, None] + (hi - lo)[:, None] * fraction[None, :]
        lit = engine.sunlit(grid.ravel()).reshape(grid.shape)
        flipped = lit != lit[:, :1]
        # The first sample in the new state (the bracket's end if rounding hid it).
        first = np.where(flipped.any(axis=1), flipped.argmax(axis=1), _REFINE_POINTS - 1)
        first = np.maximum(first, 1)
        rows = np.arange(grid.shape[0])
        lo, hi = grid[rows, first - 1], grid[rows, first]
    return hi


def _describe_passes(
    engine: OrbitEngine, site: Any, windows: list[tuple[float, list[float], float]]
) -> list[Pass]:
    if not windows:
        return []
    # Samples of every pass in one array: rise, every culmination, a step grid, the set.
    chunks: list[FloatArray] = []
    for rise, culminations, set_ in windows:
        grid = np.arange(rise, set_, _PASS_STEP_S)
        chunks.append(np.unique(np.concatenate([grid, culminations, [rise, set_]])))
    bounds = np.cumsum([0] + [c.size for c in chunks])
    geo = _geometry(engine, site, np.concatenate(chunks))
    # Shadow changes inside every pass, refined together.
    lit = geo.sunlit
    change = np.flatnonzero(lit[1:] != lit[:-1])
    same_pass = np.searchsorted(bounds, change, side="right") == np.searchsorted(
        bounds, change + 1, side="right"
    )
    change = change[same_pass]
    change_s = _shadow_changes(engine, geo.unix_s[change], geo.unix_s[change + 1])
    entering = lit[change]  # lit before the change: it enters the shadow
    passes: list[Pass] = []
    visible_spans: list[tuple[int, float, float]] = []
    for i, (rise, culminations, set_) in enumerate(windows):
        lo, hi = int(bounds[i]), int(bounds[i + 1])
        unix_s = geo.unix_s[lo:hi]
        at_culm = lo + np.searchsorted(unix_s, culminations)
        best = int(at_culm[np.argmax(geo.elevation_deg[at_culm])])
        mine = (change >= lo) & (change < hi - 1)
        entries = change_s[mine & entering]
        exits = change_s[mine & ~entering]
        span = _visible_span(
            unix_s, lit[lo:hi], geo.sun_elevation_deg[lo:hi], change_s[mine], entering[mine]
        )
        if span is not None:
            visible_spans.append((len(passes), span[0], span[1]))
        passes.append(
            Pass(
                rise=_utc(rise),
                culminate=_utc(float(geo.unix_s[best])),
                set=_utc(set_),
                max_elevation_deg=float(geo.elevation_deg[best]),
                visible=span is not None,
                rise_azimuth_deg=float(geo.azimuth_deg[lo]),
                culminate_azimuth_deg=float(geo.azimuth_deg[best]),
                set_azimuth_deg=float(geo.azimuth_deg[hi - 1]),
                shadow_entry=_utc(float(entries[0])) if entries.size else None,
                shadow_exit=_utc(float(exits[0])) if exits.size else None,
                visible_from=_utc(span[0]) if span else None,
                visible_until=_utc(span[1]) if span else None,
            )
        )
    return _with_magnitudes(engine, site, passes, visible_spans, geo)


def _with_magnitudes(
    engine: OrbitEngine,
    site: Any,
    passes: list[Pass],
    spans: list[tuple[int, float, float]],
    geo: _Geometry,
) -> list[Pass]:
    """Each visible pass with its brightest estimated magnitude: the samples inside its
    visible part and the part's two ends (where it often fades into shadow)."""
    if not spans:
        return passes
    ends = _geometry(engine, site, np.array([t for _, a, b in spans for t in (a, b)]))
    result = list(passes)
    for k, (index, start_s, end_s) in enumerate(spans):
        inside = np.flatnonzero((geo.unix_s >= start_s) & (geo.unix_s <= end_s))
        candidates = [
            visual_magnitude(float(geo.range_km[j]), float(geo.phase_deg[j])) for j in inside
        ]
        candidates += [
            visual_magnitude(float(ends.range_km[j]), float(ends.phase_deg[j]))
            for j in (2 * k, 2 * k + 1)
        ]
        known = [m for m in candidates if m is not None]
        result[index] = replace(passes[index], magnitude=min(known) if known else None)
    return result


def sky_path(
    engine: OrbitEngine, observer: Observer, start: datetime, end: datetime, step_s: float = 10.0
) -> tuple[SkyPoint, ...]:
    """The station's track in the observer's sky from `start` to `end`: both ends and
    every time between on a whole multiple of `step_s` (so with a step dividing 60, the
    samples on whole minutes are there for the chart's ticks). Magnitude where the
    station is up, sunlit and the observer's sky dark, else None."""
    if not step_s > 0:
        raise ValueError("step_s must be positive")
    t0, t1 = ensure_utc(start).timestamp(), ensure_utc(end).timestamp()
    if t1 < t0:
        return ()
    first = math.floor(t0 / step_s) * step_s + step_s
    grid = np.arange(first, t1, step_s, dtype=np.float64)
    unix_s = np.unique(np.concatenate([[t0], grid, [t1]]))
    geo = _geometry(engine, _site(observer), unix_s)
    points = []
    for j in range(unix_s.size):
        seen = (
            bool(geo.sunlit[j])
            and geo.sun_elevation_deg[j] < OBSERVER_DARK_SUN_ALT_DEG
            and geo.elevation_deg[j] > 0.0
        )
        points.append(
            SkyPoint(
                time=_utc(float(unix_s[j])),
                azimuth_deg=float(geo.azimuth_deg[j]),
                elevation_deg=float(geo.elevation_deg[j]),
                sunlit=bool(geo.sunlit[j]),
                magnitude=visual_magnitude(float(geo.range_km[j]), float(geo.phase_deg[j]))
                if seen
                else None,
            )
        )
    return tuple(points)


@dataclass(frozen=True, slots=True)
class _Geometry:
    """The station seen from one site at `unix_s` times (vectors of equal length)."""

    unix_s: FloatArray
    azimuth_deg: FloatArray
    elevation_deg: FloatArray
    range_km: FloatArray
    phase_deg: FloatArray
    sun_elevation_deg: FloatArray
    sunlit: BoolArray


def _visible_span(
    unix_s: FloatArray,
    lit: BoolArray,
    sun_elevation_deg: FloatArray,
    change_s: FloatArray,
    entering: BoolArray,
) -> tuple[float, float] | None:
    """The visible part of one pass (its samples from rise to set): from the first moment the
    station is sunlit under a dark sky to the last, or None.

    The pass is cut at every shadow change (exact) and every crossing of the Sun through
    -6 degrees (interpolated between samples: the Sun moves 0.04 degrees in 10 s); each piece
    is lit or not and dark or not throughout, judged at its middle.
    """
    dark_edge = sun_elevation_deg - OBSERVER_DARK_SUN_ALT_DEG
    cross = np.flatnonzero(np.sign(dark_edge[1:]) != np.sign(dark_edge[:-1]))
    a, b = dark_edge[cross], dark_edge[cross + 1]
    dusk_s = unix_s[cross] + (unix_s[cross + 1] - unix_s[cross]) * a / (a - b)
    cuts = np.unique(np.concatenate([unix_s[:1], change_s, dusk_s, unix_s[-1:]]))
    visible: list[tuple[float, float]] = []
    for lo, hi in itertools.pairwise(cuts):
        middle = (lo + hi) / 2.0
        # Light in the piece: the state at rise, flipped by each change before the middle.
        before = change_s < middle
        is_lit = bool(~entering[before][-1]) if before.any() else bool(lit[0])
        is_dark = float(np.interp(middle, unix_s, sun_elevation_deg)) < OBSERVER_DARK_SUN_ALT_DEG
        if is_lit and is_dark and hi > lo:
            visible.append((float(lo), float(hi)))
    if not visible:
        return None
    return visible[0][0], visible[-1][1]


def _site(observer: Observer) -> Any:
    """The observer as a skyfield place on the WGS84 ellipsoid."""
    from skyfield.toposlib import wgs84

    return wgs84.latlon(
        observer.latitude_deg, observer.longitude_deg, elevation_m=observer.altitude_m
    )


def _dt(t: Any) -> datetime:
    return ensure_utc(t.utc_datetime())


def _utc(unix_s: float) -> datetime:
    return datetime.fromtimestamp(unix_s, tz=UTC)
