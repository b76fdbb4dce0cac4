"""The dashboard with elements that are old, from the future, or unusable: it says so on the
map and in the telemetry panel, and keeps running (issues 12 and 14)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from textual.pilot import Pilot

from issdash.config.settings import load_settings
from issdash.core.runtime import Runtime
from issdash.feeds.clock import FrozenClock
from issdash.model.map.raster import APPROXIMATE_STATION_GLYPH, STATION_GLYPH
from issdash.tui.dashboard import IssDashApp
from issdash.widgets.ground_track import GroundTrackMap
from issdash.widgets.telemetry import TelemetryPanel
from scripts.fixtures.elements import tle_text

EPOCH = datetime(2025, 4, 8, 3, 0, tzinfo=UTC)
OTHERS = ("position", "crew", "astros", "docked", "launches", "dockings")


def app_with(tmp_path: Path, body: str, at: datetime) -> IssDashApp:
    tle = tmp_path / "iss.tle"
    tle.write_text(body)
    settings = load_settings(
        cache_dir=tmp_path / "cache",
        observer="51.5,-0.1",
        feeds={"tle": {"url": tle.as_uri()}, **{f: {"enabled": False} for f in OTHERS}},
    )
    return IssDashApp(Runtime(settings, FrozenClock(at), mode="live"))


async def settle(app: IssDashApp, pilot: Pilot[None]) -> None:
    for _ in range(300):
        if app.runtime.store.state.feeds["tle"].last_attempt_at is not None:
            break
        await pilot.pause(0.02)
    app._tick()
    await pilot.pause()


def panel_text(app: IssDashApp) -> str:
    return "\n".join(line.plain for line in app.query_one(TelemetryPanel).build_lines())


async def test_elements_decayed_at_the_time_say_unusable_and_the_app_keeps_running(
    tmp_path: Path,
) -> None:
    # Accepted at its epoch (and at the clock's time: it is checked then); SGP4 says
    # "decayed" ten days on, which is where the clock is once it is moved.
    app = app_with(tmp_path, tle_text(epoch=EPOCH, bstar=0.05), EPOCH + timedelta(hours=2))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.runtime.store.state.feeds["tle"].last_error is None
        app.clock = FrozenClock(EPOCH + timedelta(days=10))
        app._tick()
        await pilot.pause()
        # An older set that still propagates (the bundled one) is used instead, and said.
        assert "bundled" in panel_text(app)
        # With no other set, the panel says the elements are unusable, with the reason.
        store = app.runtime.store
        feed_only = tuple(i for i in store.state.element_sets if i.origin == "feed")
        store.update(lambda s: replace(s, element_sets=feed_only))
        app._tick()
        await pilot.pause()
        assert "ELEMENTS UNUSABLE" in panel_text(app) and "SGP4 error" in panel_text(app)
        scene = app.query_one(GroundTrackMap).scene
        assert scene is not None and scene.station is None and scene.future_track == ()
        # The resize path (where NaN elements once crashed) redraws without a station.
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        frame = app.query_one(GroundTrackMap)._frame
        assert frame is not None and STATION_GLYPH not in frame.codes
        app._tick()
        assert app.is_running


async def test_future_epoch_is_not_old_and_not_green(tmp_path: Path) -> None:
    # A machine clock 47 h before the only set's epoch (no earlier set: the bundled one is
    # later still): the panel must not say "1d 23h old" in green.
    at = datetime(2025, 4, 5, 13, 29, 36, tzinfo=UTC)
    app = app_with(tmp_path, tle_text(epoch=at + timedelta(hours=47)), at)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        panel = app.query_one(TelemetryPanel)
        lines = panel.build_lines()
        text = "\n".join(line.plain for line in lines)
        assert "epoch 1d 23h in the future" in text and " old" not in text
        row = next(line for line in lines if line.plain.startswith("Elements"))
        good = panel.component_style("telemetry--good")
        assert all(span.style != good for span in row.spans)


async def test_old_elements_mark_the_marker_and_passes(tmp_path: Path) -> None:
    app = app_with(tmp_path, tle_text(epoch=EPOCH), EPOCH + timedelta(days=5))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        for _ in range(200):  # the pass search runs in a thread
            if app.passes is not None:
                break
            await pilot.pause(0.05)
        app._tick()
        await pilot.pause()
        text = panel_text(app)
        assert "5d 0h old  approximate" in text and "≈" in text
        frame = app.query_one(GroundTrackMap)._frame
        assert frame is not None and APPROXIMATE_STATION_GLYPH in frame.codes
        assert "approximate" in str(app.query_one("#map-panel").border_subtitle)


async def test_two_week_old_elements_withhold_passes_and_draw_a_region(tmp_path: Path) -> None:
    app = app_with(tmp_path, tle_text(epoch=EPOCH), EPOCH + timedelta(days=15))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        text = panel_text(app)
        assert "UNRELIABLE" in text and "withheld" in text
        scene = app.query_one(GroundTrackMap).scene
        assert scene is not None and scene.station is None and scene.station_region
        # Issue 24: the map said "somewhere here" while this panel printed a position to
        # 0.01 deg, an altitude, the light's timing and an orbit number: one rule for both.
        assert "Position  not known" in text
        for precise in ("°N", "°S", "Altitude", "km/s", "Orbit     #", "sunlit", "eclipse"):
            assert precise not in text


async def test_a_1970_clock_with_the_bundled_set_keeps_running(tmp_path: Path) -> None:
    app = app_with(tmp_path, "", datetime(1970, 1, 1, tzinfo=UTC))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        text = panel_text(app)
        assert "in the future" in text or "ELEMENTS UNUSABLE" in text
        assert app.is_running


async def test_offline_609_days_on_nothing_precise_and_passes_withheld_with_the_reason(
    tmp_path: Path,
) -> None:
    # Issue 24: offline, the bundled set 609 days old. The panel printed a position to 0.01
    # deg, an altitude, sunlit timing and an orbit number while the map said "somewhere here".
    at = datetime(2025, 4, 7, 12, 30, tzinfo=UTC) + timedelta(days=609)
    app = app_with(tmp_path, "", at)  # the element feed answers nothing usable
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        text = panel_text(app)
        assert "Position  not known" in text and "609d" in text
        for precise in ("°N", "°S", "Altitude", "km/s", "Orbit     #", "sunlit", "eclipse"):
            assert precise not in text
        # The withheld passes say why there is nothing newer, not only that it is too old.
        assert "withheld" in text and "the element feed did not answer" in text
        assert "somewhere here" in str(app.query_one("#map-panel").border_subtitle)
