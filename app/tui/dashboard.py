"""The Textual dashboard: one screen of panels drawn from the mission state.

The app wires: it owns timing (a tick a second), builds the tick's `Frame` from the state and
the clock, and hands it to the panels of the registry (issdash.tui.panels), which compose,
update and lay out by looping over it. Views are built in issdash.model; widgets only draw.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from textual import events
from textual.app import App, ComposeResult
from textual.driver import Driver
from textual.filter import LineFilter
from textual.timer import Timer
from textual.widgets import Static
from textual.worker import Worker

from issdash.core.gc_pause import collector_paused, resume_collector
from issdash.core.runtime import Runtime
from issdash.model.alert_banner import build_alert_view
from issdash.model.certainty import trusted
from issdash.model.feed_health import build_health_view
from issdash.model.kiosk import KioskController
from issdash.model.layout import SizeClass, size_class
from issdash.model.map.glyphs import GLYPHS, MapGlyphs
from issdash.model.map.scene import MapToggles
from issdash.model.mission_bar import MissionBarView, build_mission_bar_view
from issdash.model.orbit_source import disagreement_notices
from issdash.model.passes.finder import Pass
from issdash.model.passes.upcoming import passes_withheld
from issdash.model.replay_control import ReplayControl
from issdash.model.state import MissionState
from issdash.model.telemetry import EngineCache, Orbit, orbit_at
from issdash.model.terminal.capabilities import flag_style, screen_glyphs
from issdash.model.visits.launch_card import LaunchCardView, launch_card
from issdash.model.visits.moments import Moment, MomentTracker
from issdash.model.visits.timeline import Timeline, build_timelines
from issdash.tui import panels
from issdash.tui.frame import Frame
from issdash.tui.heartbeat import HEARTBEAT_EVERY_S, ScreenHealth
from issdash.tui.help_screen import HelpScreen
from issdash.tui.keys import DashboardKeys
from issdash.tui.kiosk_mode import lock_down, show_kiosk_frame
from issdash.tui.map_panel import MapRows
from issdash.tui.messages import ShapeWatch, StateChanged
from issdash.tui.passes.alert_effects import announcing
from issdash.tui.passes.control import PASS_SEARCH_GROUP, PassesControl, PassesHost
from issdash.tui.passes.palette import PassCommands
from issdash.tui.signals import install_signal_handlers
from issdash.tui.size_layout import apply_size_class, size_classes
from issdash.widgets.alert_banner import AlertBanner
from issdash.widgets.feed_health import FeedHealthStrip
from issdash.widgets.mission_bar import MissionBar

if TYPE_CHECKING:
    from issdash.tui.console_screen import ConsoleGlyphs

    # The planner and the kiosk's pass banner are imported when first shown (a kiosk's, the
    # planner's screen): the dashboard's first screen has neither.
    from issdash.widgets.passes.banner import PassBanner
    from issdash.widgets.passes.planner import PassPlanner

__all__ = ["HelpScreen", "IssDashApp"]

log = logging.getLogger(__name__)
R = TypeVar("R")
_RESUME_COLLECTOR_AFTER_S = 2.0
# How long the screen waits for the cache's reads at start (see on_load).
_PRELOAD_BEFORE_SCREEN_S = 0.5


class IssDashApp(DashboardKeys):
    """The dashboard."""

    # Absolute, so a subclass defined elsewhere (a test's) finds it too.
    CSS_PATH = Path(__file__).with_name("dashboard.tcss")
    TITLE = "issdash"
    COMMANDS = App.COMMANDS | {PassCommands}

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
        self._restore_signals: Callable[[], None] = lambda: None
        self.toggles = MapToggles()
        # The screen shows the position to 0.01 degree: IAU 2000B's centimetres never show.
        self._engines = EngineCache(coarse_nutation=True)
        # Draws a change in what the state holds at once, not at the next tick.
        self._on_state = ShapeWatch(self.post_message)
        # The registry's panels as mounted, each with its box (issdash.tui.panels).
        self._panels: list[panels.Mounted] = []
        self.kiosk_planner: PassPlanner | None = None
        # Every view computed, no panel failed: the kiosk's heartbeat (issdash.tui.heartbeat).
        self.health = ScreenHealth()
        # What this terminal can draw: decided once (TERM=linux, a browser, or the settings).
        self.screen_glyphs = screen_glyphs(runtime.settings.glyphs, os.environ)
        self.flag_style = flag_style(runtime.settings.flags, os.environ, self.screen_glyphs)
        self.console_glyphs: ConsoleGlyphs | None = None
        if self.screen_glyphs == "console":
            # Imported only here: its table of the console font's characters is built at
            # import, and only a Linux console draws with it.
            from issdash.tui.console_screen import ConsoleGlyphs

            self.console_glyphs = ConsoleGlyphs()
        # Liftoff, docking, hatch opening: announced in the banner (issdash.model.visits.moments).
        self.moments = MomentTracker()
        self._card: LaunchCardView | None = None
        self._map_rows = MapRows()
        # The pass search, the planner's views and the pass alerts (issue 17).
        self.passes_control = PassesControl(self._passes_host())

    # -- layout -----------------------------------------------------------------------

    async def on_load(self) -> None:
        # Before the screen is up, the cached answers are read (in a thread; the mount waits
        # for them) for a moment at most. Read by then, the first frame painted has them: the
        # reads no longer let the layout without them be painted first (a tenth of a second
        # of a live start). A file system that does not answer delays the screen no longer.
        self._preloaded = asyncio.ensure_future(self.runtime.preload_cache())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._preloaded), _PRELOAD_BEFORE_SCREEN_S)

    def compose(self) -> ComposeResult:
        # Kept by reference: the tick updates all of them every second, and a DOM query
        # per widget per tick was a measurable share of the idle CPU.
        self._bar_widget = MissionBar(id="mission-bar")
        self._alert = AlertBanner(id="alert")
        self._health = FeedHealthStrip(id="feed-health")
        # Shown instead of everything else below the minimum size (issdash.model.layout).
        yield Static("", id="too-small", markup=False)
        yield self._bar_widget
        yield self._alert
        self.pass_banner: PassBanner | None = None
        if self.kiosk is not None:
            from issdash.widgets.passes.banner import PassBanner

            self.pass_banner = PassBanner(id="pass-banner")
            yield self.pass_banner
        # Kept lines (issdash.widgets.kept_render): the clock and the feed strip repaint
        # every row between them each second, these included.
        with panels.Row(id="body"):
            with panels.Box(id="left"):
                yield from self._column("left")
            with panels.Box(id="side"):
                yield from self._column("side")
        yield self._health
        yield panels.KeptFooter()
        # The classes the tcss reads, set before the composed widgets are first styled: set
        # at mount (as they still are, unchanged then), each restyled every widget again.
        size_classes(self, size_class(*self.size), self._panels, update=False)
        self.set_class(self._telemetry_enabled, "-telemetry", update=False)

    def _column(self, column: str) -> ComposeResult:
        """The registry's panels that go in `column`, each in a titled box."""
        looks = panels.Looks(self.map_glyphs, self.flag_style)
        for panel in panels.PANELS:
            if panel.column != column or (panel.kiosk_only and self.kiosk is None):
                continue
            mounted = panel.mount(looks)
            self._panels.append(mounted)
            if panel.id == "map":
                self._map_rows.map = mounted.widget  # its rows give way to the launch card
            if panel.id == "kiosk-planner":
                self.kiosk_planner = cast("PassPlanner", mounted.widget)
            yield mounted.box

    def get_line_filters(self) -> Sequence[LineFilter]:
        filters = super().get_line_filters()
        return filters if self.console_glyphs is None else [*filters, self.console_glyphs]

    async def on_mount(self) -> None:
        self._apply_layout(size_class(*self.size))
        # The Station panel takes a place in the layout only when there is telemetry.
        self.set_class(self._telemetry_enabled, "-telemetry")
        if self.kiosk is not None:
            feeds = self.runtime.store.state.feeds.items()
            on = [name for name, health in feeds if health.enabled]
            self.kiosk.views = panels.kiosk_cycle((m.panel for m in self._panels), on)
        # The cached answers are read in a thread (a dead mount must not hold the screen);
        # the first frame still has them, as the mount waits for this.
        await self._preloaded
        self.runtime.load_fallbacks()
        self.runtime.store.subscribe(self._on_state)
        if self.start_feeds:
            if self.runtime.recording is None and self.runtime.bus is None:
                # Live: the first frame is drawn from the cache and the bundled elements, and
                # the network clients (httpx, the Lightstreamer stream: a fifth of a second of
                # imports and 15 MB) load after it, not before.
                self.call_after_refresh(self.runtime.start)
            else:
                # A replay's feeds (its first answers are the first frame's) and a bus link.
                self.runtime.start()
        self._restore_signals = install_signal_handlers(self.exit, self._terminal_fd())
        watchdog_s = self.runtime.settings.kiosk.watchdog_s
        self.set_interval(watchdog_s, self.runtime.watchdog)
        if self.kiosk is not None:
            lock_down(self)
        self.health.mounted()
        self._tick()
        self._schedule_ticks()
        if self.kiosk is not None and self.runtime.settings.kiosk.heartbeat_file is not None:
            self.heartbeat()  # after the first tick: it needs views drawn
            self.set_interval(HEARTBEAT_EVERY_S, self.heartbeat)
        if collector_paused():
            # By then the first complete frame is on screen (about 1 s here): collect and
            # freeze what start-up built, then let the collector run as usual.
            self.set_timer(_RESUME_COLLECTOR_AFTER_S, partial(resume_collector, freeze=True))

    def heartbeat(self) -> bool:
        """Touch the heartbeat file if the screen is healthy; True when touched."""
        return self.health.beat(self.runtime.settings.kiosk.heartbeat_file)

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
        apply_size_class(self, layout, self._panels)
        self._map_rows.fit(layout=layout)

    def _terminal_fd(self) -> int | None:
        """The terminal drawn on, watched for going away (None: headless, a browser's)."""
        if self.is_headless or self.is_web or sys.__stdout__ is None:
            return None
        with contextlib.suppress(OSError, ValueError):
            fd = sys.__stdout__.fileno()
            return fd if os.isatty(fd) else None
        return None

    async def on_unmount(self) -> None:
        self._restore_signals()
        self.runtime.store.unsubscribe(self._on_state)
        await self.runtime.stop()

    # -- replay jumps -----------------------------------------------------------------

    async def _replay_from_here(self) -> None:
        """After the clock jumps, the state is rebuilt from what was recorded by then."""
        self.moments.dismiss()
        self.passes_control.jumped(self.clock.now())
        await self.runtime.restart()
        self._schedule_ticks()
        self._tick()

    def worker_failed(self, worker: Worker[Any], notice: str) -> None:
        """Logged already; kept among the state's notices, and said on screen."""
        if worker.group == PASS_SEARCH_GROUP:
            # Searched again with the next elements or observer, or in ten minutes.
            self.passes_control.search_failed()
        self.runtime.store.update(lambda s: s.with_notice(notice))
        with contextlib.suppress(Exception):
            super().worker_failed(worker, notice)

    # -- state to views ---------------------------------------------------------------

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
        panel("mission bar", lambda: setattr(self._bar_widget, "view", self._bar(state, now)))
        # Answers too old to describe now are set aside (once a tick: the moments and the
        # panels' frame both read them).
        known = panel("known state", lambda: trusted(state, now))
        # The vehicles' timelines from the trusted answers, built once a tick: the moments
        # and the next-event panel both read them.
        timelines = (
            panel("timelines", lambda: build_timelines(known, now)) if known is not None else None
        )
        # The moment to announce, with real time to stay up.
        moment = (
            panel("moments", lambda: self.moments.update(timelines, now, time.monotonic()))
            if timelines is not None
            else None
        )
        panel("alert", lambda: setattr(self._alert, "view", build_alert_view(state, now, moment)))
        if (kiosk := self.kiosk) is not None:
            zone = self.runtime.settings.tzinfo
            panel("kiosk layout", lambda: show_kiosk_frame(self, kiosk, self._panels, now, zone()))
        orbit_notices = (
            disagreement_notices(orbit.telemetry.disagreement)
            if orbit is not None and orbit.telemetry is not None
            else []
        )
        not_recorded = self.runtime.not_recorded
        panel(
            "feed health",
            lambda: setattr(
                self._health,
                "view",
                build_health_view(state, now, not_recorded, orbit_notices),
            ),
        )
        frame = (
            self._frame(state, known, now, orbit, moment, timelines) if known is not None else None
        )
        if frame is not None:
            for mounted in self._panels:
                if mounted.update is not None:
                    panel(mounted.panel.id, partial(mounted.update, frame))
        panel("passes", lambda: self.passes_control.tick(state, now))
        self.health.views_computed()  # every view was attempted (the heartbeat)

    def _frame(
        self,
        state: MissionState,
        known: MissionState,
        now: datetime,
        orbit: Orbit | None,
        moment: Moment | None,
        timelines: list[Timeline] | None,
    ) -> Frame:
        """The tick's inputs to every panel (`known`: the state without the answers too old
        to describe now)."""
        panel = self._panel
        # A card that could not be built stays as it was (as any panel's view would).
        built = panel("launch card", lambda: (launch_card(known, now),))
        card = self._show_card(built[0]) if built is not None else self._card
        withheld = panel("pass search", lambda: self._pass_search(orbit, state, now))
        # Only pass times are said in it: without passes in hand (the search still running, at
        # start) the observer's zone is not looked up (from coordinates, a TimezoneFinder).
        zone = panel("pass zone", lambda: self.passes_control.zone(now)) if self.passes else None
        return Frame(
            now=now,
            state=state,
            known=known,
            settings=self.runtime.settings,
            orbit=orbit,
            moment=moment,
            timelines=timelines,
            card=card,
            passes=self.passes,
            passes_withheld=withheld,
            pass_zone=zone,
            toggles=self.toggles,
            flags=self.flag_style,
        )

    def _show_card(self, card: LaunchCardView | None) -> LaunchCardView | None:
        """While a launch is close the card shows, and the map gives it rows."""
        self._card = card
        shown = card is not None
        if self.has_class("-launch-card") != shown:
            # The class's rules (dashboard.tcss) are all on the left column's boxes: that
            # column is restyled, not every widget on screen (tens of ms as the card appears).
            self.set_class(shown, "-launch-card", update=False)
            self.query_one("#left").update_node_styles()
        self._map_rows.fit(card=shown)
        return card

    def _panel(self, name: str, build: Callable[[], R]) -> R | None:
        try:
            return build()
        except Exception:
            self.health.panel_failed()  # withholds the kiosk heartbeat a while
            log.exception("building the %s view failed; trying again next tick", name)
            return None

    def _bar(self, state: MissionState, now: datetime) -> MissionBarView:
        recording = self.runtime.recording
        return build_mission_bar_view(
            state,
            now,
            live_speed=self.clock.speed,
            replay=self.replay,
            recording_title=recording.title if recording is not None else None,
        )

    # -- the pass feature (issue 17; the rest is in app/tui/passes/) ------------------

    def _pass_search(self, orbit: Orbit | None, state: MissionState, now: datetime) -> str | None:
        """The pass search when needed; why no passes are offered (None: they are)."""
        control = self.passes_control
        tle = state.feeds.get("tle")
        withheld = (
            passes_withheld(orbit.choice, tle, orbit.engine.source_at(now))
            if orbit is not None
            else None
        )
        if orbit is not None and withheld is None and orbit.telemetry is not None:
            control.ensure_passes(orbit.engine, state.observer, now)
            withheld = control.search.problem
        # Elements past their good age: the planner says its passes are approximate.
        error = orbit.telemetry.error if orbit is not None and orbit.telemetry else None
        control.withheld = withheld
        control.approximate = error is not None and error.level != "good"
        return withheld

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
