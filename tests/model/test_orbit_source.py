"""The best orbit source for each time (issdash.model.orbit_source) through the engine that
everything uses: which source holds when, how old and how far off it is said to be, positions
from NASA's trajectory within a metre of states left out, the frame bias the right way round,
pass times within a second of a search made directly on the true states, and elements older
than a burn said to be so.

References are independent of the code under test: the fixture's exact two-body truth
(scripts/fixtures/oem.py), skyfield's own frame-bias matrix, SGP4 through skyfield's
EarthSatellite, and a dense sampling of the observer's altitude with root bracketing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
from skyfield.framelib import ICRS_to_J2000

from issdash.feeds.adapters.oem import Oem, OemHeader, StateVector, parse_oem
from issdash.feeds.adapters.supgp import SupGp, SupGpSegment
from issdash.feeds.adapters.tle import parse_elements
from issdash.feeds.elements import ElementsInfo, expected_error_km
from issdash.feeds.poller import FeedUpdate
from issdash.feeds.sources import RawResponse
from issdash.feeds.values import ElementSet, Observer
from issdash.model.orbit import OrbitEngine
from issdash.model.orbit_source import OrbitInputs, burn_drift_km, unix_seconds
from issdash.model.passes.finder import find_events, find_passes
from issdash.model.state import MissionState
from issdash.model.telemetry import EngineCache, orbit_at
from scripts.fixtures.elements import tle_text
from scripts.fixtures.oem import START, build_trajectory, write_kvn
from scripts.fixtures.oem import Trajectory as Truth
from tests.support.observers import CAPE_TOWN

BOSTON = Observer(latitude_deg=42.35843, longitude_deg=-71.05977)
LONDON = Observer(latitude_deg=51.5074, longitude_deg=-0.1278)


def elements_at(epoch: datetime) -> ElementSet:
    raw = RawResponse("x", 200, "text/plain", tle_text(epoch=epoch), epoch)
    return parse_elements(raw, epoch)


def oem_of(truth: Truth, created: datetime | None = None) -> Oem:
    body = write_kvn(truth, created=created)
    return parse_oem(RawResponse("file:///oem.txt", 200, "text/plain", body, START), None)


# A day of NASA's trajectory (two-body truth, 4-min steps) with a 0.4 m/s reboost 6 h in.
BURN = START + timedelta(hours=6, minutes=1)
DAY = build_trajectory(hours=24)
DAY_OEM = oem_of(DAY)
# Elements from the day before (another orbit: only their choice and epoch matter here).
OLD_ELEMENTS = elements_at(START - timedelta(days=1))


def header(start: datetime, stop: datetime, created: datetime | None) -> OemHeader:
    return OemHeader("ISS", "1998-067A", "EARTH", "EME2000", "UTC", start, stop, created, "JSC")


def engine_for(**sources: Any) -> OrbitEngine:
    elements = sources.pop("elements", OLD_ELEMENTS)
    origin = sources.pop("origin", "feed")
    info = ElementsInfo(elements, origin, elements.epoch)
    return OrbitEngine(elements, OrbitInputs.of(elements=info, **sources))


def gcrs_km(engine: OrbitEngine, whens: list[datetime]) -> np.ndarray:
    t = engine.times(np.array([w.timestamp() for w in whens]))
    return np.asarray(engine.satellite.at(t).position.km).T


# -- which source, when ------------------------------------------------------------------


def test_each_time_gets_the_best_source_said_with_its_age_and_error() -> None:
    stop = DAY.epochs[-1]
    first = elements_at(stop + timedelta(hours=1))
    second = elements_at(stop + timedelta(hours=7))
    supgp = SupGp((SupGpSegment(first, 0.25), SupGpSegment(second, None)))
    engine = engine_for(oem=DAY_OEM, supgp=supgp)

    inside = START + timedelta(hours=3)
    oem = engine.source_at(inside)
    assert oem is not None and oem.kind == "nasa-oem" and oem.label == "NASA trajectory"
    assert oem.created == DAY_OEM.header.created
    assert oem.span == (START, stop)
    assert oem.age_h == pytest.approx((inside - oem.created).total_seconds() / 3600)  # type: ignore[operator]
    assert oem.why is None

    fit = engine.source_at(stop + timedelta(hours=2))
    assert fit is not None and fit.kind == "celestrak-supgp"
    assert fit.label == "CelesTrak fit to NASA"
    assert (fit.created, fit.span) == (first.epoch, (first.epoch, second.epoch))
    assert fit.expected_error_km == 0.25  # the segment's RMS
    unrated = engine.source_at(stop + timedelta(hours=8))
    assert unrated is not None and unrated.kind == "celestrak-supgp"
    assert unrated.created == second.epoch
    assert unrated.expected_error_km == expected_error_km(1.0).median_km  # an hour old

    after = stop + timedelta(days=2)
    fallback = engine.source_at(after)
    assert fallback is not None and (fallback.kind, fallback.label) == ("elements", "elements")
    assert (fallback.created, fallback.span) == (OLD_ELEMENTS.epoch, None)

    # Between the OEM and the first segment nothing but the elements holds.
    gap = engine.source_at(stop + timedelta(minutes=30))
    assert gap is not None and gap.kind == "elements"
    bundled = engine_for(origin="bundled").source_at(after)
    assert bundled is not None and (bundled.kind, bundled.label) == ("bundled", "bundled elements")


def test_the_position_follows_the_source_time_by_time_in_one_array() -> None:
    """One call across the OEM's end: OEM states inside, SGP4 on the elements after."""
    engine = engine_for(oem=DAY_OEM)
    plain = OrbitEngine(OLD_ELEMENTS)
    stop = DAY.epochs[-1]
    whens = [stop - timedelta(minutes=8), stop - timedelta(minutes=2), stop + timedelta(minutes=3)]
    got = gcrs_km(engine, whens)
    for k in (0, 1):
        assert np.linalg.norm(ICRS_to_J2000 @ got[k] - DAY.truth(whens[k])[0]) < 1e-3
    assert np.linalg.norm(got[2] - gcrs_km(plain, whens[2:])[0]) < 1e-6


# -- accuracy --------------------------------------------------------------------------------


def test_positions_within_a_metre_of_states_left_out() -> None:
    """States every 2 min through a reboost; the OEM publishes every other one (4 min, as
    NASA does) and the engine is asked at the ones left out."""
    dense = build_trajectory(hours=12, step_s=120.0)
    burn_end = BURN + timedelta(seconds=236)

    def published(when: datetime) -> bool:
        """Every state of the burn block, every other one on either side of it."""
        if BURN <= when <= burn_end:
            return True
        since = when - (START if when < BURN else burn_end)
        return since.total_seconds() % 240 == 0

    rows = dict(dense.rows())
    states = tuple(StateVector(w, *rows[w]) for w in dense.epochs if published(w))
    held_out = [w for w in dense.epochs if not published(w) and w < states[-1].epoch]
    assert len(held_out) > 150
    oem = Oem(
        header(START, states[-1].epoch, None), states, (), None, None, None, None, DAY_OEM.events
    )
    engine = engine_for(oem=oem)
    got = gcrs_km(engine, held_out)
    truth = np.array([dense.truth(w)[0] for w in held_out])
    errors_m = np.linalg.norm((ICRS_to_J2000 @ got.T).T - truth, axis=1) * 1000
    assert float(errors_m.max()) < 1.0


def test_the_frame_bias_rotates_eme2000_into_the_gcrs_the_right_way() -> None:
    """At a published state the engine's GCRS vector, taken back by skyfield's own ICRS ->
    J2000 matrix, is the state to a micrometre; not rotating (or rotating the wrong way)
    would leave the 0.5-1 m of the bias at the station's radius."""
    engine = engine_for(oem=DAY_OEM)
    whens = [DAY.epochs[10], DAY.epochs[100]]
    got = gcrs_km(engine, whens)
    for k, when in enumerate(whens):
        published = DAY.truth(when)[0]
        assert np.linalg.norm(ICRS_to_J2000 @ got[k] - published) < 1e-9
        assert np.linalg.norm(got[k] - published) * 1000 > 0.3
        assert np.linalg.norm(ICRS_to_J2000.T @ got[k] - published) * 1000 > 0.6


def test_unix_seconds_of_skyfield_times_round_trip() -> None:
    engine = engine_for()
    unix_s = START.timestamp() + np.array([0.0, 0.25, 86400.5, 1e6 + 0.001])
    assert np.abs(unix_seconds(engine.times(unix_s)) - unix_s).max() < 1e-5


def _reference_passes(
    truth: Truth, observer: Observer, start: datetime, end: datetime, min_deg: float
) -> list[tuple[float, float]]:
    """(rise, set) in unix seconds, straight from the true states: the observer's altitude
    sampled every 10 s (skyfield's site, its rotation to the horizon and the full nutation),
    every crossing of `min_deg` then resampled every 0.05 s inside its bracket."""
    from skyfield.api import load, wgs84

    ts = load.timescale(builtin=True)
    site = wgs84.latlon(observer.latitude_deg, observer.longitude_deg)

    def altitude(unix_s: np.ndarray) -> np.ndarray:
        whens = [datetime.fromtimestamp(float(u), tz=UTC) for u in unix_s]
        t = ts.from_datetimes(whens)
        station = ICRS_to_J2000.T @ np.array([truth.truth(w)[0] for w in whens]).T
        look = np.einsum("ij...,j...->i...", site.rotation_at(t), station - site.at(t).xyz.km)
        return np.degrees(np.arctan2(look[2], np.hypot(look[0], look[1])))

    grid = np.arange(start.timestamp(), end.timestamp(), 10.0)
    above = altitude(grid) >= min_deg
    edges = np.flatnonzero(above[1:] != above[:-1])
    fine = grid[edges][:, None] + np.arange(0.0, 10.0001, 0.05)[None, :]
    fine_above = (altitude(fine.ravel()) >= min_deg).reshape(fine.shape)
    # The first fine sample on the other side of the threshold.
    first = np.argmax(fine_above != fine_above[:, :1], axis=1)
    crossings = [float(fine[k, first[k]]) for k in range(fine.shape[0])]
    rising = [not bool(above[e]) for e in edges]
    passes = []
    for k in range(len(crossings) - 1):
        if rising[k] and not rising[k + 1]:
            passes.append((crossings[k], crossings[k + 1]))
    return passes


@pytest.mark.parametrize("observer", [LONDON, BOSTON, CAPE_TOWN], ids=["london", "boston", "cape"])
def test_pass_times_within_a_second_of_passes_found_from_the_true_states(
    observer: Observer,
) -> None:
    engine = engine_for(oem=DAY_OEM)
    start, end = START + timedelta(minutes=10), DAY.epochs[-1] - timedelta(minutes=10)
    found = find_passes(engine, observer, start, end, 10.0)
    reference = _reference_passes(DAY, observer, start, end, 10.0)
    assert len(reference) >= 2
    assert [(p.rise.timestamp(), p.set.timestamp()) for p in found] == [
        (pytest.approx(r, abs=1.0), pytest.approx(s, abs=1.0)) for r, s in reference
    ]


def test_the_event_search_on_any_vector_function_matches_skyfields_on_elements() -> None:
    """Plain elements searched by skyfield's EarthSatellite.find_events and by the search
    for other vector functions (here the best-source orbit over elements alone)."""
    plain = OrbitEngine(OLD_ELEMENTS)
    composite = engine_for(supgp=SupGp((SupGpSegment(OLD_ELEMENTS, None),)))
    from skyfield.api import wgs84

    site = wgs84.latlon(LONDON.latitude_deg, LONDON.longitude_deg)
    t0 = plain.times(OLD_ELEMENTS.epoch.timestamp())
    t1 = plain.times((OLD_ELEMENTS.epoch + timedelta(days=2)).timestamp())
    own_t, own_kinds = plain.satellite.find_events(site, t0, t1, altitude_degrees=10.0)
    assert type(composite.satellite).__name__ == "BestOrbit"
    got_t, got_kinds = find_events(composite.satellite, site, t0, t1, 10.0)
    assert list(got_kinds) == list(own_kinds) and len(own_kinds) > 6
    assert np.abs(got_t.tt - own_t.tt).max() * 86400 < 0.1


# -- burns, disagreement, error ----------------------------------------------------------------


def test_elements_older_than_a_burn_say_so_and_expect_more_error() -> None:
    """An OEM that ends before the burn it announces: after its end the elements hold, and
    when they are older than the burn their error grows by the drift the burn makes."""
    short = oem_of(build_trajectory(hours=3))  # states to the end of the 6:01 reboost, no more
    before_burn = elements_at(START + timedelta(hours=1))
    after_burn = elements_at(BURN + timedelta(hours=2))
    at = BURN + timedelta(hours=12)
    stale = engine_for(oem=short, elements=before_burn).source_at(at)
    fresh = engine_for(oem=short, elements=after_burn).source_at(at)
    assert stale is not None and fresh is not None
    assert stale.why == f"elements from before the reboost of {BURN:%Y-%m-%d %H:%M}Z"
    assert fresh.why is None
    plain_error = expected_error_km(stale.age_h or 0.0).median_km
    drift = burn_drift_km(0.4, 12 * 3600)
    assert stale.expected_error_km == pytest.approx(plain_error + drift)
    assert 40 < drift < 100  # 0.4 m/s: ~6.7 km per revolution, 7.7 revolutions
    # Before the burn, the elements of after it are as wrong (used backwards across it).
    backwards = engine_for(oem=short, elements=after_burn).source_at(START - timedelta(hours=1))
    assert backwards is not None and backwards.why is not None
    assert backwards.why.startswith("elements from after the reboost")


def _sgp4_oem(elements: ElementSet, start: datetime, hours: float, lag_s: float) -> Oem:
    """An OEM of the elements' own orbit, `lag_s` behind them (each state is where SGP4
    puts the station `lag_s` earlier), in EME2000 by skyfield's matrix."""
    from skyfield.api import EarthSatellite, load

    ts = load.timescale(builtin=True)
    satellite = EarthSatellite(elements.tle_line1, elements.tle_line2, "ISS", ts)
    epochs = [start + timedelta(minutes=4 * i) for i in range(int(hours * 15) + 1)]
    t = ts.from_datetimes([e - timedelta(seconds=lag_s) for e in epochs])
    geocentric = satellite.at(t)
    r = ICRS_to_J2000 @ geocentric.position.km
    v = ICRS_to_J2000 @ geocentric.velocity.km_per_s
    states = tuple(StateVector(e, *r[:, i], *v[:, i]) for i, e in enumerate(epochs))
    return Oem(header(epochs[0], epochs[-1], start), states, (), None, None, None, None, ())


def test_disagreement_in_km_and_seconds_along_the_track() -> None:
    """The OEM is the elements' orbit 3 s behind: the elements are ~23 km and +3 s ahead."""
    elements = elements_at(datetime(2025, 4, 7, 12, 29, 36, tzinfo=UTC))
    oem = _sgp4_oem(elements, elements.epoch, 6, lag_s=3.0)
    at = elements.epoch + timedelta(hours=2, seconds=17)
    found = engine_for(oem=oem, elements=elements).disagreement(at)
    tle = found["elements"]
    assert tle is not None and found["celestrak-supgp"] is None
    assert tle.along_track_s == pytest.approx(3.0, abs=0.01)
    assert tle.distance_km == pytest.approx(3.0 * 7.66, rel=0.02)
    # A segment (the same fields an hour earlier: elsewhere on the orbit) is measured too.
    late = elements_at(elements.epoch - timedelta(hours=1))
    fit = SupGp((SupGpSegment(late, None),))
    both = engine_for(oem=oem, elements=elements, supgp=fit).disagreement(at)
    assert both["elements"] == tle
    segment = both["celestrak-supgp"]
    assert segment is not None and segment.distance_km > 1.0
    assert engine_for(oem=oem, elements=elements).disagreement(at + timedelta(days=1)) == {
        "elements": None,
        "celestrak-supgp": None,
    }


def test_the_oem_error_is_how_far_the_previous_trajectory_was() -> None:
    elements = elements_at(datetime(2025, 4, 7, 12, 29, 36, tzinfo=UTC))
    current = _sgp4_oem(elements, elements.epoch, 6, lag_s=0.0)
    previous = _sgp4_oem(elements, elements.epoch - timedelta(hours=1), 6, lag_s=2.0)
    at = elements.epoch + timedelta(hours=3)
    measured = engine_for(oem=current, previous_oem=previous, elements=elements).source_at(at)
    assert measured is not None and measured.kind == "nasa-oem"
    assert measured.expected_error_km == pytest.approx(2.0 * 7.66, rel=0.02)
    # Alone, the fallback: the 26.6 km after 8 days, pro rata over 3 hours.
    alone = engine_for(oem=current, elements=elements).source_at(at)
    assert alone is not None
    assert alone.expected_error_km == pytest.approx(26.6 / 8 / 8)


# -- the state keeps the previous trajectory; everything sees the same engine -------------------


def test_the_state_keeps_the_trajectory_before_the_current_one() -> None:
    first = oem_of(DAY, created=START - timedelta(hours=5))
    again = oem_of(DAY, created=START - timedelta(hours=5))
    second = oem_of(DAY, created=START - timedelta(hours=1))
    state = MissionState().apply(FeedUpdate("oem", first, START))
    assert state.previous_oem is None
    state = state.apply(FeedUpdate("oem", again, START + timedelta(hours=1)))
    assert state.previous_oem is None  # the same file fetched again
    state = state.apply(FeedUpdate("oem", second, START + timedelta(hours=2)))
    assert state.previous_oem is not None and state.previous_oem.value is again
    assert state.oem is not None and state.oem.value is second
    assert state.without(["oem"]).previous_oem is None


def test_telemetry_map_and_passes_all_use_the_trajectory_where_it_holds() -> None:
    state = (
        MissionState()
        .with_elements(ElementsInfo(OLD_ELEMENTS, "feed", START))
        .apply(FeedUpdate("oem", DAY_OEM, START))
    )
    engines = EngineCache()
    now = START + timedelta(hours=2, seconds=30)
    orbit = orbit_at(engines, state, now)
    assert orbit is not None and orbit.telemetry is not None
    source = orbit.telemetry.source
    assert source is not None and source.kind == "nasa-oem"
    assert orbit.telemetry.disagreement["elements"] is not None
    from skyfield.api import load, wgs84
    from skyfield.positionlib import Geocentric

    ts = load.timescale(builtin=True)
    true_km = ICRS_to_J2000.T @ DAY.truth(now)[0]
    lat, lon = wgs84.latlon_of(Geocentric(true_km / 149597870.7, t=ts.from_datetime(now)))
    station = orbit.telemetry.station
    assert station.latitude_deg == pytest.approx(lat.degrees, abs=1e-4)
    assert station.longitude_deg == pytest.approx(lon.degrees, abs=1e-4)
    track = orbit.engine.track_window(now, 60.0, 60.0)
    k = int(np.argmin(np.abs(track.unix_s - now.timestamp())))
    assert abs(track.unix_s[k] - now.timestamp()) < 8
    assert track.latitude_deg[k] == pytest.approx(
        np.interp(now.timestamp(), track.unix_s, track.latitude_deg), abs=0.1
    )
    truth_at_sample = ICRS_to_J2000.T @ DAY.truth(datetime.fromtimestamp(track.unix_s[k], UTC))[0]
    t = ts.from_datetime(datetime.fromtimestamp(track.unix_s[k], UTC))
    sample_lat, _ = wgs84.latlon_of(Geocentric(truth_at_sample / 149597870.7, t=t))
    assert track.latitude_deg[k] == pytest.approx(sample_lat.degrees, abs=1e-4)
    # The same engine is kept while nothing changes; a new trajectory builds another.
    assert orbit_at(engines, state, now + timedelta(seconds=1)).engine is orbit.engine  # type: ignore[union-attr]
    newer = state.apply(FeedUpdate("oem", oem_of(DAY, created=START), START))
    assert orbit_at(engines, newer, now).engine is not orbit.engine  # type: ignore[union-attr]


def test_a_new_trajectory_searches_the_passes_again_and_the_chart_shares_the_engine() -> None:
    from issdash.model.passes.cache import PassSearchCache

    state = MissionState().with_elements(ElementsInfo(OLD_ELEMENTS, "feed", START))
    engines, searches = EngineCache(), PassSearchCache()
    now = START + timedelta(hours=2)
    plain = orbit_at(engines, state, now)
    assert plain is not None
    assert searches.due(plain.engine, LONDON, 10.0, now) is not None
    searches.found(())
    assert searches.due(plain.engine, LONDON, 10.0, now) is None
    with_oem = orbit_at(engines, state.apply(FeedUpdate("oem", DAY_OEM, now)), now)
    assert with_oem is not None and with_oem.engine is not plain.engine
    search = searches.due(with_oem.engine, LONDON, 10.0, now)
    assert search is not None and search.engine is with_oem.engine
    # A caller that knows only the set (the sky chart) gets the engine with every source.
    assert engines.get(OLD_ELEMENTS) is with_oem.engine


def test_times_in_a_grid_are_answered_in_its_shape() -> None:
    engine = engine_for(oem=DAY_OEM)
    unix_s = START.timestamp() + np.array([[600.0, 700.0, 800.0], [86400.0 * 3, 900.0, 1000.0]])
    flat = engine.satellite.at(engine.times(unix_s.ravel())).position.km
    grid = engine.satellite.at(engine.times(unix_s)).position.km
    assert grid.shape == (3, 2, 3)
    assert np.allclose(grid.reshape(3, -1), flat, atol=1e-6, rtol=0)
