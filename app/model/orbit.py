"""The orbit engine: SGP4 propagation of the station with skyfield, fully offline: where the
station is, its light and shadow, its ground tracks and orbit count. Passes over an observer
are found and described from it by `issdash.model.passes.finder`.

The timescale is skyfield's built-in one and the planetary ephemeris (de421, for the Sun) comes
from the skyfield-data package, so nothing is ever downloaded. Everything that can be is
vectorised over numpy arrays of times: one call propagates a whole ground track.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray
from sgp4.api import jday

from issdash.feeds.clock import ensure_utc
from issdash.feeds.elements import MAX_ALTITUDE_KM, MIN_ALTITUDE_KM, physical_problem, satrec
from issdash.feeds.values import ZARYA_LAUNCH, ElementSet, PositionFix

if TYPE_CHECKING:
    from collections.abc import Mapping

    from issdash.model.orbit_source import ComparedKind, Disagreement, OrbitInputs, SourceAt

# Mean Earth radius, for great-circle distances and the footprint (the horizon circle).
EARTH_RADIUS_KM = 6371.0088
# Fine enough that a rising edge or a shadow entry is never stepped over.
_TRACK_STEP_S = 15.0
_SHADOW_STEP_S = 20.0
_NO_CHANGE_KEPT_S = 60.0
_SHADOW_REFINE_POINTS = 65  # 20 s in 64 intervals: the change is known to 0.31 s

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

# The station's orbit count starts at Zarya's launch (`ZARYA_LAUNCH`). The TLE's revolution
# field has five digits and wraps at 100,000.
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
    """Timescale and ephemeris, loaded once, lazily (importing skyfield costs ~0.2 s).

    From skyfield's submodules, not `skyfield.api`: that module loads its download stack
    (`skyfield.iokit`: urllib.request, http.client, certifi) and star and constellation tables,
    none of which an offline engine uses. The timescale is built as
    `Loader.timescale(builtin=True)` builds it, from the ∆T and leap-second tables skyfield
    carries (tests hold the two equal), and the ephemeris is opened as `Loader` opens a `.bsp`
    it already has (it could only download one that is missing; skyfield-data ships it).
    """
    from skyfield.functions import load_bundled_npy
    from skyfield.jpllib import SpiceKernel
    from skyfield.timelib import Timescale

    with warnings.catch_warnings():
        # skyfield-data warns that its bundled Earth-orientation table has expired; we use
        # skyfield's built-in timescale, not that table, so the warning does not apply.
        warnings.simplefilter("ignore", RuntimeWarning)
        from skyfield_data import get_skyfield_data_path

        path = get_skyfield_data_path()
    arrays = load_bundled_npy("iers.npz")
    daily_tt = arrays["tt_jd_minus_arange"] + np.arange(len(arrays["tt_jd_minus_arange"]))
    daily_delta_t = (arrays["delta_t_1e7"] / 1e7).round(7)
    timescale = Timescale((daily_tt, daily_delta_t), arrays["leap_dates"], arrays["leap_offsets"])
    ephemeris = SpiceKernel(os.path.join(path, "de421.bsp"))
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


class OrbitEngine:
    """Propagates one element set. Cheap to keep; build a new one when elements change."""

    def __init__(
        self,
        elements: ElementSet,
        sources: OrbitInputs | None = None,
        *,
        coarse_nutation: bool = False,
    ) -> None:
        """`OrbitEngine(elements)` propagates that set alone. With `sources` (NASA's
        trajectory, CelesTrak's fitted segments, the chosen set and its origin: see
        `issdash.model.orbit_source`), `satellite` is the best source at each time, so every
        position asked of this engine comes from the one choice; `elements` stay the
        fallback and what the orbit count and the period are read from.

        `coarse_nutation`: the station's own position (`state_at`) with IAU 2000B too, as
        tracks are (see `times`): for a screen that shows it to 0.01 degree and 0.1 km, where
        a few centimetres never change a digit and the full series was the largest part of
        a live dashboard's idle tick. `status --json` (six decimals) keeps the full series."""
        from issdash.model.orbit_source import BestOrbit, OrbitInputs

        self.elements = elements
        self._coarse_station = coarse_nutation
        timescale, ephemeris = _skyfield()
        self._ts = timescale
        self._sun_from_earth = ephemeris["sun"] - ephemeris["earth"]
        self._eph = ephemeris
        if sources is None:
            sources = OrbitInputs(elements=elements)
        elif sources.elements != elements:
            sources = replace(sources, elements=elements)
        self.sources = sources
        # Always there to say which source holds when (`source_at`); it is the satellite
        # itself only when there is more than the elements to choose from, so an engine on
        # elements alone propagates exactly as skyfield's EarthSatellite does.
        self._best = BestOrbit(sources, timescale)
        self._sat: Any
        if sources.oem is None and sources.supgp is None:
            self._sat = self._best.elements_satellite
        else:
            self._sat = self._best
        self._track_cache: GroundTrack | None = None
        # A dashboard asks about the same light span and the same API fix every second;
        # these one-entry caches answer those repeats without touching the ephemeris.
        self._light: _LightSpan | None = None
        self._residual: tuple[PositionFix, float] | None = None
        self._subsolar: tuple[float, tuple[float, float]] | None = None
        # Orbit counting: revolutions completed since the epoch at whole days from it, filled in
        # as needed (see `orbit_number`).
        self._node_anchors: dict[int, int] = {0: 0}
        # The argument of latitude at the whole day from the epoch the clock is in: the same
        # for every tick of that day.
        self._day_u: tuple[int, float] | None = None
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

    def times(self, unix_s: FloatArray | float, *, coarse_nutation: bool = False) -> Any:
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

    # -- what the pass finder builds on (issdash.model.passes.finder) --------------------

    @property
    def satellite(self) -> Any:
        """What skyfield propagates: `issdash.model.orbit_source.BestOrbit` when the engine
        has a trajectory or fitted segments to choose from, else skyfield's EarthSatellite
        for the elements. Both are skyfield vector functions centred on the Earth; only the
        latter has `find_events` (`issdash.model.passes.finder.find_events` handles both)."""
        return self._sat

    # -- which source, how good ---------------------------------------------------------

    def source_at(self, at: datetime) -> SourceAt | None:
        """The source of the position at `at`, its age and expected error (see
        `issdash.model.orbit_source.BestOrbit.source_at`)."""
        return self._best.source_at(at)

    def disagreement(self, at: datetime) -> Mapping[ComparedKind, Disagreement | None]:
        """The elements and the SupGP segment measured against NASA's trajectory at `at`."""
        return self._best.disagreement(at)

    def covered_until(self) -> datetime | None:
        """The end of what NASA's trajectory or CelesTrak's fit to it covers (None: neither)."""
        return self._best.covered_until()

    def from_elements_at(self, at: datetime) -> bool:
        """Whether the position at `at` comes from the elements (not NASA's trajectory nor a
        segment fitted to it): then the elements' own problems (decay, nonsense) matter."""
        source = self.source_at(at)
        return source is None or source.kind in ("elements", "bundled")

    @property
    def ephemeris(self) -> Any:
        """The planetary ephemeris (de421), for skyfield's `is_sunlit`."""
        return self._eph

    @property
    def sun_from_earth(self) -> Any:
        """The Sun as seen from the Earth's centre (a skyfield vector, `.at(t)` to evaluate)."""
        return self._sun_from_earth

    # -- the station now ----------------------------------------------------------------

    @property
    def period_min(self) -> float:
        return self.elements.period_min

    def elements_age_h(self, at: datetime) -> float:
        return (ensure_utc(at) - self.elements.epoch).total_seconds() / 3600.0

    def state_at(self, at: datetime) -> StationState:
        """The station at `at`; `ElementsUnusable` when the elements give nonsense then."""
        from skyfield.toposlib import wgs84

        at = ensure_utc(at)
        problem = physical_problem(self.elements, at) if self.from_elements_at(at) else None
        if problem is not None:
            raise ElementsUnusable(problem)
        t = self.times(at.timestamp(), coarse_nutation=self._coarse_station)
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
            u_anchor = self._u_rev_at_day(whole)
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
        """Ascending nodes passed between the epoch and `day` whole days from it: one rounded
        step a day (months of the secular rate's drift would not round right), the days'
        arguments of latitude from one vectorised propagation (~600 days: 28 ms -> ~2 ms)."""
        anchors = self._node_anchors
        if day in anchors:
            return anchors[day]
        step = 1 if day > 0 else -1
        known = max((d for d in anchors if d * step >= 0 and abs(d) <= abs(day)), key=abs)
        days = range(known, day + step, step)
        u_revs, usable = self._u_revs_at_days(days)
        if not usable.all():
            raise ElementsUnusable("SGP4 error")
        revs_per_day = self._revs_per_day * step
        completed = anchors[known]
        for i in range(1, len(days)):
            completed = round(completed + u_revs[i - 1] + revs_per_day - u_revs[i])
            anchors[days[i]] = completed
        return completed

    def _u_revs_at_days(self, days: range) -> tuple[list[float], BoolArray]:
        """`_u_rev`'s arithmetic on arrays at `days` whole days from the epoch; which propagated."""
        epoch = ensure_utc(self.elements.epoch)
        jd, fr = np.empty(len(days)), np.empty(len(days))
        for i, at in enumerate(epoch + timedelta(days=d) for d in days):
            sec = at.second + at.microsecond / 1e6
            jd[i], fr[i] = jday(at.year, at.month, at.day, at.hour, at.minute, sec)
        errors, r, v = satrec(self.elements).sgp4_array(jd, fr)
        usable = (errors == 0) & np.isfinite(r).all(axis=1) & np.isfinite(v).all(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):  # unusable rows: NaN, not used
            h = np.cross(r, v)
            node = np.stack([-h[:, 1], h[:, 0], np.zeros(len(days))], axis=1)
            sin_u = np.einsum("ij,ij->i", np.cross(node, r), h) / np.linalg.norm(h, axis=1)
            u = np.arctan2(sin_u, np.einsum("ij,ij->i", node, r))
        return ((u / (2 * np.pi)) % 1.0).tolist(), usable

    def _u_rev(self, at: datetime) -> float:
        """Argument of latitude at `at` in revolutions, [0, 1): 0 at the ascending node."""
        at = ensure_utc(at)
        jd, fr = jday(
            at.year, at.month, at.day, at.hour, at.minute, at.second + at.microsecond / 1e6
        )
        error, r, v = satrec(self.elements).sgp4(jd, fr)
        if error or not all(math.isfinite(x) for x in (*r, *v)):
            raise ElementsUnusable(f"SGP4 error {error}")
        (x, y, z), (vx, vy, vz) = r, v  # plain floats: numpy's set-up costs more than sums
        hx, hy, hz = y * vz - z * vy, z * vx - x * vz, x * vy - y * vx  # h = r x v
        # The node n = (-hy, hx, 0), towards the ascending node; sin u = (n x r) . h / |h|.
        sin_u = (hx * z * hx + hy * z * hy - (hy * y + hx * x) * hz) / math.hypot(hx, hy, hz)
        u = math.atan2(sin_u, y * hx - x * hy)
        return (u / (2 * math.pi)) % 1.0

    def _u_rev_at_day(self, day: int) -> float:
        """`_u_rev` at `day` whole days from the epoch, kept for the day asked last."""
        known = self._day_u
        if known is None or known[0] != day:
            known = self._day_u = (day, self._u_rev(self.elements.epoch + timedelta(days=day)))
        return known[1]

    def _u_rev_or_zero(self, at: datetime) -> float:
        try:
            return self._u_rev(at)
        except ElementsUnusable:
            return 0.0

    def subsolar_point(self, at: datetime) -> tuple[float, float]:
        """Latitude and longitude (degrees) where the Sun is overhead."""
        from skyfield.toposlib import wgs84

        unix_s = ensure_utc(at).timestamp()
        if self._subsolar is not None and self._subsolar[0] == unix_s:
            return self._subsolar[1]
        lat, lon = wgs84.latlon_of(self._sun_from_earth.at(self.times(unix_s)))
        point = (float(lat.degrees), float(lon.degrees))
        self._subsolar = (unix_s, point)
        return point

    # -- tracks -------------------------------------------------------------------------

    def ground_track(
        self, start: datetime, end: datetime, step_s: float = _TRACK_STEP_S
    ) -> GroundTrack:
        """Sub-satellite points from `start` to `end`, one propagation call for all of them."""
        from skyfield.toposlib import wgs84

        t0 = ensure_utc(start).timestamp()
        t1 = ensure_utc(end).timestamp()
        unix_s = np.arange(t0, t1 + step_s / 2, step_s, dtype=np.float64)
        with np.errstate(all="ignore"):
            position = self._sat.at(self.times(unix_s, coarse_nutation=True))
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
        times = self.times(unix_s, coarse_nutation=True)
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
        t = self.times(fix.timestamp.timestamp())
        position = self._sat.at(t)
        if fix.latitude_is_geocentric:
            x, y, z = _itrs_km(position)
            lat = math.degrees(math.atan2(z, math.hypot(x, y)))
            lon = math.degrees(math.atan2(y, x))
        else:
            from skyfield.toposlib import wgs84

            lat_a, lon_a = wgs84.latlon_of(position)
            lat, lon = float(lat_a.degrees), float(lon_a.degrees)
        return great_circle_km(lat, lon, fix.latitude_deg, fix.longitude_deg)


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
