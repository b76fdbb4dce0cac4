"""The Textual dashboard: one screen of panels drawn from the mission state.

The app owns timing (a tick a second) and turns the state plus the clock into views for the
widgets; the widgets draw what they are given and do no I/O.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from textual import events
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.driver import Driver
from textual.filter import LineFilter
from textual.screen import ModalScreen, Screen
from textual.timer import Timer
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState, WorkType

from issdash.core.gc_pause import collector_paused, resume_collector
from issdash.core.runtime import Runtime
from issdash.feeds.clock import clock_doubt
from issdash.feeds.text import clean_text
from issdash.model.certainty import Unknown, mode_badge, part_gaps, trusted, unknown
from issdash.model.certainty import all_feeds_down as feeds_down
from issdash.model.crew_roster import build_roster
from issdash.model.kiosk import STATION_VIEW, VIEWS, KioskController
from issdash.model.layout import SIZE_NAMES, SizeClass, size_class
from issdash.model.map.glyphs import GLYPHS, MapGlyphs
from issdash.model.map.scene import MapToggles, build_scene, scene_step
from issdash.model.orbit import OrbitEngine, StationState
from issdash.model.passes.finder import Pass
from issdash.model.passes.search import PASS_SEARCH_SPAN, passes_withheld
from issdash.model.replay_control import ReplayControl
from issdash.model.state import MissionState
from issdash.model.telemetry import (
    EngineCache,
    Orbit,
    orbit_at,
)
from issdash.model.terminal.capabilities import flag_style, screen_glyphs
from issdash.model.visits.launch_card import LaunchCardView, launch_card
from issdash.model.visits.moments import Moment, MomentTracker
from issdash.model.visits.timeline import build_timelines, docked_vehicles, last_event, next_event
from issdash.tui import panels
from issdash.tui.console_screen import ConsoleGlyphs
from issdash.tui.messages import StateChanged
from issdash.tui.passes.alert_effects import announcing
from issdash.tui.passes.control import PASS_SEARCH_GROUP, PassesControl, PassesHost
from issdash.tui.passes.palette import PassCommands
from issdash.tui.passes.screen import PassPlannerScreen
from issdash.widgets import guard
from issdash.widgets.alert_banner import AlertBanner, AlertView
from issdash.widgets.crew_roster import CrewRoster, RosterView
from issdash.widgets.feed_health import FeedHealthStrip, HealthView
from issdash.widgets.ground_track import GroundTrackMap
from issdash.widgets.guard import simulate_crash
from issdash.widgets.launch_card import LaunchCard
from issdash.widgets.mission_bar import MissionBar, MissionBarView
from issdash.widgets.next_event import CountdownView, NextEventPanel
from issdash.widgets.passes.banner import PassBanner
from issdash.widgets.passes.planner import PassPlanner
from issdash.widgets.station import StationPanel, StationView, radar_text
from issdash.widgets.telemetry import TelemetryPanel, TelemetryView

# Our own text, so markup is safe here (feed text never is). Colours match the map's.
HELP_MARKUP = """\
[b]issdash[/b]: the International Space Station, in your terminal.

[b $accent]Map[/]
  [$error]◉[/]  the station now       [$primary]━━[/]  past track (45 min)
  [$accent]⌂[/]  your observer         [$warning]━━[/]  future track (1.5 orbits)
  [$success]⣿[/]  land                  [$foreground-darken-1]◌[/]   footprint (above the horizon)
  [$error]○[/]  elements over 3 days old: approximate; over 14 days, a [$error]━━[/] stretch of
     track where the station may be, instead of a marker
  [$warning]▲[/]  the pad of a launch coming up
  shaded cells are the night side of the Earth; a ring of dots marks the station"""

# The key grid: (key, what it does), three to a row; drawn as a table so the columns line up.
HELP_KEYS: tuple[tuple[str, str], ...] = (
    ("d", "day/night shading"),
    ("f", "footprint"),
    ("t", "tracks"),
    ("g", "grid"),
    ("s", "station view"),
    ("p", "passes, sky chart (v: visible only)"),
    ("?", "this help"),
    ("ctrl+p", "command palette"),
    ("esc", "close a panel"),
    ("q ctrl+c", "quit"),
)
HELP_REPLAY_KEYS: tuple[tuple[str, str], ...] = (
    ("space", "pause / resume"),
    ("+  -", "speed 1-1000x"),
    ("n", "next event"),
    ("r", "restart"),
)

HELP_FOOTNOTE = """\
Positions are propagated locally (SGP4, skyfield) from the orbital elements
for the time shown (the newest set not after it), with their age and expected
error; an API fix, when one is available, is shown only as a cross-check.
Feeds that fail keep their last good data on screen, marked stale with its age."""

MAP_LEGEND = (
    "[$error]◉[/] ISS  [$primary]━[/] past  [$warning]━[/] next  "
    "[$foreground-darken-1]◌[/] footprint"
)
# The marker's meaning changes with the elements' age (see issdash.feeds.elements): the legend says
# so.
MAP_LEGENDS = {
    "good": MAP_LEGEND,
    "approximate": MAP_LEGEND.replace("[$error]◉[/] ISS", "[$error]○[/] ISS (approximate)"),
    "uncertain": MAP_LEGEND.replace("[$error]◉[/] ISS", "[$error]━[/] ISS somewhere here"),
    "unusable": "elements unusable: no position",
}


log = logging.getLogger(__name__)
R = TypeVar("R")

_RESUME_COLLECTOR_AFTER_S = 2.0
# The heartbeat is touched only when every view was computed within this many seconds and no
# panel failed to draw in that time: a screen that is blank or stuck stops it.
HEARTBEAT_FRESH_S = 90.0
HEARTBEAT_EVERY_S = 60.0


def all_feeds_down(state: MissionState, now: datetime, moment: Moment | None = None) -> AlertView:
    """Every enabled feed failing, or silent past its first deadline: the banner says so,
    with the age of the freshest data. Otherwise it announces `moment`, if any."""
    down = feeds_down(state, now)
    return AlertView(down.all_down, down.newest_data_age_s, down.feeds, moment)


def _data_shape(state: MissionState) -> tuple[object, ...]:
    """Which kinds of data the state has at all, which feeds are failing, and the notices:
    changes to any of these are drawn at once, not at the next tick."""
    failing = tuple(h.last_error is not None for h in state.feeds.values())
    return (state.mode, not state.element_sets, frozenset(state.received), failing, state.notices)


class HelpScreen(ModalScreen[None]):
    """Keys, map legend and what the numbers mean."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close"),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen #help-box {
        width: 88; max-width: 95%; height: auto; max-height: 95%;
        border: round $accent; padding: 1 2; background: $surface;
    }
    HelpScreen .help-about-title { color: $accent; text-style: bold; margin-top: 1; }
    HelpScreen .help-about { color: $foreground-darken-1; }
    HelpScreen .help-keys-title { color: $accent; text-style: bold; margin-top: 1; }
    HelpScreen .help-keys {
        layout: grid; grid-size: 6; grid-columns: 9 18; grid-rows: 1; height: auto;
    }
    HelpScreen .help-key { text-style: bold; }
    HelpScreen .help-footnote { margin-top: 1; }
    """

    def __init__(self, about: str = "") -> None:
        super().__init__()
        self.about = about

    def compose(self) -> ComposeResult:
        # Scrolls when the terminal is too short for all of it.
        with VerticalScroll(id="help-box"):
            yield Static(HELP_MARKUP)
            for title, keys in (("Keys", HELP_KEYS), ("Replay (--demo)", HELP_REPLAY_KEYS)):
                yield Static(title, classes="help-keys-title")
                with Grid(classes="help-keys"):
                    for key, what in keys:
                        yield Static(key, markup=False, classes="help-key")
                        yield Static(what, markup=False)
            yield Static(HELP_FOOTNOTE, classes="help-footnote")
            if self.about:
                yield Static("About this data", classes="help-about-title")
                # Recording descriptions come from files: plain text, never markup.
                yield Static(clean_text(self.about, 600), markup=False, classes="help-about")


class IssDashApp(App[None]):
    """The dashboard."""

    # Absolute, so a subclass defined elsewhere (a test's) finds it too.
    CSS_PATH = Path(__file__).with_name("dashboard.tcss")
    TITLE = "issdash"
    COMMANDS = App.COMMANDS | {PassCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        # Textual 8 makes ctrl+c copy; in a terminal program people expect it to quit. Priority
        # puts it before the screen's copy binding (the kiosk refuses it in check_action).
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
        # Esc closes the keys panel the palette's "Keys" command opens.
        Binding("escape", "hide_keys", "Close keys", show=False),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("d", "toggle_layer('night')", "Night"),
        Binding("f", "toggle_layer('footprint')", "Footprint"),
        Binding("t", "toggle_layer('tracks')", "Tracks"),
        Binding("g", "toggle_layer('grid')", "Grid"),
        Binding("s", "station_view", "Station"),
        Binding("p", "passes", "Passes"),
        # Replay only (hidden in live mode by check_action).
        Binding("space", "pause", "Pause"),
        Binding("plus,equals_sign", "speed(1)", "Speed", key_display="+/-"),
        Binding("minus", "speed(-1)", "Slower", show=False),
        Binding("n", "next_event", "Next"),
        Binding("r", "restart", "Restart"),
    ]

    def __init__(
        self,
        runtime: Runtime,
        *,
        tick_s: float | None = None,
        start_feeds: bool = True,
        loop: bool = False,
        kiosk: KioskController | None = None,
    ) -> None:
        super().__init__()
        self.kiosk = kiosk
        self.runtime = runtime
        self.clock = runtime.clock
        self.replay = ReplayControl(runtime.clock, runtime.recording, loop=loop)
        self.fixed_tick_s = tick_s
        self.start_feeds = start_feeds
        self._timer: Timer | None = None
        self.toggles = MapToggles()
        self._engines = EngineCache()
        self._map_legend = MAP_LEGEND
        self._drawn_shape: tuple[object, ...] = ()
        self._scene_key: tuple[object, ...] | None = None
        self._scene_station: tuple[float, float] | None = None
        # How to update each declared panel (issdash.tui.panels), in the order they were made.
        self._shows: list[tuple[str, Callable[[MissionState, datetime], None]]] = []
        # Monotonic time of the last tick whose views were all computed (the heartbeat).
        self._views_ok_at: float | None = None
        self._panel_failed_at: float | None = None
        self._mounted_at = time.monotonic()
        self.clock_warning: str | None = None
        # What this terminal can draw: decided once (TERM=linux, a browser, or the settings).
        self.screen_glyphs = screen_glyphs(runtime.settings.glyphs, os.environ)
        self.flag_style = flag_style(runtime.settings.flags, os.environ, self.screen_glyphs)
        self.console_glyphs = ConsoleGlyphs() if self.screen_glyphs == "console" else None
        # Liftoff, docking, hatch opening: announced in the banner (issdash.model.visits.moments).
        self.moments = MomentTracker()
        self._launch_card_view: LaunchCardView | None = None
        self._layout: SizeClass | None = None
        self._map_rows: int | None = None
        self._moment_shown: Moment | None = None
        # The pass search, the planner's views and the pass alerts (issue 17).
        self.passes_control = PassesControl(self._passes_host())

    # -- layout -----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        # Kept by reference: the tick updates all of them every second, and a DOM query
        # per widget per tick was a measurable share of the idle CPU.
        self._bar_widget = MissionBar(id="mission-bar")
        self._alert = AlertBanner(id="alert")
        self._map = GroundTrackMap(
            id="map", glyphs=GLYPHS["console" if self.console_glyphs else "braille"]
        )
        self._launch_card = LaunchCard(id="launch-card")
        self._roster = CrewRoster(id="crew")
        self._telemetry_panel = TelemetryPanel(id="telemetry")
        self._countdown_panel = NextEventPanel(id="countdown")
        self._station_panel = StationPanel(id="station")
        self._health = FeedHealthStrip(id="feed-health")
        # Shown instead of everything else below the minimum size (issdash.model.layout).
        self._too_small = Static("", id="too-small", markup=False)
        yield self._too_small
        yield self._bar_widget
        yield self._alert
        self.pass_banner: PassBanner | None = None
        self.kiosk_planner: PassPlanner | None = None
        if self.kiosk is not None:
            self.pass_banner = PassBanner(id="pass-banner")
            yield self.pass_banner
        with Horizontal(id="body"):
            with Vertical(id="left"):
                with Vertical(id="map-panel", classes="panel"):
                    yield self._map
                with Vertical(id="launch-panel", classes="panel"):
                    yield self._launch_card
                with VerticalScroll(id="crew-panel", classes="panel"):
                    yield self._roster
                if self.kiosk is not None:
                    # The kiosk's "passes" view: the planner in place of the map and crew,
                    # beside the countdown (which is never hidden).
                    self.kiosk_planner = PassPlanner(id="kiosk-planner", glyphs=self.map_glyphs)
                    with Vertical(id="passes-panel", classes="panel"):
                        yield self.kiosk_planner
                yield from self._declared("left")
            with Vertical(id="side"):
                with Vertical(id="telemetry-panel", classes="panel"):
                    yield self._telemetry_panel
                with Vertical(id="station-panel", classes="panel"):
                    yield self._station_panel
                with VerticalScroll(id="countdown-panel", classes="panel"):
                    yield self._countdown_panel
                yield from self._declared("side")
        yield self._health
        yield Footer()

    def _declared(self, column: str) -> ComposeResult:
        """The panels of issdash.tui.panels.PANELS that go in `column`, each in a titled box."""
        for panel in panels.PANELS:
            if panel.column != column:
                continue
            widget, show = panel.mount_show()
            self._shows.append((panel.id, show))
            box = Vertical(widget, id=f"{panel.id}-panel", classes="panel declared")
            box.border_title = panel.title
            yield box

    def get_line_filters(self) -> Sequence[LineFilter]:
        filters = super().get_line_filters()
        return filters if self.console_glyphs is None else [*filters, self.console_glyphs]

    def on_mount(self) -> None:
        self._apply_layout(size_class(*self.size))
        self.query_one("#map-panel").border_title = "Ground track"
        self.query_one("#map-panel").border_subtitle = MAP_LEGEND
        self.query_one("#telemetry-panel").border_title = "Telemetry"
        self.query_one("#crew-panel").border_title = "Crew aboard the ISS"
        self.query_one("#launch-panel").border_title = "Next launch"
        self.query_one("#launch-panel").border_subtitle = "Launch Library 2"
        self._launch_card.flags = self.flag_style
        self.query_one("#countdown-panel").border_title = "Next event"
        self.query_one("#station-panel").border_title = "Station"
        self.query_one("#station-panel").border_subtitle = "NASA ISSLIVE"
        if self.kiosk is not None:
            self.query_one("#passes-panel").border_title = "Passes"
        # The Station panel takes a place in the layout only when there is telemetry.
        self.set_class(self._telemetry_enabled, "-telemetry")
        if self.kiosk is not None and self._telemetry_enabled:
            self.kiosk.views = (*VIEWS, STATION_VIEW)
        self.runtime.load_fallbacks()
        self.runtime.store.subscribe(self._on_state)
        if self.start_feeds:
            self.runtime.start()
        self._install_signal_handlers()
        watchdog_s = self.runtime.settings.kiosk.watchdog_s
        self.set_interval(watchdog_s, self.runtime.watchdog)
        if self.kiosk is not None:
            self.add_class("-kiosk")
            for panel in self.query(VerticalScroll):
                panel.can_focus = False  # no focus outline on a wall screen
        self._mounted_at = time.monotonic()
        self._tick()
        self._schedule_ticks()
        if self.kiosk is not None and self.runtime.settings.kiosk.heartbeat_file is not None:
            self._heartbeat()  # after the first tick: it needs views drawn
            self.set_interval(HEARTBEAT_EVERY_S, self._heartbeat)
        if collector_paused():
            # By then the first complete frame is on screen (about 1 s here): collect and
            # freeze what start-up built, then let the collector run as usual.
            self.set_timer(_RESUME_COLLECTOR_AFTER_S, partial(resume_collector, freeze=True))

    def _install_signal_handlers(self) -> None:
        """SIGTERM exits cleanly (a supervisor stopping us); SIGUSR1 makes the next panel
        drawing fail, to show on a live screen that a widget failure is survived."""
        loop = asyncio.get_running_loop()
        for sig, handler in ((signal.SIGTERM, self.exit), (signal.SIGUSR1, simulate_crash)):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, handler)

    def screen_is_healthy(self) -> bool:
        """Every view computed recently and no panel failed to draw recently."""
        now = time.monotonic()
        if self._views_ok_at is None or now - self._views_ok_at > HEARTBEAT_FRESH_S:
            return False
        if self._panel_failed_at is not None and now - self._panel_failed_at <= HEARTBEAT_FRESH_S:
            return False  # a panel's view could not be built
        failed = guard.last_failure_monotonic
        return failed is None or failed < self._mounted_at or now - failed > HEARTBEAT_FRESH_S

    def _heartbeat(self) -> bool:
        """Touch the heartbeat file if the screen is healthy; True when touched."""
        path = self.runtime.settings.kiosk.heartbeat_file
        if path is None:
            return False
        if not self.screen_is_healthy():
            log.error("heartbeat withheld: the screen has not drawn every panel recently")
            return False
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
            os.utime(path)
        except OSError as exc:
            log.warning("heartbeat file %s not touched: %s", path, exc)
            return False
        return True

    def on_key(self, event: events.Key) -> None:
        """In kiosk mode every key is swallowed; only the unlock sequence then Enter leaves."""
        if self.kiosk is None:
            return
        event.stop()
        event.prevent_default()
        if self.kiosk.key(event.character, event.key):
            self.exit()

    def _schedule_ticks(self) -> None:
        """(Re)start the tick timer at the interval the replay speed needs."""
        interval = self.fixed_tick_s or self.replay.tick_interval_s()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_interval(interval, self._tick)

    def on_resize(self, event: events.Resize) -> None:
        # The event's size, not self.size: this handler runs before App's own, which is what
        # updates self.size, so self.size here is still the size before the resize (that
        # lag kept 80x24's layout after resizing back to 120x40).
        self._apply_layout(size_class(event.size.width, event.size.height))

    def _apply_layout(self, layout: SizeClass) -> None:
        """The one place the layout is set: everything in it comes from `layout`, a pure
        function of the terminal's size (issdash.model.layout), and nothing else is kept."""
        for name in SIZE_NAMES:
            self.set_class(name == layout.name, f"-size-{name}")
        self.set_class(layout.narrow, "-narrow")
        self.set_class(layout.short, "-short")
        self.set_class(not layout.show_telemetry, "-no-telemetry")
        self._too_small.update(layout.too_small_message() if layout.too_small else "")
        self.query_one("#side").styles.width = layout.side_width
        self._layout = layout
        self._fit_map_to_card()
        self._roster.apply_layout(layout.roster)
        self._launch_card.apply_layout(compact=layout.short, lines=layout.card_lines)
        self._countdown_panel.apply_layout(
            full_timeline=layout.full_timeline,
            show_docked=layout.show_docked,
            big_digits=layout.big_digits,
            detail=layout.detail,
        )

    async def on_unmount(self) -> None:
        self.runtime.store.unsubscribe(self._on_state)
        await self.runtime.stop()

    # -- actions ----------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if self.replay.active:
            # The replay keys, for whoever looks for them in the palette (ctrl+p).
            yield from (
                SystemCommand(
                    "Replay: pause or resume",
                    "Stop or restart the replay clock (space)",
                    self.action_pause,
                ),
                SystemCommand(
                    "Replay: faster",
                    "Next speed up: 1, 10, 60, 300, 1000x (+)",
                    partial(self.action_speed, 1),
                ),
                SystemCommand(
                    "Replay: slower", "Next speed down (-)", partial(self.action_speed, -1)
                ),
                SystemCommand(
                    "Replay: next event",
                    "Jump to just before the next event (n)",
                    self.action_next_event,
                ),
                SystemCommand(
                    "Replay: restart",
                    "Back to the start of the recording (r)",
                    self.action_restart,
                ),
            )
        for layer, what in (
            ("night", "night-side shading"),
            ("footprint", "the footprint circle"),
            ("tracks", "past and future tracks"),
            ("grid", "the latitude/longitude grid"),
        ):
            yield SystemCommand(
                f"Map: toggle {layer}",
                f"Show or hide {what} on the ground-track map",
                partial(self.action_toggle_layer, layer),
            )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.kiosk is not None:
            return False  # locked: no quitting, no palette, no toggles
        if action in ("pause", "speed", "next_event", "restart"):
            return self.replay.active
        if action == "station_view":
            return self._telemetry_enabled and not isinstance(self.screen, PassPlannerScreen)
        if action == "hide_keys":
            # Only while the keys panel is open: otherwise Esc is left to whoever wants it.
            return bool(self.screen.query("HelpPanel"))
        # The map is not on the planner's screen (and there p goes back).
        return not (
            action in ("toggle_layer", "passes") and isinstance(self.screen, PassPlannerScreen)
        )

    def action_hide_keys(self) -> None:
        self.action_hide_help_panel()

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self._about()))

    def _about(self) -> str:
        recording = self.runtime.recording
        if recording is None:
            return "Live: data from the public APIs named in the README, polled politely."
        return recording.description

    def action_pause(self) -> None:
        self.replay.toggle_pause()
        self._tick()

    def action_speed(self, direction: int) -> None:
        speed = self.replay.step_speed(direction)
        self.notify(f"Replay speed ×{speed:g}", timeout=1.5)
        self._schedule_ticks()
        self._tick()

    async def action_next_event(self) -> None:
        now = self.clock.now()
        phases = [
            (p.time, f"{p.label.lower()}, {t.vehicle}")
            for t in build_timelines(self.runtime.store.state, now)
            for p in t.phases
        ]
        jump = self.replay.plan_next(phases)
        # The message names a vehicle from Launch Library: plain text, never markup (a
        # "[/]" in a name raised MarkupError in the toast's render and ended the app).
        self.notify(jump.message, timeout=2.5, markup=False)
        if jump.to is not None:
            self.replay.jump(jump.to)
            await self._replay_from_here()

    async def action_restart(self) -> None:
        self.replay.restart()
        await self._replay_from_here()

    async def _replay_from_here(self) -> None:
        """After the clock jumps, the state is rebuilt from what was recorded by then."""
        self.moments.dismiss()
        self.passes_control.jumped(self.clock.now())
        await self.runtime.restart()
        self._schedule_ticks()
        self._tick()

    @property
    def _telemetry_enabled(self) -> bool:
        health = self.runtime.store.state.feeds.get("telemetry")
        return health is not None and health.enabled

    def action_station_view(self) -> None:
        """The Station panel's own view: it replaces the orbit numbers (and shows on
        terminals too short to fit it beside them)."""
        self.toggle_class("-view-station")
        self._tick()

    def action_toggle_layer(self, layer: str) -> None:
        current = getattr(self.toggles, layer)
        self.toggles = replace(self.toggles, **{layer: not current})
        self.notify(f"{layer.capitalize()} {'off' if current else 'on'}", timeout=1.5)
        self._tick()

    # -- background work --------------------------------------------------------------

    def run_worker(
        self,
        work: WorkType[Any],
        name: str | None = "",
        group: str = "default",
        description: str = "",
        exit_on_error: bool = True,
        start: bool = True,
        exclusive: bool = False,
        thread: bool = False,
    ) -> Worker[Any]:
        """Textual ends the app when a worker raises (exit_on_error defaults to True): here no
        worker may, whoever starts it; its failure is reported by `on_worker_state_changed`."""
        return super().run_worker(
            work,
            name=name,
            group=group,
            description=description,
            exit_on_error=False,
            start=start,
            exclusive=exclusive,
            thread=thread,
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker failures go: logged with the traceback, said on screen, and
        the work left to be tried again when its inputs change."""
        worker = event.worker
        if event.state != WorkerState.ERROR:
            return
        error = worker.error
        what = worker.group if worker.group != "default" else (worker.name or "background task")
        log.error("worker %s failed", what, exc_info=error)
        notice = f"{what} failed ({type(error).__name__}); logged, will retry"
        if worker.group == PASS_SEARCH_GROUP:
            # Searched again with the next elements or observer, or in ten minutes.
            self.passes_control.search_failed()
        self.runtime.store.update(lambda s: s.with_notice(notice))
        with contextlib.suppress(Exception):
            self.notify(notice, severity="error", timeout=5, markup=False)

    # -- state to views ---------------------------------------------------------------

    def _on_state(self, state: MissionState) -> None:
        # A feed's first answer is drawn at once (the first frame waits for nothing); later
        # answers are drawn by the next tick, at most one tick interval away. At replay
        # speed 60 the feeds publish several times a second, and each publish redrew the
        # whole screen again between ticks.
        shape = _data_shape(state)
        if shape == self._drawn_shape:
            return
        self._drawn_shape = shape
        self.post_message(StateChanged(state))

    def on_state_changed(self, _message: StateChanged) -> None:
        # Views are built from the store's state at the time they are drawn, which is at
        # least as new as the message's.
        self._tick()

    def _tick(self) -> None:
        try:
            self._update_views()
        except Exception:
            # A bug computing one moment's views must not end a kiosk's run: log it and
            # try again on the next tick with the state as it is then.
            log.exception("updating the views failed")

    def _update_views(self) -> None:
        if not self._bar_widget.is_attached:
            # The app is exiting (or the screen is being taken down) while a feed published.
            return
        now = self.clock.now()
        end = self.replay.check_end(now)
        if end == "loop":
            self.replay.restart()
            self.run_worker(
                self._replay_from_here(), exclusive=True, group="replay", exit_on_error=False
            )
            return
        if end == "ended":
            now = self.clock.now()
        state = self.runtime.store.state
        # Each panel's view is built on its own: a failure costs that panel this frame, and
        # the others (the clock in the top bar first of all) still move.
        panel = self._panel
        orbit = panel("orbit", lambda: orbit_at(self._engines, state, now))
        # Only the machine's own clock can be wrong: a replay's clock is the recording's.
        self.clock_warning = panel("clock check", lambda: self._clock_doubt(state, now))
        panel("mission bar", lambda: setattr(self._bar_widget, "view", self._bar(state, now)))
        moment = panel("moments", lambda: self._moment(state, now))
        panel("alert", lambda: setattr(self._alert, "view", all_feeds_down(state, now, moment)))
        if self.kiosk is not None:
            panel("kiosk layout", lambda: self._kiosk_layout(now))
        panel(
            "feed health",
            lambda: setattr(self._health, "view", HealthView(now, state.feeds, state.notices)),
        )
        # Answers too old to describe now are set aside.
        known = panel("known state", lambda: trusted(state, now))
        if known is not None:
            panel(
                "crew",
                lambda: setattr(
                    self._roster,
                    "view",
                    RosterView(
                        now,
                        build_roster(known, now),
                        self.flag_style,
                        unknown(state, "crew", now),
                    ),
                ),
            )
            panel(
                "countdown",
                lambda: setattr(self._countdown_panel, "view", self._countdown(state, known, now)),
            )
            panel("launch card", lambda: self._show_launch_card(known, now))
            for name, show in self._shows:
                panel(name, partial(show, known, now))
        telemetry_health = state.feeds.get("telemetry")
        panel(
            "station",
            lambda: setattr(
                self._station_panel,
                "view",
                StationView(
                    now,
                    state.station,
                    enabled=telemetry_health is not None and telemetry_health.enabled,
                    error=telemetry_health.last_error if telemetry_health else None,
                ),
            ),
        )
        panel("telemetry", lambda: self._orbit_views(orbit, state, now))
        self._views_ok_at = time.monotonic()  # every view was attempted (the heartbeat)

    def _moment(self, state: MissionState, now: datetime) -> Moment | None:
        """The moment to announce now: timelines from the state's trusted answers, and real
        time for how long it stays up."""
        moment = self.moments.update(
            build_timelines(trusted(state, now), now), now, time.monotonic()
        )
        self._moment_shown = moment
        return moment

    def _show_launch_card(self, known: MissionState, now: datetime) -> None:
        view = launch_card(known, now)
        self._launch_card_view = view
        self._launch_card.view = view
        self.set_class(view is not None, "-launch-card")
        self._fit_map_to_card()

    def _fit_map_to_card(self) -> None:
        """The map's rows: fewer while the launch card shows, when the size class says so."""
        layout = self._layout
        if layout is None:
            return
        card = self._launch_card_view is not None
        rows = layout.map_rows_with_card if card else layout.map_rows
        if rows != self._map_rows:  # called every tick: restyle (and relayout) on change only
            self._map_rows = rows
            self._map.styles.max_height = rows

    @property
    def _pad(self) -> tuple[float, float] | None:
        """The pad of the launch on the card, marked on the map."""
        view = self._launch_card_view
        return view.pad_place if view is not None else None

    def _clock_doubt(self, state: MissionState, now: datetime) -> str | None:
        if self.runtime.recording is not None:
            return None
        choice = state.elements_at(now)
        return clock_doubt(now, choice.elements.epoch if choice is not None else None)

    def _panel(self, name: str, build: Callable[[], R]) -> R | None:
        try:
            return build()
        except Exception:
            self._panel_failed_at = time.monotonic()  # withholds the kiosk heartbeat a while
            log.exception("building the %s view failed; trying again next tick", name)
            return None

    def _orbit_views(self, orbit: Orbit | None, state: MissionState, now: datetime) -> None:
        """The map (guarded on its own), the pass search when needed, and the telemetry."""
        withheld: str | None = None
        if orbit is not None:
            self._panel("map", lambda: self._update_map(orbit, state, now))
            withheld = passes_withheld(orbit.choice)
            if withheld is None and orbit.telemetry is not None:
                self.passes_control.ensure_passes(orbit.engine, state.observer, now)
                withheld = self.passes_control.search.problem
        passes = self.passes
        day = (
            None if passes is None else tuple(p for p in passes if p.rise < now + PASS_SEARCH_SPAN)
        )
        self._telemetry_panel.view = TelemetryView(
            now=now,
            telemetry=orbit.telemetry if orbit is not None else None,
            observer=state.observer,
            passes=day,
            min_elevation_deg=self.runtime.settings.min_elevation_deg,
            elements_problem=orbit.problem if orbit is not None else None,
            passes_withheld=withheld,
            next_visible=next((p for p in passes or () if p.visible and p.set > now), None),
            zone=self.passes_control.zone(now),
        )
        control = self.passes_control
        control.withheld = withheld
        control.approximate = (
            orbit is not None
            and orbit.telemetry is not None
            and orbit.telemetry.error is not None
            and orbit.telemetry.error.level != "good"
        )
        self._panel("passes", lambda: control.tick(state, now))

    def _update_map(self, orbit: Orbit, state: MissionState, now: datetime) -> None:
        """A new scene when one is due; elements unusable at `now` draw no station at all
        (never the last place it was seen, as if it were still there)."""
        telemetry = orbit.telemetry
        error = telemetry.error if telemetry is not None else None
        level = "unusable" if error is None else error.level
        legend = MAP_LEGENDS[level]
        if self._map_legend != legend:
            self._map_legend = legend
            self.query_one("#map-panel").border_subtitle = legend
        if telemetry is None:
            key: tuple[object, ...] = (
                "unusable",
                state.observer,
                self.toggles,
                scene_step(now),
                self._pad,
            )
            if key != self._scene_key:
                self._map.scene = build_scene(
                    orbit.engine,
                    state,
                    None,
                    now,
                    self.runtime.settings.map,
                    self.toggles,
                    pad=self._pad,
                )
                self._scene_key = key
                self._scene_station = None
            return
        scene_key = self._scene_key_if_due(orbit.engine, state, telemetry.station, now)
        if scene_key is not None:
            self._map.scene = build_scene(
                orbit.engine,
                state,
                telemetry.station,
                now,
                self.runtime.settings.map,
                self.toggles,
                telemetry.error,
                pad=self._pad,
            )
            # Recorded only once the scene is built: a failure retries on the next tick.
            self._scene_key = scene_key
            self._scene_station = (
                telemetry.station.latitude_deg,
                telemetry.station.longitude_deg,
            )

    def _scene_key_if_due(
        self, engine: OrbitEngine, state: MissionState, station: StationState, now: datetime
    ) -> tuple[object, ...] | None:
        """The map's inputs, if it needs a new scene: something it shows changed, a 10 s step
        passed (the Sun, and the track's ends, are redrawn per step), or the station moved a
        quarter of a dot since the last one. None when the last scene still stands.

        At replay speed 1 the station crosses a dot in 10-30 s, so rebuilding the scene every
        second only recomposed an identical map.
        """
        key = (
            engine.elements,
            state.observer,
            self.toggles,
            self.runtime.settings.map,
            self._map.size,
            scene_step(now),
            self._pad,
        )
        last = self._scene_station
        dot = self._map.degrees_per_dot
        moved = (
            last is None
            or dot is None
            or max(
                abs(station.latitude_deg - last[0]),
                abs((station.longitude_deg - last[1] + 180.0) % 360.0 - 180.0),
            )
            >= dot / 4
        )
        return key if key != self._scene_key or moved else None

    def _countdown(self, state: MissionState, known: MissionState, now: datetime) -> CountdownView:
        """`known` is `state` without the answers too old to describe now."""
        timelines = build_timelines(known, now)
        received = [r.received_at for r in (known.launches, known.dockings) if r is not None]
        schedule_health = [state.feeds[f] for f in ("launches", "dockings") if f in state.feeds]
        schedule_unknown = unknown(state, "schedule", now)
        schedule_gaps = part_gaps(state, "schedule", now)
        docked_unknown = unknown(state, "docked", now)
        docked_health = state.feeds.get("docked")
        upcoming = next_event(timelines, now)
        moment = self._moment_shown
        focus = (
            next((t for t in timelines if t.vehicle == moment.vehicle), None) if moment else None
        )
        radar = None
        # During a docking, while the Kurs radar has its target, its range and rate.
        if upcoming is not None and upcoming[1].kind == "docking" and state.station is not None:
            found = state.station.radar(now)
            radar = radar_text(*found) if found is not None else None
        return CountdownView(
            now=now,
            timezone=self.runtime.settings.tzinfo(),
            next=upcoming,
            radar=radar,
            last=last_event(timelines, now),
            docked=None if docked_unknown else tuple(docked_vehicles(known, now)),
            schedule_age_s=(now - max(received)).total_seconds() if received else None,
            schedule_stale=any(h.state(now) in ("stale", "down") for h in schedule_health),
            schedule_unknown=schedule_unknown,
            schedule_partly=(
                Unknown("schedule", schedule_gaps)
                if schedule_gaps and not schedule_unknown
                else None
            ),
            docked_unknown=docked_unknown,
            docked_age_s=(now - known.docked.received_at).total_seconds() if known.docked else None,
            docked_stale=docked_health is not None and docked_health.state(now) != "ok",
            focus=focus,
        )

    def _kiosk_layout(self, now: datetime) -> None:
        assert self.kiosk is not None
        view = self.kiosk.view()
        for name in (*VIEWS, STATION_VIEW):
            self.set_class(name == view, f"-emphasis-{name}")
        top, left = self.kiosk.shift()
        self.screen.styles.padding = (top, 1 - left, 1 - top, left)
        self.set_class(self.kiosk.dimmed(now.astimezone(self.runtime.settings.tzinfo())), "-dim")

    def _bar(self, state: MissionState, now: datetime) -> MissionBarView:
        recording = self.runtime.recording
        if recording is None:
            return MissionBarView(
                now,
                state.mode,
                self.clock.speed,
                badge=mode_badge(state, now),
                clock_warning=self.clock_warning or "",
            )
        return MissionBarView(
            now,
            state.mode,
            self.replay.speed,
            detail=recording.title,
            paused=self.replay.paused,
            ended=self.replay.ended,
        )

    # -- the pass feature (issue 17; the rest is in app/tui/passes/) ------------------

    def _passes_host(self) -> PassesHost:
        runtime = self.runtime
        return PassesHost(
            app=self,
            settings=runtime.settings,
            store=runtime.store,
            clock=runtime.clock,
            kiosk=self.kiosk,
            glyphs=self.map_glyphs,
            bar_view=self._bar,
            engine_for=self._engines.get,
            tick_s=lambda: self.fixed_tick_s or self.replay.tick_interval_s(),
            kiosk_widgets=lambda: (self.kiosk_planner, self.pass_banner),
            redraw=self._tick,
        )

    @property
    def passes(self) -> tuple[Pass, ...] | None:
        """The passes of the last search (ten days), None while it runs."""
        return self.passes_control.passes

    @property
    def map_glyphs(self) -> MapGlyphs:
        """Braille, or the Linux console's glyphs: the sky chart draws as the map does."""
        return GLYPHS["console" if self.console_glyphs else "braille"]

    def on_pass_planner_selected(self, _message: PassPlanner.Selected) -> None:
        self.passes_control.refresh()

    def action_passes(self) -> None:
        self.passes_control.open()

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver, made to say it is ours: the pass alerts' desktop notifications
        are written through it (issdash.tui.passes.alert_effects)."""
        return announcing(super().get_driver_class())
