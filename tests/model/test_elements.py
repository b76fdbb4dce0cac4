"""Orbital elements: only the station's, only plausible ones, the right one for the time, with
its age and expected error said wherever a position is shown (issues 12 and 14)."""

from __future__ import annotations

import gc
import json
import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from issdash.commands.cli import main
from issdash.config.settings import MapSettings
from issdash.feeds.adapters.tle import parse_element_sets
from issdash.feeds.cache import FeedCache
from issdash.feeds.clock import parse_iso_utc
from issdash.feeds.elements import (
    ElementSets,
    ElementsInfo,
    choose,
    describe_age,
    expected_error_km,
    merge,
    physical_problem,
)
from issdash.feeds.health import FeedHealth
from issdash.feeds.sources import FeedError, RawResponse
from issdash.model.map.raster import APPROXIMATE_STATION_GLYPH, STATION_GLYPH, compose, point_cell
from issdash.model.map.scene import MapToggles, build_scene
from issdash.model.orbit import OrbitEngine
from issdash.model.state import MissionState
from issdash.model.status import dumps_status
from issdash.model.telemetry import EngineCache, orbit_at
from scripts.fixtures.elements import (
    GEOSTATIONARY_TLE,
    HISTORY_START,
    HISTORY_STEP,
    HUBBLE_LINES,
    NAN_TLE,
    TOO_FAST_TLE,
    omm,
    omm_history,
    tle_text,
)
from scripts.fixtures.ms27_payloads import TLE_LINE1, TLE_LINE2

NOW = datetime(2025, 4, 8, 5, 47, 15, tzinfo=UTC)
BUNDLED_EPOCH = datetime(2025, 4, 7, 12, 29, 36, tzinfo=UTC)
OTHER_FEEDS = ("POSITION", "CREW", "ASTROS", "DOCKED", "LAUNCHES", "DOCKINGS")


def raw(body: str, now: datetime = NOW) -> RawResponse:
    return RawResponse("file:///x", 200, "text/plain", body, now)


def strict_json(text: str) -> Any:
    """A parser that refuses NaN and Infinity, as every strict JSON parser does."""

    def refuse(token: str) -> Any:
        raise ValueError(f"not JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def status(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    *args: str,
    tle_body: str | None = None,
) -> dict[str, Any]:
    """`issdash status --json` with the tle feed reading `tle_body` from a file (down when
    None) and every other feed disabled. Degraded data may exit 3, never 1 or 2."""
    if tle_body is None:
        monkeypatch.setenv("ISSDASH_FEEDS__TLE__URL", (tmp_path / "absent.tle").as_uri())
    else:
        path = tmp_path / "feed.tle"
        path.write_text(tle_body, encoding="utf-8")
        monkeypatch.setenv("ISSDASH_FEEDS__TLE__URL", path.as_uri())
    for feed in OTHER_FEEDS:
        monkeypatch.setenv(f"ISSDASH_FEEDS__{feed}__ENABLED", "false")
    code = main(["status", "--json", *args])
    assert code in (0, 3)
    assert gc.isenabled()
    return dict(strict_json(capsys.readouterr().out))


# -- only the station's, only plausible ---------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (NAN_TLE, r"SGP4 error"),
        (GEOSTATIONARY_TLE, r"altitude 35,7\d\d km .* outside the station's band"),
        (TOO_FAST_TLE, r"SGP4 error 6|altitude -\d+ km"),
        (json.dumps({"line1": HUBBLE_LINES[0], "line2": HUBBLE_LINES[1]}), r"catalog number"),
        (json.dumps([omm(NOW, MEAN_MOTION=1.0027, INCLINATION=0.05)]), r"altitude 35,"),
        (json.dumps([omm(NOW - timedelta(days=1), ECCENTRICITY=0.9)]), r"SGP4 error"),
    ],
    ids=["nan", "geostationary", "19.9-rev-day", "hubble-line1-line2", "omm-geo", "omm-ecc"],
)
def test_implausible_or_foreign_elements_are_rejected_with_a_reason(body: str, reason: str) -> None:
    with pytest.raises(FeedError, match=reason):
        parse_element_sets(raw(body), NOW)


def test_rejected_elements_show_on_the_tle_feed_and_status_json_stays_strict(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Issue 12: the NaN set printed "latitude_deg": NaN with the feed "ok".
    out = status(capsys, monkeypatch, tmp_path, "--at", NOW.isoformat(), tle_body=NAN_TLE)
    tle = out["feeds"]["tle"]
    assert tle["state"] != "ok" and "SGP4 error" in tle["error"]
    assert out["elements"]["origin"] == "bundled"  # the good last resort, not the NaN set
    assert all(math.isfinite(v) for v in out["position"].values() if isinstance(v, float))
    assert (tmp_path / "issdash-cache" / "tle.json").exists() is False  # never cached


@pytest.mark.parametrize("body", [GEOSTATIONARY_TLE, TOO_FAST_TLE])
def test_geostationary_and_too_fast_sets_never_become_the_station(
    body: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    out = status(capsys, monkeypatch, tmp_path, "--at", NOW.isoformat(), tle_body=body)
    assert out["feeds"]["tle"]["state"] == "down"
    assert 400 < out["position"]["altitude_km"] < 440  # the bundled set, ~420 km


def test_hubble_as_line1_line2_json_is_not_the_iss(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    body = json.dumps({"name": "HST", "line1": HUBBLE_LINES[0], "line2": HUBBLE_LINES[1]})
    out = status(capsys, monkeypatch, tmp_path, "--at", NOW.isoformat(), tle_body=body)
    assert "catalog number 20580" in out["feeds"]["tle"]["error"]
    assert out["position"]["altitude_km"] < 440  # not Hubble's 537 km
    assert out["position"]["orbit_number"] > 150_000  # not Hubble's orbit 2347


def test_status_json_refuses_nan_whatever_reaches_it() -> None:
    text = dumps_status({"position": {"latitude_deg": math.nan, "x": [math.inf, 1.5]}})
    assert strict_json(text) == {"position": {"latitude_deg": None, "x": [None, 1.5]}}


def test_poisoned_cache_is_discarded_and_a_good_feed_shows_the_good_orbit(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A cache written before the checks existed holds the NaN set; the feed is good now.
    cache = FeedCache(tmp_path / "issdash-cache")
    cache.save("tle", RawResponse("https://x", 200, "text/plain", NAN_TLE, NOW))
    good = tle_text(epoch=NOW - timedelta(hours=2), raan_deg=293.5)
    out = status(capsys, monkeypatch, tmp_path, "--at", NOW.isoformat(), tle_body=good)
    assert any("cached tle discarded" in n for n in out["notices"])
    assert out["feeds"]["tle"]["state"] == "ok"
    assert out["elements"]["origin"] == "feed"
    assert out["elements"]["epoch"].startswith((NOW - timedelta(hours=2)).strftime("%Y-%m-%dT%H"))
    # What is cached now is the good answer.
    assert "0.99" not in (tmp_path / "issdash-cache" / "tle.json").read_text()


def test_poisoned_cache_with_the_feed_down_falls_back_to_the_bundled_set(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    FeedCache(tmp_path / "issdash-cache").save(
        "tle", RawResponse("https://x", 200, "text/plain", GEOSTATIONARY_TLE, NOW)
    )
    out = status(capsys, monkeypatch, tmp_path, "--at", NOW.isoformat())
    assert any("cached tle discarded" in n for n in out["notices"])
    assert out["elements"]["origin"] == "bundled"
    assert not (tmp_path / "issdash-cache" / "tle.json").exists()


def test_elements_that_decay_later_say_unusable_instead_of_failing() -> None:
    # Accepted at its epoch; SGP4 says "decayed" ten days on.
    sets = parse_element_sets(raw(tle_text(bstar=0.05)), NOW)
    state = MissionState().with_elements(ElementsInfo(sets.sets[0], "feed", NOW))
    later = NOW + timedelta(days=10)
    orbit = orbit_at(EngineCache(), state, later)
    assert orbit is not None and orbit.telemetry is None
    assert orbit.problem is not None and "SGP4 error" in orbit.problem
    # The map has no station rather than a crash.
    scene = build_scene(orbit.engine, state, None, later, MapSettings(), MapToggles())
    assert scene.station is None and scene.future_track == ()
    compose(scene, 80, 20)


def test_a_track_running_into_decay_leaves_out_the_nonsense() -> None:
    sets = parse_element_sets(raw(tle_text(bstar=0.05)), NOW)
    engine = OrbitEngine(sets.sets[0])
    track = engine.ground_track(NOW, NOW + timedelta(days=12), step_s=600)
    assert 0 < track.unix_s.size < 12 * 144  # the days after the decay are left out
    assert np.isfinite(track.latitude_deg).all() and np.isfinite(track.longitude_deg).all()
    for unix_s in track.unix_s[:: max(1, track.unix_s.size // 40)]:
        assert physical_problem(sets.sets[0], datetime.fromtimestamp(unix_s, UTC)) is None


# -- the right set for the time -------------------------------------------------------------


def sgp4_latlon(record: dict[str, Any], at: datetime) -> tuple[float, float]:
    """The sub-point by skyfield directly on one OMM record."""
    from skyfield.api import EarthSatellite, load, wgs84

    ts = load.timescale(builtin=True)
    sat = EarthSatellite.from_omm(ts, {k: str(v) for k, v in record.items()})
    lat, lon = wgs84.latlon_of(sat.at(ts.from_datetime(at)))
    return float(lat.degrees), float(lon.degrees)


def great_circle_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    from issdash.model.orbit import great_circle_km as gc_km

    return gc_km(a[0], a[1], b[0], b[1])


@pytest.mark.parametrize("how", ["feed", "history-file"])
def test_status_in_a_499_set_history_uses_the_set_for_the_time(
    how: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    history = omm_history(499)
    body = json.dumps(history)
    at = HISTORY_START + 250 * HISTORY_STEP + timedelta(hours=3)  # 3 h after set 250
    if how == "feed":
        out = status(capsys, monkeypatch, tmp_path, "--at", at.isoformat(), tle_body=body)
    else:
        path = tmp_path / "history.json"
        path.write_text(body)
        out = status(
            capsys, monkeypatch, tmp_path, "--at", at.isoformat(), "--elements-history", str(path)
        )
    chosen = history[250]
    assert out["elements"]["epoch"] == chosen["EPOCH"][:19] + "Z"
    assert out["elements"]["origin"] == ("feed" if how == "feed" else "history")
    assert out["elements"]["age_h"] == pytest.approx(3.0, abs=0.01)
    position = (out["position"]["latitude_deg"], out["position"]["longitude_deg"])
    assert great_circle_km(position, sgp4_latlon(chosen, at)) < 1.0
    # The first set (the old code's choice) would be thousands of km away.
    assert great_circle_km(position, sgp4_latlon(history[0], at)) > 100


@pytest.mark.parametrize(
    ("hours_after_feed_epoch", "origin"),
    [(12.0, "feed"), (36.0, "bundled")],
    ids=["feed", "bundled"],
)
def test_the_set_nearest_the_time_asked_is_used_whatever_its_origin(
    hours_after_feed_epoch: float,
    origin: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # A feed set two days before the bundled one: between them, the nearer epoch is used.
    feed_epoch = BUNDLED_EPOCH - timedelta(days=2)
    at = feed_epoch + timedelta(hours=hours_after_feed_epoch)
    body = tle_text(epoch=feed_epoch, raan_deg=307.0)
    out = status(capsys, monkeypatch, tmp_path, "--at", at.isoformat(), tle_body=body)
    assert out["elements"]["origin"] == origin
    assert abs(out["elements"]["age_h"]) == pytest.approx(12.0, abs=0.01)
    assert out["elements"]["epoch_after_time"] is (origin == "bundled")


def test_a_later_set_only_when_nothing_earlier_and_then_labelled(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    at = BUNDLED_EPOCH - timedelta(days=1, hours=23)
    out = status(capsys, monkeypatch, tmp_path, "--at", at.isoformat())
    assert out["elements"]["origin"] == "bundled"
    assert out["elements"]["epoch_after_time"] is True
    assert out["elements"]["age_h"] == pytest.approx(-47.0, abs=0.01)
    assert any("after the time shown" in n for n in out["notices"])
    assert out["position"]["elements_epoch_after_time"] is True


def test_a_1970_clock_with_the_bundled_set_does_not_crash(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The machine's clock at 1970 (`status --at` before Zarya's launch is a usage error).
    monkeypatch.setattr(
        "issdash.feeds.clock.SystemClock.now", lambda self: datetime(1970, 1, 1, tzinfo=UTC)
    )
    out = status(capsys, monkeypatch, tmp_path)
    assert out["time"] == "1970-01-01T00:00:00Z"
    assert out["elements"]["epoch_after_time"] is True
    # Propagated 55 years backwards the set gives nonsense: said, not drawn.
    if out["position"] is None:
        assert out["elements"]["usable"] is False and out["elements"]["problem"]
        assert any("unusable" in n for n in out["notices"])


def test_choice_prefers_the_set_nearest_the_time() -> None:
    sets = parse_element_sets(raw(json.dumps(omm_history(20))), None).sets
    infos = merge((), [ElementsInfo(s, "history", NOW) for s in sets])
    for i in (0, 7, 19):
        at = HISTORY_START + i * HISTORY_STEP + timedelta(minutes=1)
        choice = choose(infos, at)
        assert choice is not None and choice.elements == sets[i] and not choice.after_time
        # Just before the next epoch, the next set is the nearer one.
        if i < 19:
            late = HISTORY_START + (i + 1) * HISTORY_STEP - timedelta(minutes=30)
            choice = choose(infos, late)
            assert choice is not None and choice.elements == sets[i + 1] and choice.after_time
    before = choose(infos, HISTORY_START - timedelta(hours=1))
    assert before is not None and before.elements == sets[0] and before.after_time


def test_across_a_reboost_a_past_time_uses_the_set_after_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Issue 24: a set a day before a reboost and one 1.9 h after the time asked, on the
    # reboosted orbit (higher, slower, its node moved on); the old choice, the newest set before
    # the time, put the station 1,874 km off.
    at = datetime(2024, 11, 20, 12, 0, tzinfo=UTC)
    before = omm(at - timedelta(hours=26), MEAN_MOTION=15.50, MEAN_ANOMALY=10.0)
    after = omm(at + timedelta(hours=1.9), MEAN_MOTION=15.47, MEAN_ANOMALY=200.0)
    history = tmp_path / "history.json"
    history.write_text(json.dumps([before, after]), encoding="utf-8")
    out = status(
        capsys, monkeypatch, tmp_path, "--at", at.isoformat(), "--elements-history", str(history)
    )
    assert out["elements"]["epoch"] == after["EPOCH"][:19] + "Z"
    assert out["elements"]["age_h"] == pytest.approx(-1.9, abs=0.01)
    assert out["elements"]["epoch_after_time"] is True
    position = (out["position"]["latitude_deg"], out["position"]["longitude_deg"])
    assert great_circle_km(position, sgp4_latlon(after, at)) < 1.0
    assert great_circle_km(position, sgp4_latlon(before, at)) > 100


def test_hubble_relabelled_25544_is_not_the_station(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Issue 24: Hubble's set with the station's catalog number was accepted, exit 0.
    body = tle_text(
        name="HST",
        catalog=25544,
        inclination_deg=28.4699,
        eccentricity=0.0002,
        mean_motion_rev_day=15.2708,
        rev=2347,
        epoch=NOW - timedelta(hours=3),
    )
    out = status(capsys, monkeypatch, tmp_path, "--at", NOW.isoformat(), tle_body=body)
    error = out["feeds"]["tle"]["error"]
    assert "not the station's elements: inclination 28.47 deg" in error
    assert out["feeds"]["tle"]["state"] == "down" and out["degraded"] is True
    assert out["elements"]["origin"] == "bundled"
    assert out["position"]["altitude_km"] < 440  # not Hubble's 537 km


def test_equal_epochs_keep_the_better_origin() -> None:
    elements = parse_element_sets(raw(tle_text()), None).sets[0]
    merged = merge([ElementsInfo(elements, "bundled", NOW)], [ElementsInfo(elements, "feed", NOW)])
    assert [i.origin for i in merged] == ["feed"]


def test_a_body_with_one_bad_set_among_good_ones_keeps_the_good_ones() -> None:
    records = omm_history(5)
    records[2]["MEAN_MOTION"] = 1.0027  # geostationary
    sets = parse_element_sets(raw(json.dumps(records)), None)
    assert len(sets.sets) == 4 and sets.rejected_count == 1
    assert any("altitude" in r for r in sets.rejected)
    from issdash.feeds.poller import FeedUpdate

    state = MissionState().apply(FeedUpdate("tle", sets, NOW))
    assert len(state.element_sets) == 4
    assert any(n.startswith("tle: 1 element set skipped") for n in state.notices)


# -- uncertainty from age -------------------------------------------------------------------


def test_expected_error_follows_the_measured_table() -> None:
    # The rows of docs/expected-error.md (tests/model/test_expected_error_table.py checks all).
    for days, median, p90 in ((3, 25.3, 599.2), (7, 219.9, 2531.7), (14, 1674.9, 6188.2)):
        error = expected_error_km(days * 24.0)
        assert error.median_km == pytest.approx(median)
        assert error.p90_km == pytest.approx(p90)
    # Log-log between the points: 5 days lies between 3 and 7 days' figures.
    five = expected_error_km(5 * 24.0)
    assert 25.3 < five.median_km < 219.9 and 599.2 < five.p90_km < 2531.7
    # Below 3 days it keeps shrinking, to SGP4's own kilometre.
    assert expected_error_km(24.0).median_km < 25.3
    assert expected_error_km(0.0).median_km == pytest.approx(1.0)
    # Before the epoch it errs as much as after it.
    assert expected_error_km(-5 * 24.0) == expected_error_km(5 * 24.0)
    levels = [expected_error_km(d * 24.0).level for d in (1, 4, 15)]
    assert levels == ["good", "approximate", "uncertain"]


def test_forty_day_old_elements_are_stale_with_notices(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Issue 14: 40-day-old elements gave no notice and a tle feed "ok".
    epoch = BUNDLED_EPOCH + timedelta(hours=1)  # newer than the bundled set
    at = epoch + timedelta(days=40)
    body = tle_text(epoch=epoch, bstar=0.0001)
    out = status(capsys, monkeypatch, tmp_path, "--at", at.isoformat(), tle_body=body)
    assert out["feeds"]["tle"]["state"] == "stale"
    assert out["elements_age_h"] == pytest.approx(960.0, abs=0.01)
    assert out["expected_error_km"] > 6400
    assert out["elements"]["origin"] == "feed"
    assert any(re.search(r"elements (39d 23h|40d 0h) old: ", n) for n in out["notices"])
    assert out["passes"] is None or out["position"] is None
    if out["position"] is not None:
        assert out["position"]["approximate"] is True


def test_four_day_old_elements_make_positions_and_passes_approximate(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    at = BUNDLED_EPOCH + timedelta(days=4)
    out = status(capsys, monkeypatch, tmp_path, "--at", at.isoformat(), "--observer", "51.5,-0.1")
    assert out["position"]["approximate"] is True
    assert out["passes"] and all(p["approximate"] for p in out["passes"])
    assert any("position approximate" in n for n in out["notices"])


def test_two_week_old_elements_withhold_passes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    at = BUNDLED_EPOCH + timedelta(days=15)
    out = status(capsys, monkeypatch, tmp_path, "--at", at.isoformat(), "--observer", "51.5,-0.1")
    assert out["passes"] is None
    assert any(n.startswith("passes withheld: elements too old") for n in out["notices"])


def test_status_prints_no_position_from_elements_past_two_weeks(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Issue 24: offline with 609-day-old elements, a position to 0.001 deg, an altitude and an
    # orbit number were printed as if known. The JSON keeps the propagation, flagged.
    at = (BUNDLED_EPOCH + timedelta(days=609)).isoformat()
    out = status(capsys, monkeypatch, tmp_path, "--at", at)
    assert out["position"]["position_known"] is False and out["position"]["approximate"]
    monkeypatch.setenv("ISSDASH_FEEDS__TLE__URL", (tmp_path / "absent.tle").as_uri())
    assert main(["status", "--at", at]) == 3
    text = capsys.readouterr().out
    assert "ISS  position not known: elements 609d 0h old" in text
    assert " km/s" not in text and "orbit 1" not in text
    # Nearer the epoch the same command prints the position.
    out = status(
        capsys, monkeypatch, tmp_path, "--at", (BUNDLED_EPOCH + timedelta(days=13)).isoformat()
    )
    assert out["position"]["position_known"] is True


def test_tle_health_is_stale_once_the_elements_are_approximate() -> None:
    health = FeedHealth("tle", True, 7200.0, max_data_age_s=3 * 86400.0).succeeded(NOW)
    from dataclasses import replace

    health = replace(health, data_time=NOW - timedelta(days=2))
    assert health.state(NOW) == "ok"
    assert health.state(NOW + timedelta(days=1, hours=1)) == "stale"


def test_future_epochs_are_never_called_old() -> None:
    assert describe_age(-47.0) == "epoch 1d 23h in the future"
    assert describe_age(47.0) == "1d 23h old"
    assert "old" not in describe_age(-0.5)


def test_status_text_says_epoch_in_the_future(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ISSDASH_FEEDS__TLE__URL", (tmp_path / "absent.tle").as_uri())
    for feed in OTHER_FEEDS:
        monkeypatch.setenv(f"ISSDASH_FEEDS__{feed}__ENABLED", "false")
    at = BUNDLED_EPOCH - timedelta(days=1, hours=23)
    assert main(["status", "--at", at.isoformat()]) in (0, 3)
    text = capsys.readouterr().out
    assert "epoch 1d 23h in the future" in text and "h old" not in text


def test_map_marks_old_elements_approximate_and_two_weeks_as_a_region() -> None:
    elements = parse_element_sets(raw(tle_text()), None).sets[0]
    state = MissionState().with_elements(ElementsInfo(elements, "feed", NOW))
    engines = EngineCache()
    scenes = {}
    for days in (0.5, 4, 15):
        at = elements.epoch + timedelta(days=days)
        orbit = orbit_at(engines, state, at)
        assert orbit is not None and orbit.telemetry is not None
        t = orbit.telemetry
        scenes[days] = build_scene(
            orbit.engine, state, t.station, at, MapSettings(), MapToggles(), t.error
        )
    width, height = 160, 40
    fresh = scenes[0.5]
    assert fresh.station is not None and not fresh.station_approximate
    x, y = point_cell(*fresh.station, width, height)
    assert compose(fresh, width, height).codes[y, x] == STATION_GLYPH
    old = scenes[4]
    assert old.station is not None and old.station_approximate
    x, y = point_cell(*old.station, width, height)
    assert compose(old, width, height).codes[y, x] == APPROXIMATE_STATION_GLYPH
    region = scenes[15]
    assert region.station is None and region.station_region and region.footprint == ()
    frame = compose(region, width, height)
    assert STATION_GLYPH not in frame.codes and APPROXIMATE_STATION_GLYPH not in frame.codes
    # The region spans about twice the typical error along the track (~2 x 2,000 km).
    lat = np.concatenate([r[0] for r in region.station_region])
    lon = np.concatenate([r[1] for r in region.station_region])
    span = great_circle_km((lat[0], lon[0]), (lat[-1], lon[-1]))
    assert span > 1500


# -- the orbit number -----------------------------------------------------------------------


def test_orbit_number_resolves_the_five_digit_field(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out = status(capsys, monkeypatch, tmp_path, "--at", NOW.isoformat())
    # 26.4 years x ~15.6 rev/day since Zarya's launch; the TLE field says 50,431.
    assert out["position"]["orbit_number"] == 150_431


@pytest.mark.parametrize("age_days", [0, 10])
def test_orbit_number_steps_within_seconds_of_the_ascending_node(age_days: int) -> None:
    from scripts.fixtures.ms27_payloads import TLE_TEXT

    elements = parse_element_sets(raw(TLE_TEXT), None).sets[0]
    engine = OrbitEngine(elements)
    start = elements.epoch + timedelta(days=age_days, hours=1)
    # Latitude every second for 2.5 orbits; ascending nodes where it crosses zero northbound.
    track = engine.ground_track(start, start + timedelta(minutes=235), step_s=1.0)
    lat = track.latitude_deg
    nodes = np.flatnonzero((lat[:-1] < 0) & (lat[1:] >= 0))
    assert nodes.size >= 2
    counts = []
    for i in nodes:
        node = datetime.fromtimestamp(float(track.unix_s[i]), tz=UTC)
        before = engine.orbit_number(node - timedelta(seconds=3))
        after = engine.orbit_number(node + timedelta(seconds=4))
        assert after == before + 1, (node, before, after)
        # And nowhere else: steady a minute either side.
        assert engine.orbit_number(node - timedelta(minutes=40)) == before
        assert engine.orbit_number(node + timedelta(minutes=40)) == after
        counts.append(after)
    assert counts == list(range(counts[0], counts[0] + len(counts)))
    # ~15.49 revolutions a day since the epoch's 150,420.
    assert counts[0] == pytest.approx(150_420 + 15.49 * (age_days + 1 / 24), abs=1.5)


def test_history_file_errors_are_usage_errors(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "history.json"
    path.write_text(json.dumps([omm(NOW, NORAD_CAT_ID=20580)]))
    assert main(["status", "--json", "--elements-history", str(path)]) == 2
    assert "elements history" in capsys.readouterr().err


def test_elementsets_for_time() -> None:
    sets = parse_element_sets(raw(json.dumps(omm_history(3))), None)
    assert isinstance(sets, ElementSets)
    assert sets.for_time(HISTORY_START - timedelta(days=1)) == sets.sets[0]
    assert sets.for_time(HISTORY_START + HISTORY_STEP) == sets.sets[1]
    assert sets.for_time(parse_iso_utc("2030-01-01T00:00:00Z")) == sets.sets[2]


def test_real_ms27_lines_are_accepted() -> None:
    sets = parse_element_sets(raw(f"{TLE_LINE1}\n{TLE_LINE2}\n"), NOW)
    assert len(sets.sets) == 1 and sets.rejected == ()


@pytest.mark.parametrize(
    ("at", "said"),
    [
        (BUNDLED_EPOCH + timedelta(days=15), "passes withheld"),
        (datetime(1998, 11, 21, tzinfo=UTC), "elements unusable at this time"),
    ],
)
def test_status_text_says_what_is_withheld_or_unusable(
    at: datetime,
    said: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("ISSDASH_FEEDS__TLE__URL", (tmp_path / "absent.tle").as_uri())
    for feed in OTHER_FEEDS:
        monkeypatch.setenv(f"ISSDASH_FEEDS__{feed}__ENABLED", "false")
    assert main(["status", "--at", at.isoformat(), "--observer", "51.5,-0.1"]) in (0, 3)
    assert said in capsys.readouterr().out


def test_a_good_cache_is_not_deleted_for_a_time_long_before_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cache = FeedCache(tmp_path / "issdash-cache")
    cache.save("tle", RawResponse("https://x", 200, "text/plain", tle_text(epoch=NOW), NOW))
    out = status(capsys, monkeypatch, tmp_path, "--at", "2024-01-01T00:00:00Z")
    assert any("cached tle not used at this time" in n for n in out["notices"])
    assert (tmp_path / "issdash-cache" / "tle.json").exists()
