"""The pass description of the orbit engine (issue 17): azimuths, shadow entry and exit to the
second, the visible part, the magnitude, the sky path, and the ten-day search's cost.

Every figure is checked against an independent computation with skyfield directly (its own
`altaz`, `is_sunlit` and apparent Sun, sampled finely), never against the engine itself.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import numpy as np
import pytest

from issdash.feeds.adapters.tle import parse_elements
from issdash.feeds.sources import RawResponse
from issdash.feeds.values import Observer
from issdash.model.orbit import OrbitEngine
from issdash.model.passes.finder import Pass, find_passes, sky_path
from issdash.model.passes.upcoming import (
    PASS_PLANNER_DAYS,
    compass_point,
    pass_directions,
    passes_between,
)
from scripts.fixtures.ms27_payloads import TLE_LINE1, TLE_LINE2, TLE_TEXT
from tests.support.observers import CAPE_TOWN

LAUNCH = datetime(2025, 4, 8, 5, 47, 15, tzinfo=UTC)
BOSTON = Observer(latitude_deg=42.35843, longitude_deg=-71.05977)
LONDON = Observer(latitude_deg=51.5074, longitude_deg=-0.1278)


@pytest.fixture(scope="module")
def engine() -> OrbitEngine:
    return OrbitEngine(parse_elements(RawResponse("x", 200, "", TLE_TEXT, LAUNCH), LAUNCH))


@pytest.fixture(scope="module")
def sky() -> tuple[Any, Any, Any]:
    """skyfield's own timescale, ephemeris and satellite, separate from the engine's."""
    from skyfield.api import EarthSatellite, Loader, load
    from skyfield_data import get_skyfield_data_path

    ts = load.timescale(builtin=True)
    eph = Loader(get_skyfield_data_path(), expire=False, verbose=False)("de421.bsp")
    return ts, eph, EarthSatellite(TLE_LINE1, TLE_LINE2, "ISS", ts)


def _times(ts: Any, start: datetime, seconds: np.ndarray) -> Any:
    return ts.utc(start.year, start.month, start.day, start.hour, start.minute,
                  start.second + start.microsecond / 1e6 + seconds)  # fmt: skip


def _dusk_pass(engine: OrbitEngine) -> Pass:
    """Cape Town, 2025-04-11 evening: a 74 degree pass that fades into Earth's shadow."""
    day = datetime(2025, 4, 11, 17, tzinfo=UTC)
    passes = find_passes(engine, CAPE_TOWN, day, day + timedelta(hours=2), 10.0)
    (p,) = [p for p in passes if p.max_elevation_deg > 60]
    return p


def test_shadow_entry_mid_pass_to_the_second(engine: OrbitEngine, sky: Any) -> None:
    ts, eph, sat = sky
    p = _dusk_pass(engine)
    assert p.shadow_entry is not None and p.shadow_exit is None
    assert p.rise < p.shadow_entry < p.set  # it disappears mid-sky
    # Independently: skyfield's is_sunlit every 0.1 s over the whole pass.
    seconds = np.arange(0.0, (p.set - p.rise).total_seconds(), 0.1)
    lit = np.asarray(sat.at(_times(ts, p.rise, seconds)).is_sunlit(eph))
    assert lit[0] and not lit[-1]
    first_dark = p.rise + timedelta(seconds=float(seconds[np.argmin(lit)]))
    assert abs((p.shadow_entry - first_dark).total_seconds()) < 0.5
    # The visible part ends there: the sky is dark and it is lit from rise to the entry.
    assert p.visible and p.visible_from == p.rise
    assert p.visible_until == p.shadow_entry


def test_shadow_exit_of_a_dawn_pass(engine: OrbitEngine, sky: Any) -> None:
    ts, eph, sat = sky
    day = datetime(2025, 4, 8, tzinfo=UTC)
    (p,) = [p for p in find_passes(engine, CAPE_TOWN, day, day + timedelta(hours=6)) if p.visible]
    assert p.shadow_exit is not None and p.shadow_entry is None
    seconds = np.arange(0.0, (p.set - p.rise).total_seconds(), 0.1)
    lit = np.asarray(sat.at(_times(ts, p.rise, seconds)).is_sunlit(eph))
    first_lit = p.rise + timedelta(seconds=float(seconds[np.argmax(lit)]))
    assert abs((p.shadow_exit - first_lit).total_seconds()) < 0.5
    assert p.visible_from == p.shadow_exit  # seen from when it lights up


def test_azimuths_and_culmination_match_skyfield(engine: OrbitEngine, sky: Any) -> None:
    from skyfield.api import wgs84

    ts, _, sat = sky
    site = wgs84.latlon(CAPE_TOWN.latitude_deg, CAPE_TOWN.longitude_deg)
    p = _dusk_pass(engine)
    for when, azimuth in (
        (p.rise, p.rise_azimuth_deg),
        (p.culminate, p.culminate_azimuth_deg),
        (p.set, p.set_azimuth_deg),
    ):
        alt, az, _ = (sat - site).at(ts.from_datetime(when)).altaz()
        assert az.degrees == pytest.approx(azimuth, abs=0.01)
        if when == p.culminate:
            assert alt.degrees == pytest.approx(p.max_elevation_deg, abs=0.01)
        else:
            assert alt.degrees == pytest.approx(10.0, abs=0.01)  # rise/set at the minimum
    assert pass_directions(p) == "NW -> SW -> SE"


def test_visibility_per_moment_agrees_with_skyfield_sampled(engine: OrbitEngine, sky: Any) -> None:
    """For every pass over four days at three places, the visible part is exactly where
    skyfield says the station is lit while the observer's Sun is below -6 degrees."""
    from skyfield.api import wgs84

    ts, eph, sat = sky
    checked_visible = 0
    for observer in (CAPE_TOWN, BOSTON, Observer(latitude_deg=-33.45, longitude_deg=-70.66)):
        site = wgs84.latlon(observer.latitude_deg, observer.longitude_deg)
        for p in find_passes(engine, observer, LAUNCH, LAUNCH + timedelta(days=4)):
            seconds = np.arange(0.0, (p.set - p.rise).total_seconds(), 2.0)
            t = _times(ts, p.rise, seconds)
            lit = np.asarray(sat.at(t).is_sunlit(eph))
            sun = (eph["earth"] + site).at(t).observe(eph["sun"]).apparent().altaz()[0].degrees
            seen = lit & (sun < -6.0)
            assert p.visible == bool(seen.any()), p
            if not p.visible:
                assert p.magnitude is None and p.visible_from is None
                continue
            checked_visible += 1
            assert p.visible_from is not None and p.visible_until is not None
            assert p.magnitude is not None and -5.0 < p.magnitude < 4.0
            inside = seconds[seen]
            first = p.rise + timedelta(seconds=float(inside[0]))
            last = p.rise + timedelta(seconds=float(inside[-1]))
            assert abs((p.visible_from - first).total_seconds()) <= 2.5
            assert abs((p.visible_until - last).total_seconds()) <= 2.5
    assert checked_visible >= 5


def test_magnitude_is_the_brightest_in_the_visible_part(engine: OrbitEngine) -> None:
    p = _dusk_pass(engine)
    path = sky_path(engine, CAPE_TOWN, p.rise, p.set, step_s=1.0)
    seen = [s.magnitude for s in path if s.magnitude is not None]
    assert p.magnitude == pytest.approx(min(seen), abs=0.1)
    # A 74 degree pass at dusk, lit from the side: bright, nowhere near the limits.
    assert -4.5 < p.magnitude < -2.5


def test_sky_path_has_whole_minutes_and_shadow(engine: OrbitEngine) -> None:
    p = _dusk_pass(engine)
    path = sky_path(engine, CAPE_TOWN, p.rise, p.set)
    assert path[0].time == p.rise and path[-1].time == p.set
    assert all(a.time < b.time for a, b in itertools.pairwise(path))
    minutes = [s for s in path if s.time.second == 0 and s.time.microsecond == 0]
    assert len(minutes) >= 4  # a tick each whole minute of a 6-minute pass
    assert path[0].elevation_deg == pytest.approx(10.0, abs=0.01)
    top = max(path, key=lambda s: s.elevation_deg)
    # Samples 10 s apart straddle the peak (the station climbs ~1 degree a second there).
    assert top.elevation_deg == pytest.approx(p.max_elevation_deg, abs=1.0)
    assert top.elevation_deg <= p.max_elevation_deg
    assert p.shadow_entry is not None
    assert all(s.sunlit == (s.time < p.shadow_entry) for s in path)
    assert all((s.magnitude is None) == (not s.sunlit) for s in path)


def test_compass_points() -> None:
    assert [compass_point(a) for a in (0, 11.2, 11.3, 90, 180, 270, 348.7, 359.9, 360, -45)] == [
        "N", "N", "NNE", "E", "S", "W", "NNW", "N", "N", "NW",
    ]  # fmt: skip
    assert compass_point(float("nan")) == "?"


def test_ten_days_for_one_observer_finds_every_pass(engine: OrbitEngine) -> None:
    """The planner's search over its whole range (its 0.5 s budget is timed by `make bench`,
    scripts/suite_budgets.py: a wall-clock figure measured the machine here, not the code)."""
    passes = passes_between(
        engine, BOSTON, LAUNCH, LAUNCH + timedelta(days=PASS_PLANNER_DAYS), 10.0
    )
    assert len(passes) > 40
    assert all(a.rise < b.rise for a, b in pairwise(passes))


def test_passes_over_london_on_ms27_day(engine: OrbitEngine) -> None:
    day = datetime(2025, 4, 8, tzinfo=UTC)
    passes = find_passes(engine, LONDON, day, day + timedelta(days=1), 10.0)
    assert [p.rise.strftime("%H:%M") for p in passes] == [
        "08:50",
        "10:25",
        "12:02",
        "13:38",
        "15:15",
    ]
    for p in passes:
        assert p.rise < p.culminate < p.set
        assert p.max_elevation_deg >= 10.0
        assert not p.visible  # all in daylight in London
    assert max(p.max_elevation_deg for p in passes) == pytest.approx(86.5, abs=0.5)


def test_visible_pass_at_dawn_in_cape_town(engine: OrbitEngine) -> None:
    from skyfield.api import Loader, load, wgs84
    from skyfield_data import get_skyfield_data_path

    day = datetime(2025, 4, 8, tzinfo=UTC)
    passes = find_passes(engine, CAPE_TOWN, day, day + timedelta(hours=6), 10.0)
    visible = [p for p in passes if p.visible]
    assert len(visible) == 1
    p = visible[0]
    assert p.rise.strftime("%H:%M") == "03:45"
    # Check "visible" independently with skyfield: somewhere in the pass, above 10 degrees,
    # the observer's sky is dark while the station is lit.
    ts = load.timescale(builtin=True)
    eph = Loader(get_skyfield_data_path(), expire=False, verbose=False)("de421.bsp")
    seconds = np.arange(0, (p.set - p.rise).total_seconds(), 5.0)
    t = ts.utc(
        p.rise.year, p.rise.month, p.rise.day, p.rise.hour, p.rise.minute, p.rise.second + seconds
    )
    place = wgs84.latlon(CAPE_TOWN.latitude_deg, CAPE_TOWN.longitude_deg)
    sun_alt = (eph["earth"] + place).at(t).observe(eph["sun"]).apparent().altaz()[0].degrees
    lit = engine.satellite.at(t).is_sunlit(eph)
    assert np.any(lit & (sun_alt < -6))
    assert not np.all(lit)  # it starts in Earth's shadow: a dawn pass seen as it lights up
