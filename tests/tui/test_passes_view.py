"""The pass planner in the dashboard (issue 17): key p and the palette, the table, the
visible-only filter, row selection driving the sky chart, honesty without an observer, the
telemetry line's next visible pass, alerts in a replay and the kiosk's planner and banner.

The MS-27 demo day has a visible pass over Cairns (16.92 S, 145.77 E) at 09:25 UTC (19:25
AEST), up to 71 degrees, entering Earth's shadow at 09:29 mid-sky.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from issdash.config.settings import load_settings
from issdash.core.runtime import Runtime, load_demo_recording
from issdash.feeds.clock import FrozenClock
from issdash.model.kiosk import KioskController
from issdash.tui.dashboard import IssDashApp
from issdash.tui.passes.screen import PassPlannerScreen
from issdash.widgets.passes.banner import PassBanner
from issdash.widgets.passes.planner import PassPlanner
from issdash.widgets.passes.sky_chart import SkyChart
from issdash.widgets.telemetry import TelemetryPanel
from tests.support.dashboards import foreign, screen_text

CAIRNS = "-16.92,145.77"
RISE = datetime(2025, 4, 8, 9, 25, 26, tzinfo=UTC)
SHADOW = datetime(2025, 4, 8, 9, 29, 1, tzinfo=UTC)


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def cairns_app(
    at: datetime, observer: str | None = CAIRNS, kiosk: bool = False, **settings: Any
) -> IssDashApp:
    overrides: dict[str, Any] = {"observer": observer} if observer else {}
    loaded = load_settings(**overrides, **settings)
    runtime = Runtime.for_demo(loaded, load_demo_recording(), FrozenClock(at))
    controller = KioskController(loaded.kiosk, FakeMonotonic()) if kiosk else None
    return IssDashApp(runtime, kiosk=controller)


# Generous: the ten-day search and the sky path run in threads, on a machine that may be
# busy with other work (a snapshot taken before they land would show "Searching…").
WAIT_STEPS = 1500  # x 0.02 s


async def settle(pilot: Pilot[None]) -> IssDashApp:
    app = pilot.app
    assert isinstance(app, IssDashApp)
    for _ in range(WAIT_STEPS):
        if app.passes is not None:
            break
        await pilot.pause(0.02)
    await pilot.pause()
    return app


async def chart_drawn(pilot: Pilot[None], planner: PassPlanner) -> None:
    """Until the selected pass's sky path (computed in a thread) is on the chart."""
    for _ in range(WAIT_STEPS):
        chart = planner.chart
        if chart is not None and chart.path:
            break
        await pilot.pause(0.02)
    await pilot.pause()


def planner_of(app: IssDashApp) -> PassPlanner:
    assert isinstance(app.screen, PassPlannerScreen)
    return app.screen.planner


async def test_p_opens_ten_days_of_passes_and_escape_closes() -> None:
    app = cairns_app(RISE - timedelta(minutes=20))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await pilot.pause()
        planner = planner_of(app)
        view = planner.view
        assert view is not None and view.message is None
        first = view.rows[0]
        assert first.start == "19:25 AEST" and first.start_utc == "09:25Z"
        assert first.directions == "NNW -> NE -> SE" and first.visibility == "fades 19:29"
        # Ten days: the last pass rises nine-plus days on.
        assert view.rows[-1].pass_.rise - first.pass_.rise > timedelta(days=9)
        assert "Australia/Brisbane (zone at the coordinates)" in view.heading
        assert planner.table.row_count == len(view.rows)
        assert [str(c.label) for c in planner.table.columns.values()][:3] == [
            "Date",
            "Start",
            "UTC",
        ]
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, PassPlannerScreen)


@pytest.mark.slow
async def test_visible_only_filter() -> None:
    app = cairns_app(RISE - timedelta(minutes=20))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await pilot.pause()
        planner = planner_of(app)
        assert planner.view is not None
        total = len(planner.view.rows)
        await pilot.press("v")
        await pilot.pause()
        shown = planner.view.rows
        assert 0 < len(shown) < total and all(r.visible for r in shown)
        assert planner.table.row_count == len(shown)
        await pilot.press("v")
        await pilot.pause()
        assert len(planner.view.rows) == total


@pytest.mark.slow
async def test_selecting_a_row_draws_that_pass_on_the_sky_chart() -> None:
    app = cairns_app(RISE - timedelta(minutes=20))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        planner = planner_of(app)
        await chart_drawn(pilot, planner)
        assert planner.selected is not None and planner.selected.rise.replace(
            microsecond=0
        ) == RISE.replace(microsecond=0)
        chart = planner.chart
        assert chart is not None
        assert abs(chart.path[0].time - planner.selected.rise) < timedelta(seconds=1)
        # The shadow entry is on the path: sunlit samples, then samples in shadow.
        lit = [p.sunlit for p in chart.path]
        assert lit[0] and not lit[-1] and lit.index(False) > 0
        await pilot.press("down")
        await pilot.pause()
        second = planner.selected
        assert second is not None and second.rise > RISE + timedelta(hours=1)
        for _ in range(WAIT_STEPS):
            chart = planner.chart
            if chart is not None and chart.path and chart.path[0].time >= second.rise:
                break
            await pilot.pause(0.02)
        assert chart is not None and abs(chart.path[0].time - second.rise) < timedelta(seconds=1)
        assert app.screen.query_one(SkyChart).view == chart


async def test_during_the_pass_the_chart_shows_the_station_now() -> None:
    app = cairns_app(RISE + timedelta(minutes=2))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        planner = planner_of(app)
        await chart_drawn(pilot, planner)
        app._tick()
        await pilot.pause()
        chart = planner.chart
        assert chart is not None and chart.now_position is not None
        assert chart.now_position[1] > 10  # well up, on its way to 71 degrees


async def test_no_observer_says_how_to_set_one() -> None:
    app = cairns_app(RISE, observer=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        await pilot.press("p")
        await pilot.pause()
        view = planner_of(app).view
        assert view is not None and view.rows == () and view.message is not None
        assert "--observer" in view.message and "--place" in view.message


@pytest.mark.slow
async def test_the_palette_opens_the_planner() -> None:
    app = cairns_app(RISE - timedelta(minutes=20))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"pass planner")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, PassPlannerScreen)


@pytest.mark.slow
async def test_a_palette_pass_command_opens_the_planner_on_that_pass() -> None:
    app = cairns_app(RISE - timedelta(minutes=20))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        commands = app.passes_control.coming_visible()
        label, chosen = commands[2]
        assert label.startswith("Wed 09 Apr 18:38 AEST, 29°")
        app.passes_control.open(True, chosen)
        await pilot.pause()
        planner = planner_of(app)
        await chart_drawn(pilot, planner)
        assert planner.selected == chosen
        assert planner.table.cursor_row == 2  # visible only: the third visible pass
        await pilot.pause()
        info = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
        assert "Rises      18:38 AEST (08:38Z)" in info
        chart = planner.chart
        assert chart is not None and abs(chart.path[0].time - chosen.rise) < timedelta(seconds=1)


async def test_telemetry_names_the_next_visible_pass() -> None:
    # Before the 20:08 UTC pass over Cairns on 9 April (06:08 AEST, in daylight): not
    # visible, so the panel names the next one that is (10 April, 19:27 AEST) besides.
    app = cairns_app(datetime(2025, 4, 9, 19, 0, tzinfo=UTC))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app._tick()
        await pilot.pause()
        panel = app.query_one(TelemetryPanel)
        lines = [line.plain.rstrip() for line in panel.build_lines()]
        assert lines[-3].startswith("Next pass in 1h 08m")
        assert lines[-2].strip() == "max 12°  not visible"
        assert lines[-1] == "Visible   Thu 19:27 AEST  23°"
        assert max(len(line) for line in lines[-3:]) <= 34  # the 80-column side panel


async def test_an_alert_fires_once_in_the_replay_and_runs_the_hook(tmp_path: Path) -> None:
    out = tmp_path / "hook.txt"
    script = "import sys, pathlib; pathlib.Path(sys.argv[1]).write_text(sys.argv[2])"
    app = cairns_app(
        RISE - timedelta(minutes=11),
        alerts={"command": [sys.executable, "-c", script, str(out)]},
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        rings: list[str] = []
        told: list[str] = []
        app.bell = lambda: rings.append("bell")  # type: ignore[method-assign]
        notify = app.notify

        def record(message: str, **kw: Any) -> None:
            told.append(message)
            notify(message, **kw)

        app.notify = record  # type: ignore[method-assign]
        clock = app.clock
        assert isinstance(clock, FrozenClock)
        for _ in range(12):  # ticks across the alert time, ten seconds apart
            clock.advance(10)
            app._tick()
        await pilot.pause()
        for _ in range(WAIT_STEPS):
            if out.exists():
                break
            await pilot.pause(0.05)
        assert rings == ["bell"]  # once, not on every tick
        assert told == ["ISS visible in 10 min, look NNW, up to 71°, very bright"]
        assert out.read_text() == told[0]
        assert not app.passes_control.effects.can_write_escapes()  # headless: no escapes written


def test_the_dashboard_draws_through_a_driver_the_alerts_can_write_to() -> None:
    """Its driver class is Textual's own, made by `announcing` to say which app it is for:
    the desktop notifications need no private Textual API."""
    from textual.app import App

    from issdash.tui.passes.alert_effects import announcing

    base = App().driver_class
    chosen = cairns_app(RISE).driver_class
    assert chosen is announcing(base) and issubclass(chosen, base)


async def test_an_alert_jumped_over_in_the_replay_is_missed() -> None:
    app = cairns_app(RISE - timedelta(minutes=30))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app._tick()
        rings: list[str] = []
        told: list[str] = []
        app.bell = lambda: rings.append("bell")  # type: ignore[method-assign]
        app.notify = lambda message, **kw: told.append(message)  # type: ignore[method-assign]
        clock = app.clock
        assert isinstance(clock, FrozenClock)
        clock.set(RISE + timedelta(minutes=1, seconds=30))  # as the replay's `n` jumps
        await app._replay_from_here()
        await settle(pilot)
        app._tick()
        await pilot.pause()
        assert rings == []
        assert [m[:34] for m in told] == ["Missed (09:15Z, the clock jumped p"] * 1 + [
            "Missed (09:25Z, the clock jumped p"
        ]


@pytest.mark.slow
async def test_alerts_can_be_turned_off() -> None:
    app = cairns_app(RISE - timedelta(minutes=11), alerts={"enabled": False})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        rings: list[str] = []
        app.bell = lambda: rings.append("bell")  # type: ignore[method-assign]
        clock = app.clock
        assert isinstance(clock, FrozenClock)
        for _ in range(12):
            clock.advance(10)
            app._tick()
        await pilot.pause()
        assert rings == []


@pytest.mark.slow
async def test_kiosk_banner_and_planner_in_the_cycle() -> None:
    app = cairns_app(RISE - timedelta(minutes=6), kiosk=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app._tick()
        await pilot.pause()
        banner = app.query_one(PassBanner)
        assert banner.alert is not None and banner.display
        assert banner.alert.message == "ISS visible in 6 min, look NNW, up to 71°, very bright"
        kiosk = app.kiosk
        assert kiosk is not None
        monotonic = kiosk._monotonic
        assert isinstance(monotonic, FakeMonotonic)
        while kiosk.view() != "passes":
            monotonic.now += kiosk.settings.cycle_s
        app._tick()
        await pilot.pause()
        assert app.query_one("#passes-panel").display
        assert app.query_one("#passes-panel").region.area > 0
        assert app.query_one("#map-panel").region.area == 0
        assert app.query_one("#next-event-panel").region.area > 0  # never hidden
        planner = app.query_one("#kiosk-planner", PassPlanner)
        assert planner.view is not None and planner.view.rows


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
def test_passes_view_snapshot(snap_compare: Callable[..., bool], size: tuple[int, int]) -> None:
    """The planner on the visible pass over Cairns, two minutes in: the table, and the sky
    chart with the sunlit part, the dotted part after the shadow entry and the station now."""

    async def run_before(pilot: Pilot[None]) -> None:
        app = await settle(pilot)
        await pilot.press("p")
        await chart_drawn(pilot, planner_of(app))
        app._tick()
        await pilot.pause()

    app = cairns_app(RISE + timedelta(minutes=2), timezone="UTC")
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.slow
def test_kiosk_banner_snapshot(snap_compare: Callable[..., bool]) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        app = await settle(pilot)
        app._tick()
        await pilot.pause()

    app = cairns_app(RISE - timedelta(minutes=6), kiosk=True, timezone="UTC")
    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


@pytest.mark.slow
async def test_on_the_linux_console_the_planner_draws_only_font_characters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TERM", "linux")
    app = cairns_app(RISE + timedelta(minutes=2))
    async with app.run_test(size=(80, 25)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        planner = planner_of(app)
        await chart_drawn(pilot, planner)
        app._tick()
        await pilot.pause()
        text = screen_text(app)
        assert foreign(text) == set(), foreign(text)
        assert app.console_glyphs is not None and app.console_glyphs.missing == set()
        assert "■" in text  # the station now, in the console's own square
        assert "NNW -> NE -> SE" in text


async def test_the_pass_feature_runs_on_its_host_alone() -> None:
    """PassesControl knows the dashboard only through PassesHost: in a plain Textual app it
    searches once (in a thread), redraws when the passes land, and opens its planner on them."""
    from textual.app import App

    from issdash.feeds.adapters.tle import parse_elements
    from issdash.feeds.sources import RawResponse
    from issdash.model.orbit import OrbitEngine
    from scripts.fixtures.ms27_payloads import TLE_TEXT
    from tests.support.passes_host import bare_passes_control

    at = RISE - timedelta(minutes=20)
    settings = load_settings(observer=CAIRNS)
    engine = OrbitEngine(parse_elements(RawResponse("x", 200, "", TLE_TEXT, at), at))
    app: App[None] = App()
    redraws: list[datetime] = []
    # The clock is frozen at `at`: every redraw happens at it.
    control, runtime = bare_passes_control(
        app,
        settings,
        at,
        engine_for=lambda _elements: engine,
        redraw=lambda: redraws.append(at),
    )
    observer = runtime.store.state.observer
    async with app.run_test(size=(120, 40)) as pilot:
        control.ensure_passes(engine, observer, at)
        for _ in range(WAIT_STEPS):
            if control.passes is not None:
                break
            await pilot.pause(0.02)
        passes = control.passes
        assert passes is not None and redraws == [at]
        assert min(abs((p.rise - RISE).total_seconds()) for p in passes) < 5
        control.ensure_passes(engine, observer, at)  # the same inputs: no second search
        await pilot.pause(0.2)
        assert redraws == [at]
        control.open()
        await pilot.pause()
        assert isinstance(app.screen, PassPlannerScreen)
        view = app.screen.planner.view
        assert view is not None and view.rows[0].pass_ == passes[0]
