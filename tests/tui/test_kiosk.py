"""Kiosk mode: the lock, the cycle, burn-in care, the watchdog, the banner, the heartbeat, and
surviving a widget that fails to draw."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from issdash.config.settings import KioskSettings, load_settings
from issdash.core.runtime import Runtime, load_demo_recording
from issdash.feeds.clock import FrozenClock
from issdash.feeds.health import FeedHealth
from issdash.feeds.poller import FeedFailure, FeedUpdate
from issdash.feeds.registry import FEED_NAMES
from issdash.model.alert_banner import build_alert_view
from issdash.model.kiosk import VIEWS, KioskController
from issdash.model.state import MissionState
from issdash.tui.dashboard import IssDashApp
from issdash.widgets import guard
from issdash.widgets.alert_banner import AlertBanner
from issdash.widgets.ground_track import GroundTrackMap
from scripts.fixtures.ms27_payloads import TLE_TEXT

AT = datetime(2025, 4, 8, 8, 0, tzinfo=UTC)


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def kiosk_app(tmp_path: Path, **kiosk: Any) -> tuple[IssDashApp, FakeMonotonic]:
    settings = load_settings(kiosk={"heartbeat_file": tmp_path / "hb", **kiosk})
    runtime = Runtime.for_demo(settings, load_demo_recording(), FrozenClock(AT))
    mono = FakeMonotonic()
    return IssDashApp(runtime, kiosk=KioskController(settings.kiosk, mono)), mono


@pytest.mark.slow
async def test_locked_keys_and_the_unlock_sequence(tmp_path: Path) -> None:
    app, _ = kiosk_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        for key in ("q", "ctrl+c", "ctrl+q", "question_mark", "ctrl+p", "d", "escape"):
            await pilot.press(key)
            await pilot.pause(0.05)
            assert app.is_running, key
            assert app.screen is app.screen_stack[0], key  # no help, no palette
        assert app.query_one(GroundTrackMap).scene is not None
        assert app.query_one(GroundTrackMap).scene.show_night  # "d" did not toggle  # type: ignore[union-attr]
        await pilot.press(*"unlocx", "enter")  # a wrong word does nothing
        await pilot.pause(0.05)
        assert app.is_running
        await pilot.press(*"xxunlock", "enter")
        await pilot.pause(0.1)
    assert app.return_code == 0


async def test_no_footer_and_heartbeat(tmp_path: Path) -> None:
    app, _ = kiosk_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.1)
        assert app.has_class("-kiosk")
        assert app.query_one("Footer").display is False
        assert (tmp_path / "hb").exists()


def test_cycle_and_shift_follow_the_clock() -> None:
    mono = FakeMonotonic()
    kiosk = KioskController(KioskSettings(cycle_s=20, shift_s=240), mono)
    seen = []
    for _ in range(8):
        seen.append(kiosk.view())
        mono.now += 20
    assert seen == list(VIEWS) * 2
    shifts = []
    for _ in range(5):
        shifts.append(kiosk.shift())
        mono.now += 240
    assert shifts == [(0, 0), (0, 1), (1, 1), (1, 0), (0, 0)]


async def test_cycle_emphasis_on_screen_keeps_the_countdown(tmp_path: Path) -> None:
    app, mono = kiosk_app(tmp_path, cycle_s=10)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.1)
        for view in VIEWS:
            app._tick()
            await pilot.pause()
            assert app.has_class(f"-emphasis-{view}")
            assert sum(app.has_class(f"-emphasis-{v}") for v in VIEWS) == 1
            assert app.query_one("#next-event-panel").region.area > 0  # never hidden
            mono.now += 10


def test_dim_schedule_across_midnight() -> None:
    kiosk = KioskController(KioskSettings(dim="22:00-06:30"))
    assert kiosk.dimmed(datetime(2025, 4, 8, 23, 0))
    assert kiosk.dimmed(datetime(2025, 4, 8, 3, 0))
    assert not kiosk.dimmed(datetime(2025, 4, 8, 6, 30))
    assert not kiosk.dimmed(datetime(2025, 4, 8, 12, 0))
    assert not KioskController(KioskSettings()).dimmed(datetime(2025, 4, 8, 23, 0))


async def test_watchdog_restarts_a_poller_that_stopped(tmp_path: Path) -> None:
    tle = tmp_path / "iss.tle"
    tle.write_text(TLE_TEXT)
    feeds: dict[str, Any] = {f: {"enabled": False} for f in FEED_NAMES if f != "tle"}
    feeds["tle"] = {"url": tle.as_uri()}
    runtime = Runtime(load_settings(cache_dir=tmp_path / "c", feeds=feeds), FrozenClock(AT))
    runtime.start()
    await asyncio.sleep(0.05)
    task = runtime._tasks["tle"]
    task.cancel()  # a poller that stopped, for whatever reason
    await asyncio.sleep(0)
    assert runtime.watchdog() == ["tle"]
    assert runtime._tasks["tle"] is not task and not runtime._tasks["tle"].done()
    assert runtime.watchdog() == []
    await runtime.stop()


def test_banner_when_every_feed_is_down() -> None:
    t0 = datetime(2025, 4, 8, 6, 0, tzinfo=UTC)
    state = MissionState().with_feeds(
        {f: FeedHealth(f, True, 60) for f in ("tle", "crew")}
        | {"astros": FeedHealth("astros", False, 60)}
    )
    state = state.apply(FeedUpdate("tle", object(), t0)).apply(FeedUpdate("crew", object(), t0))
    assert not build_alert_view(state, AT).all_down
    state = state.apply(FeedFailure("tle", "timed out", AT, 60))
    assert not build_alert_view(state, AT).all_down  # one still fine
    state = state.apply(FeedFailure("crew", "HTTP 503", AT, 60))
    view = build_alert_view(state, AT)
    assert view.all_down and view.feeds == 2  # the disabled feed does not count
    assert view.newest_data_age_s == 7200.0


async def test_banner_on_screen(tmp_path: Path) -> None:
    feeds = {f: {"url": f"http://127.0.0.1:9/{f}"} for f in FEED_NAMES}
    runtime = Runtime(load_settings(cache_dir=tmp_path / "c", feeds=feeds), FrozenClock(AT))
    app = IssDashApp(runtime)
    async with app.run_test(size=(120, 40)) as pilot:
        banner = app.query_one(AlertBanner)
        for _ in range(200):
            if banner.has_class("-shown"):
                break
            await pilot.pause(0.02)
        assert banner.has_class("-shown")
        assert f"ALL {len(FEED_NAMES)} FEEDS DOWN" in banner.render().plain
        assert app.query_one(GroundTrackMap).scene is not None  # bundled elements still drawn


async def test_a_widget_that_fails_to_draw_costs_one_frame(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = kiosk_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        failures = guard.failures
        guard.simulate_crash()
        app._tick()
        app.refresh(repaint=True)
        for widget in app.query("*"):
            widget.refresh()
        await pilot.pause(0.2)
        assert guard.failures == failures + 1
        assert "simulated widget crash" in caplog.text
        app._tick()
        await pilot.pause(0.2)
        assert app.is_running
        assert app.query_one(GroundTrackMap).scene is not None


async def test_heartbeat_stops_while_the_views_fail_every_tick(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A setting that broke every tick once left map, crew and telemetry blank while the
    # heartbeat kept being touched: a supervisor saw nothing wrong.
    app, _ = kiosk_app(tmp_path)
    beat = tmp_path / "hb"
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        app.heartbeat()
        assert beat.exists()  # healthy: touched
        beat.unlink()

        def broken(*_: object) -> None:
            raise ValueError("a view that fails every tick")

        monkeypatch.setattr("issdash.model.crew_roster.build_roster", broken)
        # The health's own clock, faked throughout (a fake time near the machine's uptime
        # once made "the failure was long ago" depend on when the machine booted).
        now = [1000.0]
        app.health.monotonic = lambda: now[0]
        app.health.views_ok_at = now[0]
        now[0] += 120.0  # two minutes of failing ticks
        app._tick()
        assert app.is_running  # the app survives it...
        assert not app.heartbeat()  # ...but the heartbeat says something is wrong
        assert not beat.exists()
        monkeypatch.undo()
        now[0] += 91.0  # fixed, and the last failure is past the heartbeat's window
        app._tick()  # the next good tick brings the heartbeat back
        assert app.heartbeat() and beat.exists()


async def test_heartbeat_stops_while_a_panel_fails_to_draw(tmp_path: Path) -> None:
    app, _ = kiosk_app(tmp_path)
    beat = tmp_path / "hb"
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        beat.unlink()
        guard.simulate_crash()
        app.query_one("#telemetry").refresh()  # type: ignore[union-attr]
        for widget in app.query("*"):
            widget.refresh()
        await pilot.pause(0.2)
        assert guard.last_failure_monotonic is not None
        app._tick()
        assert not app.heartbeat() and not beat.exists()
