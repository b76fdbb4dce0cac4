"""The Textual dashboard: one screen of panels drawn from the mission state.

The app wires: it owns timing (a tick a second), builds the tick's `Frame` from the state and
the clock, and hands it to the panels of the registry (issdash.tui.panels), which compose,
update and lay out by looping over it. Views are built in issdash.model; widgets only draw.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from textual import events, work
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.filter import LineFilter
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer, Static
from textual.worker import Worker, get_current_worker

from issdash.core.gc_pause import collector_paused, resume_collector
from issdash.core.runtime import Runtime
from issdash.feeds.values import ElementSet, Observer
from issdash.model.alert_banner import build_alert_view
from issdash.model.certainty import trusted
from issdash.model.feed_health import build_health_view
from issdash.model.kiosk import KioskController
from issdash.model.layout import SizeClass, size_class
from issdash.model.map.glyphs import GLYPHS, MapGlyphs
from issdash.model.map.scene import MapToggles
from issdash.model.mission_bar import MissionBarView, build_mission_bar_view
from issdash.model.orbit import ElementsUnusable, OrbitEngine, Pass
from issdash.model.passes.search import PASS_PLANNER_DAYS, passes_between, passes_withheld
from issdash.model.replay_control import ReplayControl
from issdash.model.state import MissionState
from issdash.model.telemetry import EngineCache, Orbit, orbit_at
from issdash.model.terminal.capabilities import flag_style, screen_glyphs
from issdash.model.visits.launch_card import LaunchCardView, launch_card
from issdash.model.visits.moments import Moment, MomentTracker
from issdash.model.visits.timeline import build_timelines
from issdash.tui import panels
from issdash.tui.console_screen import ConsoleGlyphs
from issdash.tui.frame import Frame
from issdash.tui.heartbeat import HEARTBEAT_EVERY_S, ScreenHealth
from issdash.tui.help_screen import HelpScreen
from issdash.tui.keys import DashboardKeys
from issdash.tui.kiosk_mode import lock_down, show_kiosk_frame
from issdash.tui.messages import ShapeWatch, StateChanged
from issdash.tui.passes.control import PassesControl
from issdash.tui.passes.screen import PassCommands
from issdash.tui.signals import install_signal_handlers
from issdash.tui.size_layout import apply_size_class
from issdash.widgets.alert_banner import AlertBanner
from issdash.widgets.feed_health import FeedHealthStrip
from issdash.widgets.mission_bar import MissionBar
from issdash.widgets.passes.banner import PassBanner
from issdash.widgets.passes.planner import PassesView

__all__ = ["HelpScreen", "IssDashApp"]

log = logging.getLogger(__name__)
R = TypeVar("R")
# After the pass search fails, how long before it is tried again with the same inputs.
PASSES_RETRY = timedelta(minutes=10)
# Passes found for one time are kept while the clock moves on normally; a jump back, or a
# long run, searches again ("next pass in 697d" came from a list found before a jump back).
PASSES_REUSE_S = 6 * 3600.0

_RESUME_COLLECTOR_AFTER_S = 2.0


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
        self.toggles = MapToggles()
        self._engines = EngineCache()
        self._passes: tuple[Pass, ...] | None = None
        self._passes_retry_at: datetime | None = None
        self._passes_key: tuple[ElementSet, Observer | None, float] | None = None
        # Why the last pass search gave nothing usable (elements that decay within it).
        self._passes_problem: str | None = None
        self._passes_searched_at: datetime | None = None
        # The pass planner's views and the pass alerts (issue 17).
        self.passes_control = PassesControl(self)
        # Draws a change in what the state holds at once, not at the next tick.
        self._on_state = ShapeWatch(self.post_message)
        # The registry's panels as mounted, each with its box (issdash.tui.panels).
        self._panels: list[tuple[panels.Mounted, Widget]] = []
        self._map: Widget | None = None
        self.kiosk_planner: PassesView | None = None
        # Every view computed, no panel failed: the kiosk's heartbeat (issdash.tui.heartbeat).
        self.health = ScreenHealth()
        # What this terminal can draw: decided once (TERM=linux, a browser, or the settings).
        self.screen_glyphs = screen_glyphs(runtime.settings.glyphs, os.environ)
        self.flag_style = flag_style(runtime.settings.flags, os.environ, self.screen_glyphs)
        self.console_glyphs = ConsoleGlyphs() if self.screen_glyphs == "console" else None
        # Liftoff, docking, hatch opening: announced in the banner (issdash.model.visits.moments).
        self.moments = MomentTracker()
        self._card: LaunchCardView | None = None
        self._layout: SizeClass | None = None
        self._map_rows: int | None = None

    # -- layout -----------------------------------------------------------------------

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
            self.pass_banner = PassBanner(id="pass-banner")
            yield self.pass_banner
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield from self._column("left")
            with Vertical(id="side"):
                yield from self._column("side")
        yield self._health
        yield Footer()

    def _column(self, column: str) -> ComposeResult:
        """The registry's panels that go in `column`, each in a titled box."""
        looks = panels.Looks(self.map_glyphs, self.flag_style)
        for panel in panels.PANELS:
            if panel.column != column or (panel.kiosk_only and self.kiosk is None):
                continue
            mounted = panel.mount(looks)
            box_type = VerticalScroll if panel.scroll else Vertical
            box = box_type(mounted.widget, id=panel.box_id, classes="panel")
            box.border_title = panel.title
            box.border_subtitle = panel.subtitle or None
            self._panels.append((mounted, box))
            if panel.id == "map":
                self._map = mounted.widget  # its rows give way to the launch card
            if isinstance(mounted.widget, PassesView):
                self.kiosk_planner = mounted.widget
            yield box

    def get_line_filters(self) -> Sequence[LineFilter]:
        filters = super().get_line_filters()
        return filters if self.console_glyphs is None else [*filters, self.console_glyphs]

    def on_mount(self) -> None:
        self._apply_layout(size_class(*self.size))
        # The Station panel takes a place in the layout only when there is telemetry.
        self.set_class(self._telemetry_enabled, "-telemetry")
        if self.kiosk is not None:
            feeds = self.runtime.store.state.feeds
            on = [name for name, health in feeds.items() if health.enabled]
            self.kiosk.views = panels.kiosk_cycle((m.panel for m, _ in self._panels), on)
        self.runtime.load_fallbacks()
        self.runtime.store.subscribe(self._on_state)
        if self.start_feeds:
            self.runtime.start()
        install_signal_handlers(self.exit)
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
        self._layout = layout
        self._fit_map_to_card()

    def _fit_map_to_card(self) -> None:
        """The map's rows: fewer while the launch card shows, when the size class says so."""
        layout = self._layout
        if layout is None or self._map is None:
            return
        rows = layout.map_rows_with_card if self._card is not None else layout.map_rows
        if rows != self._map_rows:  # called every tick: restyle (and relayout) on change only
            self._map_rows = rows
            self._map.styles.max_height = rows

    async def on_unmount(self) -> None:
        self.runtime.store.unsubscribe(self._on_state)
        await self.runtime.stop()

    # -- replay jumps -----------------------------------------------------------------

    async def _replay_from_here(self) -> None:
        """After the clock jumps, the state is rebuilt from what was recorded by then."""
        self.moments.dismiss()
        self.passes_control.jumped(self.clock.now(), self._passes)
        self._passes = None
        self._passes_key = None
        self._passes_retry_at = None
        await self.runtime.restart()
        self._schedule_ticks()
        self._tick()

    def worker_failed(self, worker: Worker[Any], notice: str) -> None:
        """Logged already; kept among the state's notices, and said on screen."""
        if worker.group == "passes":
            # Searched again with the next elements or observer, or in ten minutes.
            self._passes = ()
            self._passes_retry_at = self.clock.now() + PASSES_RETRY
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
        moment = panel("moments", lambda: self._moment(state, now))
        panel("alert", lambda: setattr(self._alert, "view", build_alert_view(state, now, moment)))
        if (kiosk := self.kiosk) is not None:
            boxes = [(mounted.panel.kiosk, box) for mounted, box in self._panels]
            panel("kiosk layout", lambda: show_kiosk_frame(self, kiosk, boxes, self._local(now)))
        panel("feed health", lambda: setattr(self._health, "view", build_health_view(state, now)))
        frame = self._frame(state, now, orbit, moment)
        if frame is not None:
            for mounted, _box in self._panels:
                if mounted.update is not None:
                    panel(mounted.panel.id, partial(mounted.update, frame))
        panel("passes", lambda: self.passes_control.tick(state, now))
        self.health.views_computed()  # every view was attempted (the heartbeat)

    def _frame(
        self, state: MissionState, now: datetime, orbit: Orbit | None, moment: Moment | None
    ) -> Frame | None:
        """The tick's inputs to every panel; None when the state cannot be judged at all."""
        panel = self._panel
        # Answers too old to describe now are set aside.
        known = panel("known state", lambda: trusted(state, now))
        if known is None:
            return None
        # A card that could not be built stays as it was (as any panel's view would).
        built = panel("launch card", lambda: (launch_card(known, now),))
        card = self._show_card(built[0]) if built is not None else self._card
        passes = panel("pass search", lambda: self._pass_inputs(orbit, state, now))
        zone = panel("pass zone", lambda: self.passes_control.zone(now))
        return Frame(
            now=now,
            state=state,
            known=known,
            settings=self.runtime.settings,
            orbit=orbit,
            moment=moment,
            card=card,
            passes=passes[0] if passes else self._passes,
            passes_withheld=passes[1] if passes else None,
            pass_zone=zone,
            toggles=self.toggles,
            flags=self.flag_style,
        )

    def _show_card(self, card: LaunchCardView | None) -> LaunchCardView | None:
        """While a launch is close the card shows, and the map gives it rows."""
        self._card = card
        self.set_class(card is not None, "-launch-card")
        self._fit_map_to_card()
        return card

    def _moment(self, state: MissionState, now: datetime) -> Moment | None:
        """The moment to announce now: timelines from the state's trusted answers, and real
        time for how long it stays up."""
        timelines = build_timelines(trusted(state, now), now)
        return self.moments.update(timelines, now, time.monotonic())

    def _local(self, now: datetime) -> datetime:
        return now.astimezone(self.runtime.settings.tzinfo())

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

    # -- the pass planner (issue 17; the rest is in app/tui/passes/control.py) ----------

    def _pass_inputs(
        self, orbit: Orbit | None, state: MissionState, now: datetime
    ) -> tuple[tuple[Pass, ...] | None, str | None]:
        """The pass search when needed; the passes found, and why none are offered."""
        withheld: str | None = None
        if orbit is not None:
            withheld = passes_withheld(orbit.choice)
            if withheld is None and orbit.telemetry is not None:
                self._ensure_passes(orbit.engine, state, now)
                withheld = self._passes_problem
        control = self.passes_control
        control.withheld = withheld
        control.approximate = (
            orbit is not None
            and orbit.telemetry is not None
            and orbit.telemetry.error is not None
            and orbit.telemetry.error.level != "good"
        )
        return self._passes, withheld

    def _ensure_passes(self, engine: OrbitEngine, state: MissionState, now: datetime) -> None:
        key = (engine.elements, state.observer, self.runtime.settings.min_elevation_deg)
        searched = self._passes_searched_at
        age_s = (now - searched).total_seconds() if searched is not None else -1.0
        stale = self._passes is not None and (
            not 0 <= age_s <= PASSES_REUSE_S  # the clock jumped, or it has been hours
            or (not self._passes and age_s > 600)  # none found: look again now and then
            or (bool(self._passes) and self._passes[-1].set <= now)
        )
        if self._passes_retry_at is not None:
            # The last search failed: not again every tick, only when its inputs change or
            # the retry time comes.
            if key == self._passes_key and now < self._passes_retry_at:
                return
            self._passes_retry_at = None
            stale = True
        if key != self._passes_key or stale:
            self._passes_key = key
            self._passes_searched_at = now
            if state.observer is None:
                self._passes = ()
                return
            self._search_passes(engine, state.observer, now, key[2])

    @work(thread=True, exclusive=True, group="passes", exit_on_error=False)
    def _search_passes(
        self, engine: OrbitEngine, observer: Observer, now: datetime, min_el: float
    ) -> None:
        problem: str | None = None
        try:
            end = now + timedelta(days=PASS_PLANNER_DAYS)
            passes = tuple(passes_between(engine, observer, now, end, min_el))
        except ElementsUnusable as exc:
            passes, problem = (), str(exc)
        if not get_current_worker().is_cancelled:
            self.call_from_thread(self._set_passes, passes, problem)

    def _set_passes(self, passes: tuple[Pass, ...], problem: str | None = None) -> None:
        self._passes = passes
        self._passes_problem = problem
        self.passes_control.passes_changed()
        self._tick()

    @property
    def passes(self) -> tuple[Pass, ...] | None:
        """The passes of the last search (ten days), None while it runs."""
        return self._passes

    @property
    def map_glyphs(self) -> MapGlyphs:
        """Braille, or the Linux console's glyphs: the sky chart draws as the map does."""
        return GLYPHS["console" if self.console_glyphs else "braille"]

    def engine_for(self, elements: ElementSet) -> OrbitEngine | None:
        return self._engines.get(elements)

    def bar_view(self, state: MissionState, now: datetime) -> MissionBarView:
        return self._bar(state, now)

    def on_passes_view_selected(self, _message: PassesView.Selected) -> None:
        self.passes_control.refresh()

    def action_passes(self) -> None:
        self.passes_control.open()
