"""The orbit engine: SGP4 propagation of the station with skyfield, fully offline.

The timescale is skyfield's built-in one and the planetary ephemeris (de421, for the Sun) comes
from the skyfield-data package, so nothing is ever downloaded. Everything that can be is
vectorised over numpy arrays of times: one call propagates a whole ground track.
"""

from __future__ import annotations

import itertools
import math
import warnings
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from issdash.feeds.clock import ensure_utc
from issdash.feeds.elements import MAX_ALTITUDE_KM, MIN_ALTITUDE_KM, physical_problem, satrec
from issdash.feeds.values import ElementSet, Observer, PositionFix
from issdash.model.passes.brightness import visual_magnitude

# Mean Earth radius, for great-circle distances and the footprint (the horizon circle).
EARTH_RADIUS_KM = 6371.0088
# Civil twilight: below this the sky is dark enough to see the station by eye.
OBSERVER_DARK_SUN_ALT_DEG = -6.0
# Fine enough that a rising edge or a shadow entry is never stepped over.
_TRACK_STEP_S = 15.0
_SHADOW_STEP_S = 20.0
_NO_CHANGE_KEPT_S = 60.0
_SHADOW_REFINE_POINTS = 65  # 20 s in 64 intervals: the change is known to 0.31 s
# A pass is described from samples this far apart (plus rise, culmination and set); shadow
# changes between two samples are refined in two rounds of this many points (10 s / 40 / 40:
# about 6 ms).
_PASS_STEP_S = 10.0
_REFINE_POINTS = 41

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

# Zarya, the station's first module, was launched on 1998-11-20 at 06:40 UTC: the station's
# orbit count starts there. The TLE's revolution field has five digits and wraps at 100,000.
ZARYA_LAUNCH = datetime(1998, 11, 20, 6, 40, tzinfo=UTC)
_REV_FIELD_WRAP = 100_000
# The station has flown 15.5-15.8 revolutions a day (330-430 km); the middle of that is off by
# under 2,000 revolutions after 25 years, far less than the 50,000 that would pick the wrong
# wrap of the 5-digit field.
_MEAN_REVS_PER_DAY = 15.6
# Orbit counting steps through the days since the epoch one at a time (see `orbit_number`);
# beyond this many the elements are meaningless anyway and the count is a linear estimate.
_MAX_COUNTED_DAYS = 3660


class ElementsUnusable(ValueError):
    """Propagation gave a state that is not the station's (NaN, underground, escaping):
    the elements cannot be used at that time."""


@cache
def _skyfield() -> tuple[Any, Any]:
    """Timescale and ephemeris, loaded once, lazily (importing skyfield costs ~0.2 s)."""
    from skyfield.api import Loader, load

    with warnings.catch_warnings():
        # skyfield-data warns that its bundled Earth-orientation table has expired; we use
        # skyfield's built-in timescale, not that table, so the warning does not apply.
        warnings.simplefilter("ignore", RuntimeWarning)
        from skyfield_data import get_skyfield_data_path

        path = get_skyfield_data_path()
    timescale = load.timescale(builtin=True)
    ephemeris = Loader(path, expire=False, verbose=False)("de421.bsp")
    return timescale, ephemeris


@dataclass(frozen=True, slots=True)
class StationState:
    """The station at one instant, from local propagation."""

    time: datetime
    latitude_deg: float
    longitude_deg: float
    altitude_km: float
    speed_km_s: float
    sunlit: bool
    orbit_number: int


@dataclass(frozen=True, slots=True)
class GroundTrack:
    """Sub-satellite points at `unix_s` times (vectors of equal length)."""

    unix_s: FloatArray
    latitude_deg: FloatArray
    longitude_deg: FloatArray

    def between(self, start: datetime, end: datetime) -> GroundTrack:
        lo, hi = np.searchsorted(self.unix_s, [start.timestamp(), end.timestamp()])
        return GroundTrack(self.unix_s[lo:hi], self.latitude_deg[lo:hi], self.longitude_deg[lo:hi])


@dataclass(frozen=True, slots=True)
class _LightSpan:
    """From `start_s` until `end_s` (unix seconds) the station is `sunlit` throughout;
    `change` is the shadow entry or exit at `end_s`, or None if none was found."""

    start_s: float
    end_s: float
    sunlit: bool
    change: datetime | None


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


class OrbitEngine:
    """Propagates one element set. Cheap to keep; build a new one when elements change."""

    def __init__(self, elements: ElementSet) -> None:
        from skyfield.api import EarthSatellite

        self.elements = elements
        timescale, ephemeris = _skyfield()
        self._ts = timescale
        self._sun = ephemeris["sun"]
        self._earth = ephemeris["earth"]
        self._eph = ephemeris
        if elements.tle_line1 and elements.tle_line2:
            self._sat = EarthSatellite(
                elements.tle_line1, elements.tle_line2, elements.name, timescale
            )
        else:
            assert elements.omm is not None  # guaranteed by the model's validator
            self._sat = EarthSatellite.from_omm(timescale, dict(elements.omm))
        self._track_cache: GroundTrack | None = None
        # A dashboard asks about the same light span and the same API fix every second;
        # these one-entry caches answer those repeats without touching the ephemeris.
        self._light: _LightSpan | None = None
        self._residual: tuple[PositionFix, float] | None = None
        self._subsolar: tuple[float, tuple[float, float]] | None = None
        # Orbit counting: revolutions completed since the epoch at whole days from it, filled in
        # as needed (see `orbit_number`).
        self._node_anchors: dict[int, int] = {0: 0}
        self._rev_at_epoch = full_revolution_number(elements)
        # The TLE's count belongs to the revolution begun at the last *mean* ascending node
        # (mean argument of latitude 0) before the epoch. The real crossing, which the count
        # here follows, is a few seconds from the mean one; when the epoch falls between the
        # two (ISS sets are dated at the node, so it often does), the real crossing that
        # starts the TLE's revolution is just after the epoch: one less until then.
        mean_u_rev = ((elements.arg_perigee_deg + elements.mean_anomaly_deg) / 360.0) % 1.0
        try:
            self._count_offset = round(mean_u_rev - self._u_rev(elements.epoch))
        except ElementsUnusable:
            self._count_offset = 0

    # -- time helpers -------------------------------------------------------------------

    def _times(self, unix_s: FloatArray | float, *, coarse_nutation: bool = False) -> Any:
        """skyfield Time(s) for unix seconds, vectorised (ts.utc accepts second arrays).

        Unix time skips leap seconds while `ts.utc(..., seconds)` counts them, so offsets are
        taken from a calendar instant inside the span rather than from 1970 (which would put
        the station 37 s, about 280 km, off).

        `coarse_nutation` swaps the full IAU 2000A nutation series (1,365 terms, most of the
        cost of a vectorised track) for IAU 2000B (77 terms, within 1 milliarcsecond, about
        3 cm on the ground). Tracks and shadow searches use it; the station's own position
        keeps the full series.
        """
        base_s = float(np.min(unix_s))
        base = datetime.fromtimestamp(math.floor(base_s), tz=UTC)
        offsets: FloatArray | float = np.asarray(unix_s, dtype=np.float64) - math.floor(base_s)
        if np.ndim(unix_s) == 0:
            offsets = float(np.asarray(offsets))
        t = self._ts.utc(
            base.year, base.month, base.day, base.hour, base.minute, base.second + offsets
        )
        if coarse_nutation:
            from skyfield.nutationlib import iau2000b_radians

            # Setting the angles on the Time is the pattern skyfield keeps supporting for this
            # (see `Time._nutation_angles` in skyfield/timelib.py).
            t._nutation_angles_radians = iau2000b_radians(t)
        return t

    # -- the station now ----------------------------------------------------------------

    @property
    def period_min(self) -> float:
        return self.elements.period_min

    def elements_age_h(self, at: datetime) -> float:
        return (ensure_utc(at) - self.elements.epoch).total_seconds() / 3600.0

    def state_at(self, at: datetime) -> StationState:
        """The station at `at`; `ElementsUnusable` when the elements give nonsense then."""
        from skyfield.api import wgs84

        at = ensure_utc(at)
        problem = physical_problem(self.elements, at)
        if problem is not None:
            raise ElementsUnusable(problem)
        t = self._times(at.timestamp())
        geocentric = self._sat.at(t)
        lat, lon = wgs84.latlon_of(geocentric)
        sunlit = self._known_sunlit(at.timestamp())
        state = StationState(
            time=at,
            latitude_deg=float(lat.degrees),
            longitude_deg=float(lon.degrees),
            altitude_km=float(wgs84.height_of(geocentric).km),
            speed_km_s=float(np.linalg.norm(geocentric.velocity.km_per_s)),
            sunlit=bool(geocentric.is_sunlit(self._eph)) if sunlit is None else sunlit,
            orbit_number=self.orbit_number(at),
        )
        numbers = (state.latitude_deg, state.longitude_deg, state.altitude_km, state.speed_km_s)
        if not all(math.isfinite(x) for x in numbers):
            raise ElementsUnusable(f"propagates to non-finite numbers at {at:%Y-%m-%d %H:%M}Z")
        return state

    def orbit_number(self, at: datetime) -> int:
        """The station's revolution number at `at`, counted from Zarya's launch and stepping
        at each ascending node (latitude crossing zero northbound).

        The TLE's count at epoch has its 5-digit wrap resolved (`full_revolution_number`). How
        far into its revolution the station is comes from the propagated state itself (the
        argument of latitude, exact whatever the drift of perigee and mean anomaly); only the
        whole number of revolutions is estimated, from the secular rate over one day at a
        time, which is good to a small fraction of a revolution. Days already counted are
        kept, so a second-by-second tick costs one propagation.
        """
        at = ensure_utc(at)
        days = (at - self.elements.epoch).total_seconds() / 86400.0
        if abs(days) > _MAX_COUNTED_DAYS:
            return self._rev_at_epoch + math.floor(
                self._u_rev(self.elements.epoch) + self.elements.mean_motion_rev_day * days
            )
        whole = int(days)  # towards zero
        try:
            completed = self._completed_at_day(whole)
            u_anchor = self._u_rev(self.elements.epoch + timedelta(days=whole))
            u_now = self._u_rev(at)
        except ElementsUnusable:
            return self._rev_at_epoch + math.floor(
                self._u_rev_or_zero(self.elements.epoch) + self.elements.mean_motion_rev_day * days
            )
        phase = completed + u_anchor + self._revs_per_day * (days - whole)
        return self._rev_at_epoch + self._count_offset + round(phase - u_now)

    @property
    def _revs_per_day(self) -> float:
        sat = satrec(self.elements)
        # Mean anomaly plus argument of perigee: the mean argument of latitude's secular rate.
        return float((sat.mdot + sat.argpdot) * 1440.0 / (2 * math.pi))

    def _completed_at_day(self, day: int) -> int:
        """Ascending nodes passed between the epoch and `day` whole days from it."""
        anchors = self._node_anchors
        if day in anchors:
            return anchors[day]
        step = 1 if day > 0 else -1
        known = max((d for d in anchors if d * step >= 0 and abs(d) <= abs(day)), key=abs)
        completed = anchors[known]
        u_prev = self._u_rev(self.elements.epoch + timedelta(days=known))
        for d in range(known + step, day + step, step):
            u = self._u_rev(self.elements.epoch + timedelta(days=d))
            completed = round(completed + u_prev + self._revs_per_day * step - u)
            anchors[d] = completed
            u_prev = u
        return completed

    def _u_rev(self, at: datetime) -> float:
        """Argument of latitude at `at` in revolutions, [0, 1): 0 at the ascending node."""
        from sgp4.api import jday

        at = ensure_utc(at)
        jd, fr = jday(
            at.year, at.month, at.day, at.hour, at.minute, at.second + at.microsecond / 1e6
        )
        error, r, v = satrec(self.elements).sgp4(jd, fr)
        if error or not all(math.isfinite(x) for x in (*r, *v)):
            raise ElementsUnusable(f"SGP4 error {error}")
        rv = np.array(r)
        h = np.cross(rv, np.array(v))
        node = np.array([-h[1], h[0], 0.0])  # towards the ascending node, in the equator
        sin_u = float(np.dot(np.cross(node, rv), h)) / float(np.linalg.norm(h))
        u = math.atan2(sin_u, float(np.dot(node, rv)))
        return (u / (2 * math.pi)) % 1.0

    def _u_rev_or_zero(self, at: datetime) -> float:
        try:
            return self._u_rev(at)
        except ElementsUnusable:
            return 0.0

    def subsolar_point(self, at: datetime) -> tuple[float, float]:
        """Latitude and longitude (degrees) where the Sun is overhead."""
        from skyfield.api import wgs84

        unix_s = ensure_utc(at).timestamp()
        if self._subsolar is not None and self._subsolar[0] == unix_s:
            return self._subsolar[1]
        lat, lon = wgs84.latlon_of((self._sun - self._earth).at(self._times(unix_s)))
        point = (float(lat.degrees), float(lon.degrees))
        self._subsolar = (unix_s, point)
        return point

    # -- tracks -------------------------------------------------------------------------

    def ground_track(
        self, start: datetime, end: datetime, step_s: float = _TRACK_STEP_S
    ) -> GroundTrack:
        """Sub-satellite points from `start` to `end`, one propagation call for all of them."""
        from skyfield.api import wgs84

        t0 = ensure_utc(start).timestamp()
        t1 = ensure_utc(end).timestamp()
        unix_s = np.arange(t0, t1 + step_s / 2, step_s, dtype=np.float64)
        with np.errstate(all="ignore"):
            position = self._sat.at(self._times(unix_s, coarse_nutation=True))
            lat, lon = wgs84.latlon_of(position)
            radius_km = np.linalg.norm(np.asarray(position.position.km), axis=0)
        lat_deg, lon_deg = np.asarray(lat.degrees), np.asarray(lon.degrees)
        # Elements that decay into nonsense part of the way along give NaN there, or (where
        # SGP4 reports an error) finite numbers underground: those points are left out rather
        # than drawn (a NaN reaching the map's rasteriser is a crash, a point underground a lie).
        altitude_km = radius_km - EARTH_RADIUS_KM
        keep = (
            np.isfinite(lat_deg)
            & np.isfinite(lon_deg)
            & (altitude_km >= MIN_ALTITUDE_KM)
            & (altitude_km <= MAX_ALTITUDE_KM)
        )
        if not keep.all():
            unix_s, lat_deg, lon_deg = unix_s[keep], lat_deg[keep], lon_deg[keep]
        return GroundTrack(unix_s, lat_deg, lon_deg)

    def track_window(self, at: datetime, past_s: float, future_s: float) -> GroundTrack:
        """The track from `at - past_s` to `at + future_s`.

        Propagating a few hundred points costs milliseconds, so a span about one orbit longer
        than asked is computed once and sliced as time moves on; it is recomputed only when
        the window slides off its end.
        """
        at = ensure_utc(at)
        start = at - timedelta(seconds=past_s)
        end = at + timedelta(seconds=future_s)
        cached = self._track_cache
        if (
            cached is None
            or cached.unix_s.size == 0
            or cached.unix_s[0] > start.timestamp()
            or cached.unix_s[-1] < end.timestamp()
        ):
            margin = timedelta(minutes=self.period_min)
            cached = self.ground_track(start - timedelta(minutes=5), end + margin)
            self._track_cache = cached
        return cached.between(start, end)

    def footprint(
        self, latitude_deg: float, longitude_deg: float, altitude_km: float, points: int = 120
    ) -> tuple[FloatArray, FloatArray]:
        """The horizon circle: where the station is at 0 degrees elevation."""
        radius_rad = footprint_radius_rad(altitude_km)
        bearing = np.linspace(0.0, 2 * math.pi, points, endpoint=True)
        lat1, lon1 = math.radians(latitude_deg), math.radians(longitude_deg)
        lat2 = np.arcsin(
            math.sin(lat1) * math.cos(radius_rad)
            + math.cos(lat1) * math.sin(radius_rad) * np.cos(bearing)
        )
        lon2 = lon1 + np.arctan2(
            np.sin(bearing) * math.sin(radius_rad) * math.cos(lat1),
            math.cos(radius_rad) - math.sin(lat1) * np.sin(lat2),
        )
        lon_deg = (np.degrees(lon2) + 180.0) % 360.0 - 180.0
        return np.degrees(lat2), lon_deg

    # -- light and shadow ---------------------------------------------------------------

    def sunlit(self, unix_s: FloatArray) -> BoolArray:
        times = self._times(unix_s, coarse_nutation=True)
        return np.asarray(self._sat.at(times).is_sunlit(self._eph), dtype=bool)

    def next_shadow_change(self, at: datetime) -> datetime | None:
        """When the station next enters or leaves Earth's shadow (within ~1.2 orbits).

        The answer holds until that change, so it is kept: asking again at any time before
        it costs nothing, and `state_at` reads its light from it too.
        """
        t0 = ensure_utc(at).timestamp()
        known = self._light
        if known is not None and known.start_s <= t0 < known.end_s:
            return known.change
        span = self.period_min * 60 * 1.2
        grid = np.arange(t0, t0 + span, _SHADOW_STEP_S)
        lit = self.sunlit(grid)
        changes = np.flatnonzero(lit[1:] != lit[:-1])
        if changes.size == 0:
            # "No change within the search" holds for this start only: a search begun later
            # reaches further. Keep the answer for a minute, then look again.
            self._light = _LightSpan(t0, t0 + _NO_CHANGE_KEPT_S, bool(lit[0]), None)
            return None
        lo, hi = float(grid[changes[0]]), float(grid[changes[0] + 1])
        lit_lo = bool(lit[changes[0]])
        # Refine inside the 20 s step with one vectorised call (0.31 s apart) rather than
        # a bisection of six separate calls.
        fine = np.linspace(lo, hi, _SHADOW_REFINE_POINTS)
        flipped = np.flatnonzero(self.sunlit(fine) != lit_lo)
        if flipped.size:
            first = max(int(flipped[0]), 1)
            lo, hi = float(fine[first - 1]), float(fine[first])
        change = datetime.fromtimestamp(hi, tz=UTC)
        # Up to `lo` the light is known to be unchanged; `hi` is what the screen announces.
        self._light = _LightSpan(t0, lo, lit_lo, change)
        return change

    def _known_sunlit(self, unix_s: float) -> bool | None:
        known = self._light
        if known is not None and known.start_s <= unix_s < known.end_s:
            return known.sunlit
        return None

    # -- the cross-check ----------------------------------------------------------------

    def residual_km(self, fix: PositionFix) -> float:
        """Distance along the ground between an API fix and our propagation at its timestamp."""
        if self._residual is not None and self._residual[0] == fix:
            return self._residual[1]
        residual = self._residual_km(fix)
        self._residual = (fix, residual)
        return residual

    def _residual_km(self, fix: PositionFix) -> float:
        t = self._times(fix.timestamp.timestamp())
        position = self._sat.at(t)
        if fix.latitude_is_geocentric:
            x, y, z = _itrs_km(position)
            lat = math.degrees(math.atan2(z, math.hypot(x, y)))
            lon = math.degrees(math.atan2(y, x))
        else:
            from skyfield.api import wgs84

            lat_a, lon_a = wgs84.latlon_of(position)
            lat, lon = float(lat_a.degrees), float(lon_a.degrees)
        return great_circle_km(lat, lon, fix.latitude_deg, fix.longitude_deg)

    # -- passes -------------------------------------------------------------------------

    def passes(
        self,
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
        from skyfield.api import wgs84

        site = wgs84.latlon(
            observer.latitude_deg, observer.longitude_deg, elevation_m=observer.altitude_m
        )
        t0 = self._times(ensure_utc(start).timestamp())
        t1 = self._times(ensure_utc(end).timestamp())
        times, kinds = self._sat.find_events(site, t0, t1, altitude_degrees=min_elevation_deg)
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
        return self._describe_passes(site, windows)

    def _geometry(self, site: Any, unix_s: FloatArray) -> _Geometry:
        """The station seen from `site` at each time, in one vectorised evaluation."""
        from skyfield.functions import mxv

        t = self._times(unix_s, coarse_nutation=True)
        with np.errstate(all="ignore"):
            station = self._sat.at(t)
            station_km = np.asarray(station.xyz.km)
            site_km = np.asarray(site.at(t).xyz.km)
            sun_km = np.asarray((self._sun - self._earth).at(t).xyz.km)
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
            cos_phase = np.sum(to_sun * to_site, axis=0) / (
                np.linalg.norm(to_sun, axis=0) * range_km
            )
            phase = np.degrees(np.arccos(np.clip(cos_phase, -1.0, 1.0)))
            sunlit = np.asarray(station.is_sunlit(self._eph), dtype=bool)
        return _Geometry(
            unix_s=np.asarray(unix_s, dtype=np.float64),
            azimuth_deg=np.atleast_1d(azimuth),
            elevation_deg=np.atleast_1d(elevation),
            range_km=np.atleast_1d(range_km),
            phase_deg=np.atleast_1d(phase),
            sun_elevation_deg=np.atleast_1d(sun_elevation),
            sunlit=np.atleast_1d(sunlit),
        )

    def _shadow_changes(self, lo_s: FloatArray, hi_s: FloatArray) -> FloatArray:
        """For brackets [lo, hi] across which the light changes, the first moment in the new
        state (to about 5 ms): two vectorised rounds of `_REFINE_POINTS` samples each, every
        bracket at once, on skyfield's own `is_sunlit` (the definition the tests check)."""
        lo, hi = lo_s.copy(), hi_s.copy()
        if lo.size == 0:
            return hi
        fraction = np.linspace(0.0, 1.0, _REFINE_POINTS)
        for _ in range(2):
            grid = lo[:, None] + (hi - lo)[:, None] * fraction[None, :]
            lit = self.sunlit(grid.ravel()).reshape(grid.shape)
            flipped = lit != lit[:, :1]
            # The first sample in the new state (the bracket's end if rounding hid it).
            first = np.where(flipped.any(axis=1), flipped.argmax(axis=1), _REFINE_POINTS - 1)
            first = np.maximum(first, 1)
            rows = np.arange(grid.shape[0])
            lo, hi = grid[rows, first - 1], grid[rows, first]
        return hi

    def _describe_passes(
        self, site: Any, windows: list[tuple[float, list[float], float]]
    ) -> list[Pass]:
        if not windows:
            return []
        # Samples of every pass in one array: rise, every culmination, a step grid, the set.
        chunks: list[FloatArray] = []
        for rise, culminations, set_ in windows:
            grid = np.arange(rise, set_, _PASS_STEP_S)
            chunks.append(np.unique(np.concatenate([grid, culminations, [rise, set_]])))
        bounds = np.cumsum([0] + [c.size for c in chunks])
        geo = self._geometry(site, np.concatenate(chunks))
        # Shadow changes inside every pass, refined together.
        lit = geo.sunlit
        change = np.flatnonzero(lit[1:] != lit[:-1])
        same_pass = np.searchsorted(bounds, change, side="right") == np.searchsorted(
            bounds, change + 1, side="right"
        )
        change = change[same_pass]
        change_s = self._shadow_changes(geo.unix_s[change], geo.unix_s[change + 1])
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
        return self._with_magnitudes(site, passes, visible_spans, geo)

    def _with_magnitudes(
        self,
        site: Any,
        passes: list[Pass],
        spans: list[tuple[int, float, float]],
        geo: _Geometry,
    ) -> list[Pass]:
        """Each visible pass with its brightest estimated magnitude: the samples inside its
        visible part and the part's two ends (where it often fades into shadow)."""
        if not spans:
            return passes
        ends = self._geometry(site, np.array([t for _, a, b in spans for t in (a, b)]))
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
        self, observer: Observer, start: datetime, end: datetime, step_s: float = 10.0
    ) -> tuple[SkyPoint, ...]:
        """The station's track in the observer's sky from `start` to `end`: both ends and
        every time between on a whole multiple of `step_s` (so with a step dividing 60, the
        samples on whole minutes are there for the chart's ticks). Magnitude where the
        station is up, sunlit and the observer's sky dark, else None."""
        from skyfield.api import wgs84

        if not step_s > 0:
            raise ValueError("step_s must be positive")
        t0, t1 = ensure_utc(start).timestamp(), ensure_utc(end).timestamp()
        if t1 < t0:
            return ()
        first = math.floor(t0 / step_s) * step_s + step_s
        grid = np.arange(first, t1, step_s, dtype=np.float64)
        unix_s = np.unique(np.concatenate([[t0], grid, [t1]]))
        site = wgs84.latlon(
            observer.latitude_deg, observer.longitude_deg, elevation_m=observer.altitude_m
        )
        geo = self._geometry(site, unix_s)
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


def footprint_radius_rad(altitude_km: float) -> float:
    """Earth-central angle from the sub-point to the horizon seen from `altitude_km` (0 for
    an altitude at or below the ground, never a math domain error)."""
    if not altitude_km > 0.0:  # also catches NaN
        return 0.0
    return math.acos(EARTH_RADIUS_KM / (EARTH_RADIUS_KM + altitude_km))


def full_revolution_number(elements: ElementSet) -> int:
    """The revolution count at epoch with the 5-digit wrap of the TLE field resolved: of the
    counts that end in the field's digits, the one nearest to what the station has flown since
    Zarya's launch (about 150,400 at 2025-04-07, where the field says 50,420)."""
    days = (elements.epoch - ZARYA_LAUNCH).total_seconds() / 86400.0
    expected = max(0.0, days * _MEAN_REVS_PER_DAY)
    field = elements.rev_at_epoch % _REV_FIELD_WRAP
    wraps = max(0, round((expected - field) / _REV_FIELD_WRAP))
    return field + wraps * _REV_FIELD_WRAP


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def split_at_antimeridian(
    latitude_deg: FloatArray, longitude_deg: FloatArray
) -> list[tuple[FloatArray, FloatArray]]:
    """Cut a track into runs that never jump across the map's edge.

    Consecutive samples more than 180 degrees of longitude apart crossed the antimeridian;
    drawing straight between them would put a line across the whole map.
    """
    if latitude_deg.size == 0:
        return []
    jumps = np.flatnonzero(np.abs(np.diff(longitude_deg)) > 180.0) + 1
    lat_runs = np.split(latitude_deg, jumps)
    lon_runs = np.split(longitude_deg, jumps)
    return [(la, lo) for la, lo in zip(lat_runs, lon_runs, strict=True) if la.size]


def _itrs_km(position: Any) -> tuple[float, float, float]:
    from skyfield.framelib import itrs

    x, y, z = position.frame_xyz(itrs).km
    return float(x), float(y), float(z)


def _dt(t: Any) -> datetime:
    return ensure_utc(t.utc_datetime())


def _utc(unix_s: float) -> datetime:
    return datetime.fromtimestamp(unix_s, tz=UTC)
