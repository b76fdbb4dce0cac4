"""The dashboard, driven headless with a frozen clock."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from rich.console import Group
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Static

from issdash.config.settings import load_settings
from issdash.core.runtime import Runtime, load_demo_recording
from issdash.feeds.clock import FrozenClock, ScaledClock
from issdash.feeds.registry import FEED_NAMES
from issdash.model.map.raster import STATION_GLYPH, point_cell
from issdash.tui.dashboard import HelpScreen, IssDashApp
from issdash.widgets.crew_roster import CrewRoster
from issdash.widgets.feed_health import FeedHealthStrip
from issdash.widgets.ground_track import GroundTrackMap
from issdash.widgets.mission_bar import MissionBar
from issdash.widgets.telemetry import TelemetryPanel
from scripts.fixtures.ms27_payloads import (
    TLE_TEXT,
    astros,
    corquaid_people,
)
from tests.support.dashboards import (
    DEMO_START,
    demo_app,
    file_feeds_app,
    ms27_day_app,
    settle,
    wait_for_feeds,
)
from tests.support.loopback import Reply, loopback_server


async def test_map_shows_the_station_where_the_engine_puts_it() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        map_widget = app.query_one(GroundTrackMap)
        scene = map_widget.scene
        assert scene is not None and scene.station is not None
        frame = map_widget._frame
        assert frame is not None
        width, height = frame.size
        assert width == 4 * height  # the world keeps its 2:1 shape
        x, y = point_cell(*scene.station, width, height)
        assert frame.codes[y, x] == STATION_GLYPH
        # Braille on the row of the marker: the map really drew land and tracks.
        assert any(0x2800 < c <= 0x28FF for c in frame.codes.ravel())
        telemetry = app.query_one(TelemetryPanel)
        assert telemetry.view is not None and telemetry.view.telemetry is not None
        station = telemetry.view.telemetry.station
        assert (station.latitude_deg, station.longitude_deg) == scene.station


async def test_keys_toggle_layers_and_help_opens_and_q_quits() -> None:
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        map_widget = app.query_one(GroundTrackMap)
        assert map_widget.scene is not None and map_widget.scene.show_night
        await pilot.press("d")
        assert not map_widget.scene.show_night
        await pilot.press("t")
        assert map_widget.scene.past_track == () and map_widget.scene.future_track == ()
        await pilot.press("f")
        assert map_widget.scene.footprint == ()
        await pilot.press("g")
        assert map_widget.scene.show_grid
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("q")
    assert app.return_code == 0


async def test_failing_feed_is_shown_in_words_and_the_app_keeps_running(tmp_path: Path) -> None:
    tle = tmp_path / "iss.tle"
    tle.write_text(TLE_TEXT)
    with loopback_server() as server:
        server.route("/iss", Reply(503, "Service Unavailable"))
        settings = load_settings(
            cache_dir=tmp_path / "cache",
            feeds={
                "tle": {"url": tle.as_uri()},
                "position": {"url": server.url("/iss"), "interval_s": 1.0},
                **{f: {"enabled": False} for f in FEED_NAMES if f not in ("tle", "position")},
            },
        )
        runtime = Runtime(
            settings, FrozenClock(datetime(2025, 4, 8, 6, 0, tzinfo=UTC)), mode="live"
        )
        app = IssDashApp(runtime)
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(200):
                if runtime.store.state.feeds["position"].last_error:
                    break
                await pilot.pause(0.02)
            await pilot.pause()
            text = app.query_one(FeedHealthStrip).render().plain
            assert "position down" in text
            assert "⚠ position: HTTP 503" in text
            assert "retry in" in text
            assert app.query_one(GroundTrackMap).scene is not None  # the map still draws


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_dashboard_snapshot(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)

    assert snap_compare(demo_app(), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_crew_roster_snapshot(
    snap_compare: Callable[..., bool], tmp_path: Path, size: tuple[int, int]
) -> None:
    app = file_feeds_app(
        tmp_path, datetime(2025, 4, 8, 12, 0, tzinfo=UTC), tle=TLE_TEXT, crew=corquaid_people()
    )

    async def run_before(pilot: Pilot[None]) -> None:
        await wait_for_feeds(pilot, "tle", "crew")

    assert snap_compare(app, terminal_size=size, run_before=run_before)


async def test_roster_from_astros_shows_the_disagreement_badge(tmp_path: Path) -> None:
    names = [(n, "ISS") for n in ("Takuya Onishi", "Don Pettit", "Anne McClain")]
    app = file_feeds_app(
        tmp_path,
        datetime(2025, 4, 8, 12, 0, tzinfo=UTC),
        tle=TLE_TEXT,
        crew=corquaid_people(),
        astros=astros(names),
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_feeds(pilot, "crew", "astros")
        roster = app.query_one(CrewRoster)
        assert roster.view is not None and roster.view.roster is not None
        shown = roster.render()
        assert isinstance(shown, Group)
        rendered = "\n".join(line.plain for line in shown.renderables if isinstance(line, Text))
        assert "SOURCES DISAGREE" in rendered
        assert "open-notify lists 3 aboard, corquaid 10" in rendered
        assert "10 aboard: RU 5 · US 4 · JP 1" in rendered


@pytest.mark.parametrize("moment", ["05:30", "08:00", "10:00"])
def test_countdown_snapshot(snap_compare: Callable[..., bool], tmp_path: Path, moment: str) -> None:
    hh, mm = (int(x) for x in moment.split(":"))
    app = ms27_day_app(tmp_path, datetime(2025, 4, 8, hh, mm, tzinfo=UTC))

    async def run_before(pilot: Pilot[None]) -> None:
        await wait_for_feeds(pilot, "tle", "crew", "docked", "launches", "dockings")

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


def test_countdown_snapshot_narrow(snap_compare: Callable[..., bool], tmp_path: Path) -> None:
    app = ms27_day_app(tmp_path, datetime(2025, 4, 8, 8, 0, tzinfo=UTC))

    async def run_before(pilot: Pilot[None]) -> None:
        await wait_for_feeds(pilot, "tle", "crew", "docked", "launches", "dockings")

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_help_snapshot(snap_compare: Callable[..., bool]) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(demo_app(), terminal_size=(120, 40), run_before=run_before)


async def test_replay_keys_pause_speed_jump_and_restart() -> None:
    recording = load_demo_recording()
    clock = ScaledClock(recording.start, 1)
    app = IssDashApp(Runtime.for_demo(load_settings(), recording, clock))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        bar = app.query_one(MissionBar)
        await pilot.press("plus")
        assert clock.speed == 10
        await pilot.press("minus", "minus")
        assert clock.speed == 1
        await pilot.press("space")
        assert clock.speed == 0
        assert bar.view is not None and bar.view.paused
        assert "PAUSED" in bar.render().plain
        await pilot.press("space")
        assert clock.speed == 1
        # n: to just before the launch, then just before orbit insertion.
        for expected in ("05:46:55", "05:55:40"):
            for _ in range(100):
                if app.runtime.store.state.launches is not None:
                    break
                await pilot.pause(0.02)
            await pilot.press("n")
            await pilot.pause(0.1)
            assert f"{clock.now():%H:%M:%S}" in (expected, _plus_seconds(expected, 1))
        # r: back to the start, and the state is rebuilt from what was known then.
        await pilot.press("r")
        await pilot.pause(0.2)
        assert abs((clock.now() - recording.start).total_seconds()) < 2
        assert "REPLAY" in bar.render().plain and "reconstruction" in bar.render().plain


@pytest.mark.slow
async def test_roster_grows_at_hatch_opening_and_the_replay_ends() -> None:
    recording = load_demo_recording()
    clock = ScaledClock(datetime(2025, 4, 8, 11, 27, 0, tzinfo=UTC), 60)
    app = IssDashApp(Runtime.for_demo(load_settings(), recording, clock))
    async with app.run_test(size=(120, 40)) as pilot:
        roster = app.query_one(CrewRoster)
        seen: list[int] = []
        for _ in range(150):
            view = roster.view
            if view is not None and view.roster is not None:
                seen.append(view.roster.aboard)
                if view.roster.aboard == 10:
                    break
            await pilot.pause(0.05)
        assert seen[0] == 7 and seen[-1] == 10
        assert clock.now() < datetime(2025, 4, 8, 11, 36, tzinfo=UTC)  # seen within minutes
        # Jump near the end: the replay stops there and says so.
        app.replay.jump(recording.end - timedelta(seconds=2))
        # Two seconds of mission time at 60x: the next ticks end it (a fixed 1.5 s pause was
        # too short on a loaded machine; the deadline is generous).
        deadline = time.monotonic() + 30
        while not app.replay.ended and time.monotonic() < deadline:
            await pilot.pause(0.1)
        await pilot.pause()
        assert app.replay.ended and clock.speed == 0
        assert "END OF RECORDING" in app.query_one(MissionBar).render().plain


def _plus_seconds(hms: str, seconds: int) -> str:
    t = datetime.strptime(hms, "%H:%M:%S") + timedelta(seconds=seconds)
    return f"{t:%H:%M:%S}"


async def test_panels_take_the_new_theme_colours() -> None:
    # Textual updates component styles after telling a widget its styles changed; panels
    # that keep their styles must pick up the new ones, not re-keep the old.
    app = demo_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        telemetry = app.query_one(TelemetryPanel)
        app.theme = "textual-light"
        await pilot.pause(0.3)
        label = telemetry.get_component_rich_style("readout--label")
        drawn = next(s for s in telemetry.render_line(0) if s.text.strip())
        assert drawn.text.startswith("Position")
        assert drawn.style is not None and drawn.style.color == label.color
        health = app.query_one(FeedHealthStrip)
        name = health.get_component_rich_style("feed-health--name")
        drawn = next(s for s in health.render_line(0) if s.text.strip())
        assert drawn.text.startswith("Feeds")
        assert drawn.style is not None and drawn.style.color == name.color


@pytest.mark.parametrize(
    ("hms", "head", "when", "aboard"),
    [
        # The hatch opening was estimated for 11:27 (docking + 2 h 30 min); it really opened
        # at 11:28 and the crew list showed ten aboard at 11:30. Until then it is an estimate.
        ("11:26:00", "HATCH OPENING", "in 1m 00s", 7),
        ("11:29:00", "HATCH OPENING", "expected 11:27:00Z, 2m 00s ago\n NOT CONFIRMED ", 7),
        ("11:31:00", "UNDOCKING  Soyuz MS-26", "in 11d 10h", 10),
    ],
)
async def test_the_hatch_estimate_is_not_ticked_off_until_the_crew_list_confirms_it(
    hms: str, head: str, when: str, aboard: int
) -> None:
    at = datetime.combine(DEMO_START.date(), datetime.strptime(hms, "%H:%M:%S").time(), UTC)
    app = demo_app(observer=None, at=at)
    async with app.run_test(size=(120, 40)) as pilot:
        roster = app.query_one(CrewRoster)
        for _ in range(200):
            if roster.view is not None and roster.view.roster is not None:
                break
            await pilot.pause(0.02)
        app._tick()
        await pilot.pause()
        assert roster.view is not None and roster.view.roster is not None
        assert roster.view.roster.aboard == aboard
        panel = app.query_one("#next-event-panel")
        shown = {
            part: str(panel.query_one(f"#next-event-{part}", Static).content)
            for part in ("head", "when", "timeline")
        }
        assert shown["head"].startswith(head), shown
        assert shown["when"].startswith(when), shown
        if aboard == 7:
            lines = shown["timeline"].splitlines()
            hatch = next(line for line in lines if "Hatch opening" in line)
            assert "~est" in hatch and "✓" not in hatch  # still an estimate, not done


async def test_each_countdown_part_is_redrawn_only_when_its_own_data_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from issdash.widgets.next_event import DockedList, EventClock, PhaseTimeline

    drawn: list[str] = []
    for part in (EventClock, PhaseTimeline, DockedList):
        original = part.draw

        def counting(self: Any, original: Any = original, name: str = part.__name__) -> None:
            drawn.append(name)
            original(self)

        monkeypatch.setattr(part, "draw", counting)
    app = ms27_day_app(tmp_path, datetime(2025, 4, 8, 8, 0, tzinfo=UTC))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_feeds(pilot, "tle", "crew", "docked", "launches", "dockings")
        await pilot.pause()
        clock = app.clock
        assert isinstance(clock, FrozenClock)
        drawn.clear()
        clock.advance(1.0)
        app._tick()
        # One second later only the countdown changed: the timeline's percent and the
        # docked list's days did not.
        assert drawn == ["EventClock"]
        drawn.clear()
        # 09:00: the docking was due at 08:57, but the docked list (unchanged) does not list
        # Soyuz MS-27: the countdown says so, the list is not redrawn.
        clock.advance(3600.0)
        app._tick()
        assert "EventClock" in drawn and "DockedList" not in drawn
        drawn.clear()
        clock.advance(14 * 3600.0 + 3 * 60)  # 23:03: Progress MS-30 (docked 23:02) a day more
        app._tick()
        assert "DockedList" in drawn
