"""The orbit engine against the bundled MS-27 elements."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from issdash.feeds.adapters.tle import parse_elements
from issdash.feeds.sources import RawResponse
from issdash.feeds.values import PositionFix
from issdash.model.orbit import (
    EARTH_RADIUS_KM,
    OrbitEngine,
    footprint_radius_rad,
    great_circle_km,
    split_at_antimeridian,
)
from scripts.fixtures.ms27_payloads import TLE_TEXT

LAUNCH = datetime(2025, 4, 8, 5, 47, 15, tzinfo=UTC)


@pytest.fixture(scope="module")
def engine() -> OrbitEngine:
    return OrbitEngine(parse_elements(RawResponse("x", 200, "", TLE_TEXT, LAUNCH), LAUNCH))


def test_station_over_baikonur_at_ms27_launch(engine: OrbitEngine) -> None:
    # MS27.md: at launch the ground point is near 43.9 N, 59.2 E (a same-day rendezvous).
    state = engine.state_at(LAUNCH)
    assert state.latitude_deg == pytest.approx(43.9, abs=0.05)
    assert state.longitude_deg == pytest.approx(59.2, abs=0.05)
    assert 400 < state.altitude_km < 440
    assert state.speed_km_s == pytest.approx(7.66, abs=0.02)


def test_propagation_matches_skyfield_directly(engine: OrbitEngine) -> None:
    # Unix seconds skip leap seconds; a conversion that forgot that would be 37 s off.
    from skyfield.api import EarthSatellite, load, wgs84

    from scripts.fixtures.ms27_payloads import TLE_LINE1, TLE_LINE2

    ts = load.timescale(builtin=True)
    sat = EarthSatellite(TLE_LINE1, TLE_LINE2, "ISS", ts)
    lat, lon = wgs84.latlon_of(sat.at(ts.from_datetime(LAUNCH)))
    state = engine.state_at(LAUNCH)
    assert state.latitude_deg == pytest.approx(lat.degrees, abs=1e-9)
    assert state.longitude_deg == pytest.approx(lon.degrees, abs=1e-9)
    track = engine.ground_track(LAUNCH, LAUNCH + timedelta(minutes=1), step_s=60)
    assert track.latitude_deg[0] == pytest.approx(lat.degrees, abs=1e-9)


def test_tracks_use_the_short_nutation_series_within_a_milliarcsecond(
    engine: OrbitEngine,
) -> None:
    # Tracks take IAU 2000B for speed; every point must still agree with the full-series
    # position of the station to far better than one map cell (1e-6 deg is about 10 cm).
    track = engine.ground_track(LAUNCH, LAUNCH + timedelta(minutes=92), step_s=300)
    assert track.unix_s.size == 19
    for unix_s, lat, lon in zip(track.unix_s, track.latitude_deg, track.longitude_deg, strict=True):
        full = engine.state_at(datetime.fromtimestamp(float(unix_s), tz=UTC))
        assert lat == pytest.approx(full.latitude_deg, abs=1e-6)
        assert lon == pytest.approx(full.longitude_deg, abs=1e-6)


def test_a_screen_engine_takes_the_short_series_for_the_station_without_changing_a_digit(
    engine: OrbitEngine,
) -> None:
    # The dashboard's engines (`coarse_nutation`) take IAU 2000B for the station's own
    # position too: what the screen shows of it (0.01 degree, 0.1 km) never moves, and it is
    # not the full series' number (status --json, to six decimals, keeps that one).
    screen = OrbitEngine(engine.elements, coarse_nutation=True)
    differs = 0
    for minute in range(0, 24 * 60, 97):
        at = LAUNCH + timedelta(minutes=minute, seconds=0.5)
        full, coarse = engine.state_at(at), screen.state_at(at)
        assert coarse.latitude_deg == pytest.approx(full.latitude_deg, abs=1e-6)
        assert coarse.longitude_deg == pytest.approx(full.longitude_deg, abs=1e-6)
        assert coarse.altitude_km == pytest.approx(full.altitude_km, abs=1e-4)
        assert coarse.speed_km_s == pytest.approx(full.speed_km_s, abs=1e-9)
        assert (coarse.sunlit, coarse.orbit_number) == (full.sunlit, full.orbit_number)
        differs += coarse.latitude_deg != full.latitude_deg
    assert differs  # the short series is what was used


def test_a_kept_engine_counts_orbits_as_a_new_one_across_days(engine: OrbitEngine) -> None:
    # The engine keeps the day's anchor between ticks: moving to another day (either way)
    # must count as an engine that never saw the earlier day does.
    kept = OrbitEngine(engine.elements)
    epoch = engine.elements.epoch
    for days in (0.5, 0.9, 1.2, 0.6, -0.3, 2.7, 1.1):
        at = epoch + timedelta(days=days)
        assert kept.orbit_number(at) == OrbitEngine(engine.elements).orbit_number(at)


def test_orbit_number_counts_from_the_epoch(engine: OrbitEngine) -> None:
    # The set is dated at the ascending node that begins revolution 50,420 (150,420 since
    # Zarya's launch; the TLE field has five digits); the real crossing is ~1 s after the
    # epoch, so a minute later the count reads the TLE's.
    epoch = engine.elements.epoch
    assert engine.orbit_number(epoch + timedelta(minutes=1)) == 150420
    # One period later the count has gone up by exactly one.
    later = epoch + timedelta(minutes=1 + engine.period_min)
    assert engine.orbit_number(later) == 150421
    # ~17.3 h after the epoch: 11 more revolutions.
    assert engine.orbit_number(LAUNCH) == 150431


def test_orbit_number_steps_at_the_ascending_node(engine: OrbitEngine) -> None:
    track = engine.ground_track(LAUNCH, LAUNCH + timedelta(hours=3), step_s=10)
    # Ascending node: latitude crosses zero going north.
    crossings = np.flatnonzero((track.latitude_deg[:-1] < 0) & (track.latitude_deg[1:] >= 0))
    assert crossings.size >= 1
    node = datetime.fromtimestamp(float(track.unix_s[crossings[0]]), tz=UTC)
    before = engine.orbit_number(node - timedelta(minutes=2))
    after = engine.orbit_number(node + timedelta(minutes=2))
    assert after == before + 1


def test_subsolar_point_in_april(engine: OrbitEngine) -> None:
    lat, lon = engine.subsolar_point(datetime(2025, 4, 8, 12, 0, tzinfo=UTC))
    assert lat == pytest.approx(7.4, abs=0.3)  # solar declination on 8 April
    # The equation of time is about -1.8 min on 8 April: the Sun crosses Greenwich at
    # ~12:02 UTC, so at 12:00 it is still ~0.45 degrees east.
    assert lon == pytest.approx(0.45, abs=0.15)


def test_sunlit_and_shadow_change(engine: OrbitEngine) -> None:
    change = engine.next_shadow_change(LAUNCH)
    assert change is not None
    assert LAUNCH < change < LAUNCH + timedelta(minutes=engine.period_min)
    before = engine.state_at(change - timedelta(seconds=5)).sunlit
    after = engine.state_at(change + timedelta(seconds=5)).sunlit
    assert before != after


def test_light_asked_every_second_agrees_with_a_fresh_computation(engine: OrbitEngine) -> None:
    # The dashboard asks the same engine every tick; its kept shadow search must give the
    # same light and the same next change as an engine that computes everything afresh,
    # through at least one entry into and one exit from the shadow (and a jump back).
    elements = engine.elements
    changes = set()
    times = [LAUNCH + timedelta(seconds=s) for s in range(0, int(engine.period_min * 60), 19)]
    for at in [*times, LAUNCH]:
        kept_change = engine.next_shadow_change(at)
        fresh_change = OrbitEngine(elements).next_shadow_change(at)
        assert kept_change is not None and fresh_change is not None
        # Searches started at different times bisect to within 0.5 s of the same change.
        assert abs((kept_change - fresh_change).total_seconds()) < 0.5
        changes.add(kept_change.replace(second=0, microsecond=0))
        if abs((kept_change - at).total_seconds()) > 1:
            assert engine.state_at(at).sunlit == OrbitEngine(elements).state_at(at).sunlit
    assert len(changes) >= 2  # both a shadow entry and an exit were crossed


def test_track_split_at_antimeridian(engine: OrbitEngine) -> None:
    track = engine.ground_track(LAUNCH, LAUNCH + timedelta(minutes=2 * engine.period_min))
    runs = split_at_antimeridian(track.latitude_deg, track.longitude_deg)
    assert len(runs) >= 2  # two orbits cross the antimeridian at least twice
    assert sum(lat.size for lat, _ in runs) == track.latitude_deg.size
    for _, lon in runs:
        assert np.all(np.abs(np.diff(lon)) < 180)


def test_split_of_a_synthetic_crossing() -> None:
    lat = np.array([0.0, 1.0, 2.0, 3.0])
    lon = np.array([178.0, 179.5, -179.0, -177.5])
    runs = split_at_antimeridian(lat, lon)
    assert [r[1].tolist() for r in runs] == [[178.0, 179.5], [-179.0, -177.5]]


def test_track_window_slides_without_recomputing(engine: OrbitEngine) -> None:
    first = engine.track_window(LAUNCH, 45 * 60, 90 * 60)
    second = engine.track_window(LAUNCH + timedelta(minutes=1), 45 * 60, 90 * 60)
    assert first.unix_s[0] < second.unix_s[0]
    assert second.unix_s[0] >= (LAUNCH - timedelta(minutes=44)).timestamp() - 15
    # Same underlying arrays: the second window is a slice of the cached span.
    assert np.shares_memory(first.unix_s, second.unix_s)


def test_footprint_radius(engine: OrbitEngine) -> None:
    # Horizon distance for 420 km: R * acos(R / (R + h)) is about 2,250 km.
    radius_km = EARTH_RADIUS_KM * footprint_radius_rad(420.0)
    assert radius_km == pytest.approx(2247, abs=15)
    lat, lon = engine.footprint(43.9, 59.2, 420.0)
    distances = [great_circle_km(43.9, 59.2, a, b) for a, b in zip(lat, lon, strict=True)]
    assert min(distances) == pytest.approx(radius_km, rel=1e-6)
    assert max(distances) == pytest.approx(radius_km, rel=1e-6)


def test_footprint_across_the_antimeridian_wraps(engine: OrbitEngine) -> None:
    lat, lon = engine.footprint(0.0, 179.0, 420.0)
    assert np.all((lon >= -180) & (lon < 180))
    assert len(split_at_antimeridian(lat, lon)) >= 2


def test_residual_is_zero_for_our_own_fix_and_geocentric_is_handled(engine: OrbitEngine) -> None:
    state = engine.state_at(LAUNCH)
    fix = PositionFix(
        source="wheretheiss.at",
        timestamp=LAUNCH,
        latitude_deg=state.latitude_deg,
        longitude_deg=state.longitude_deg,
    )
    assert engine.residual_km(fix) == pytest.approx(0.0, abs=1e-3)
    # Open Notify's latitude is geocentric. At the station's altitude the geocentric latitude
    # is ~0.19 deg lower than the geodetic one near 44 N: read as geocentric the fix agrees,
    # read as geodetic it would look ~20 km off.
    x, y, z = _itrs(engine, LAUNCH)
    geocentric_lat = math.degrees(math.atan2(z, math.hypot(x, y)))
    assert state.latitude_deg - geocentric_lat == pytest.approx(0.19, abs=0.03)
    as_geocentric = fix.model_copy(
        update={"latitude_deg": geocentric_lat, "latitude_is_geocentric": True}
    )
    assert engine.residual_km(as_geocentric) < 0.01
    misread = fix.model_copy(update={"latitude_deg": geocentric_lat})
    assert engine.residual_km(misread) > 15.0


def _itrs(engine: OrbitEngine, at: datetime) -> tuple[float, float, float]:
    from skyfield.api import EarthSatellite, load
    from skyfield.framelib import itrs

    from scripts.fixtures.ms27_payloads import TLE_LINE1, TLE_LINE2

    ts = load.timescale(builtin=True)
    sat = EarthSatellite(TLE_LINE1, TLE_LINE2, "ISS", ts)
    x, y, z = sat.at(ts.from_datetime(at)).frame_xyz(itrs).km
    return float(x), float(y), float(z)
