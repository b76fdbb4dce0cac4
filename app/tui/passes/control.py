"""The dashboard's side of the pass feature (issue 17), kept out of `dashboard.py`: the one pass
search (ten days, off the event loop, redone when the elements or the observer change; when,
is `issdash.model.passes.cache`), the planner's views (its own screen and the kiosk's), the
selected pass's sky path (computed in a thread), the zone pass times are said in, the
alerts (scheduled by `issdash.model.passes.alerts`, delivered by
`issdash.tui.passes.alert_effects`), and the passes a new orbit moved (marked in the planner,
told in one notice: `issdash.model.passes.moves`).

It knows the dashboard only through `PassesHost`: Textual's own `App`, and the few things of
the dashboard it needs, each named.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from textual.app import App
from textual.worker import get_current_worker

from issdash.config.settings import Settings
from issdash.feeds.clock import Clock
from issdash.feeds.values import ElementSet, Observer
from issdash.model.kiosk import KioskController
from issdash.model.manoeuvres import planned_burns
from issdash.model.map.glyphs import MapGlyphs
from issdash.model.mission_bar import MissionBarView
from issdash.model.orbit import OrbitEngine
from issdash.model.passes.alerts import AlertScheduler, banner_alert
from issdash.model.passes.cache import PassSearch, PassSearchCache
from issdash.model.passes.finder import Pass, SkyPoint, sky_path
from issdash.model.passes.moves import PassChanges, change_reason, diff_passes
from issdash.model.passes.upcoming import PASS_PLANNER_DAYS
from issdash.model.state import MissionState, StateStore
from issdash.tui.passes.alert_effects import AlertEffects, AlertEffectSettings
from issdash.tui.passes.screen import PassPlannerScreen

if TYPE_CHECKING:
    from issdash.widgets.passes.banner import PassBanner
    from issdash.widgets.passes.planner import PassPlanner

log = logging.getLogger(__name__)

# The chart's path: a sample every 10 s (whole minutes among them, for the ticks).
SKY_STEP_S = 10.0
# Passes shown for less than this before a new orbit replaces them are not told as moved.
PLAN_AFTER = timedelta(minutes=10)
# The pass search's worker group (the dashboard's worker-failure handler looks for it).
PASS_SEARCH_GROUP = "passes"


@dataclass(frozen=True, slots=True)
class PassesHost:
    """What the pass feature needs of the dashboard it is part of, and nothing more."""

    # Textual's own: the screen stack, workers, notifications, the bell.
    app: App[Any]
    settings: Settings
    store: StateStore
    clock: Clock
    kiosk: KioskController | None
    # Braille, or the Linux console's glyphs: the sky chart draws as the map does.
    glyphs: MapGlyphs
    # The mission bar's view (the planner's screen has the bar on top too).
    bar_view: Callable[[MissionState, datetime], MissionBarView]
    engine_for: Callable[[ElementSet], OrbitEngine | None]
    # The tick interval now, in real seconds.
    tick_s: Callable[[], float]
    # The kiosk's planner and pass banner, once composed (None outside the kiosk).
    kiosk_widgets: Callable[[], tuple[PassPlanner | None, PassBanner | None]]
    # Draw every view again now (a search's passes arrived).
    redraw: Callable[[], None]


def orbit_of(engine: OrbitEngine, at: datetime) -> tuple[str, datetime | None]:
    """Which source the engine's passes from `at` come from ("elements", "nasa-oem", ...:
    the orbit source's names) and when that source was made (the elements' epoch; a
    trajectory's creation), for the words of a pass that moved."""
    source = engine.source_at(at)
    if source is None:
        return "elements", engine.elements.epoch
    return source.kind, source.created or engine.elements.epoch


class PassesControl:
    """One per dashboard."""

    def __init__(self, host: PassesHost) -> None:
        self.host = host
        self.search = PassSearchCache()
        alerts = host.settings.alerts
        self.alerts = AlertScheduler(timedelta(minutes=alerts.lead_min))
        self.effects = AlertEffects(
            host.app,
            AlertEffectSettings(
                alerts.bell,
                alerts.desktop,
                alerts.command,
                alerts.command_timeout_s,
                toast=host.kiosk is None,
            ),
            lambda notice: host.store.update(lambda s: s.with_notice(notice)),
        )
        # Why passes are withheld now, and whether they are approximate (the planner says so).
        self.withheld: str | None = None
        self.approximate = False
        self._sky_key: tuple[object, ...] | None = None
        self._sky_path: tuple[SkyPoint, ...] | None = None
        self._zoned_observer: tuple[Observer, Observer] | None = None
        # The search whose passes are in hand, and what the last new orbit changed in them.
        self._searched: PassSearch | None = None
        self.changes: PassChanges | None = None

    # -- the zone ----------------------------------------------------------------------

    def zoned(self, observer: Observer | None) -> Observer | None:
        """The observer with its zone (its place's, else its coordinates'), looked up once:
        an observer given as bare coordinates (a test's, a config's) may have none."""
        if observer is None or observer.timezone:
            return observer
        if self._zoned_observer is None or self._zoned_observer[0] != observer:
            try:
                # The settings look the zone up once (issdash.config); the state's observer is
                # theirs (the runtime starts the state with it).
                settings = self.host.settings
                zoned = (
                    settings.zoned_observer() if observer == settings.observer else None
                ) or observer
            except Exception:  # the zone lookup is a nicety: never a reason to fail a tick
                log.exception("the observer's time zone could not be looked up")
                zoned = observer
            self._zoned_observer = (observer, zoned)
        return self._zoned_observer[1]

    def zone(self, now: datetime) -> tzinfo:
        """The zone pass times are said in: the observer's (from its place or coordinates),
        else the one set for local times, else this computer's."""
        observer = self.zoned(self.host.store.state.observer)
        if observer is not None and observer.timezone:
            with contextlib.suppress(ZoneInfoNotFoundError, ValueError, OSError):
                return ZoneInfo(observer.timezone)
        zone = self.host.settings.tzinfo()
        return zone if zone is not None else now.astimezone().tzinfo or UTC

    # -- the pass search ---------------------------------------------------------------

    @property
    def passes(self) -> tuple[Pass, ...] | None:
        """The passes of the last search (ten days), None while it runs."""
        return self.search.passes

    def ensure_passes(self, engine: OrbitEngine, observer: Observer | None, now: datetime) -> None:
        """Search again (in a thread) when the passes in hand no longer answer; each tick."""
        search = self.search.due(engine, observer, self.host.settings.min_elevation_deg, now)
        if search is not None:
            # Started once the screen is painted: the search's thread holds the interpreter for
            # most of a second, and would slow the frame being drawn (at start, the first).
            self.host.app.call_after_refresh(self._start_search, search)

    def _start_search(self, search: PassSearch) -> None:
        self.host.app.run_worker(
            partial(self._search_work, search),
            name="pass search",
            group=PASS_SEARCH_GROUP,
            exit_on_error=False,
            exclusive=True,
            thread=True,
        )

    def _search_work(self, search: PassSearch) -> None:
        passes, problem = search.run()
        # The zone the passes are said in, looked up here in the search's thread (from
        # coordinates it builds a TimezoneFinder) rather than on the loop when they are drawn.
        self.zoned(search.observer)
        if not get_current_worker().is_cancelled:
            self.host.app.call_from_thread(self._found, passes, problem, search)

    def _found(
        self, passes: tuple[Pass, ...], problem: str | None, search: PassSearch | None = None
    ) -> None:
        before, searched = self.search.passes, self._searched
        self.search.found(passes, problem)
        # A search that found nothing usable (elements decaying) is nothing to compare with.
        self._searched = search if problem is None else None
        if search is not None and problem is None:
            self._compare(searched, before, search, passes)
        self._sky_key = None  # the selected pass's path is computed again
        self.host.redraw()

    def _compare(
        self,
        old: PassSearch | None,
        before: tuple[Pass, ...] | None,
        new: PassSearch,
        after: tuple[Pass, ...],
    ) -> None:
        """A new orbit (the engine changed: new elements, a new trajectory) moved, added or
        took away visible passes: marked in the planner, and with alerts on one notice. The
        same orbit searched again (the clock moved on) keeps the marks it had."""
        if old is None or before is None:
            return
        if (old.observer, old.min_elevation_deg) != (new.observer, new.min_elevation_deg):
            self.changes = None  # another sky: nothing moved, the question changed
            return
        if old.engine is new.engine:
            return
        if new.now - old.now < PLAN_AFTER:
            # A list replaced this soon was nobody's plan yet: at start-up the bundled or
            # cached elements give passes, then the feed's answer replaces them.
            self.changes = None
            return
        # Both searches cover from the newer one's start to the older one's end.
        until = old.now + timedelta(days=PASS_PLANNER_DAYS)
        found = diff_passes(before, after, new.now, until)
        if not found:
            self.changes = None
            return
        state = self.host.store.state
        # A burn after the old orbit was made is one its passes could not know of.
        _, made = orbit_of(old.engine, old.now)
        source, _ = orbit_of(new.engine, new.now)
        reason = change_reason(found, planned_burns(state), made, source)
        self.changes = PassChanges(found, reason)
        notice = self.changes.notice(self.zone(new.now))
        alerts = self.host.settings.alerts
        if notice is not None and alerts.enabled and state.observer is not None:
            self.effects.announce(notice)

    def search_failed(self) -> None:
        """The search's worker raised (the dashboard logs and says it): tried again later."""
        self.search.failed(self.host.clock.now())
        self._searched = None  # its empty list is no orbit's passes

    # -- each tick ---------------------------------------------------------------------

    def tick(self, state: MissionState, now: datetime) -> None:
        """The planner where it shows, then the alerts and the kiosk's banner."""
        self.refresh(now)
        self._alerts(state, now)

    def jumped(self, now: datetime) -> None:
        """The replay's clock was moved: alerts skipped over are missed, never rung late; the
        passes are searched again."""
        for outcome in self.alerts.jumped(now, self.search.passes):
            self.effects.deliver(outcome)
        self.search.forget()
        # Passes searched after a jump are not a new orbit's: nothing to compare them with.
        self._searched = None
        self.changes = None

    def _planners(self) -> list[PassPlanner]:
        host = self.host
        planners = [s.planner for s in host.app.screen_stack if isinstance(s, PassPlannerScreen)]
        kiosk_planner = host.kiosk_widgets()[0]
        if kiosk_planner is not None and host.kiosk is not None and host.kiosk.view() == "passes":
            planners.append(kiosk_planner)
        return planners

    def refresh(self, now: datetime | None = None) -> None:
        """The planner's table and chart, where a planner is showing."""
        planners = self._planners()
        if not planners:
            return
        # Loaded with the first planner shown (its screen, or the kiosk's "passes" view), not
        # at start: nothing on the dashboard's first screen draws them.
        from issdash.model.passes.planner import planner_view

        host = self.host
        now = host.clock.now() if now is None else now
        state = host.store.state
        zone = self.zone(now)
        observer = self.zoned(state.observer)
        for screen in host.app.screen_stack:
            if isinstance(screen, PassPlannerScreen):
                screen.bar.view = host.bar_view(state, now)
        for planner in planners:
            if not planner.is_attached:
                continue  # its screen was closed since the list was taken
            screen = planner.screen
            on_screen = isinstance(screen, PassPlannerScreen)
            planner.zone = zone
            planner.view = planner_view(
                self.search.passes,
                observer,
                now,
                zone,
                min_elevation_deg=host.settings.min_elevation_deg,
                visible_only=screen.visible_only
                if isinstance(screen, PassPlannerScreen)
                else False,
                withheld=self.withheld,
                approximate=self.approximate,
                interactive=on_screen,
                changes=self.changes,
            )
            self._update_chart(planner, now)

    def _update_chart(self, planner: PassPlanner, now: datetime) -> None:
        from issdash.model.passes.sky_chart import position_at
        from issdash.widgets.passes.sky_chart import SkyChartView

        chosen = planner.selected
        state = self.host.store.state
        observer = state.observer
        choice = state.elements_at(now)
        if chosen is None or observer is None or choice is None:
            planner.chart = None
            return
        key = (choice.elements, observer, chosen.rise, chosen.set)
        engine = self.host.engine_for(choice.elements)
        if key != self._sky_key and engine is not None:
            self._sky_key = key
            self._sky_path = None
            self.host.app.run_worker(
                partial(self._sky_path_work, engine, key, observer, chosen),
                thread=True,
                exclusive=True,
                group="sky-path",
            )
        path = self._sky_path
        if path is None:
            planner.chart = SkyChartView(())
            return
        during = chosen.rise <= now <= chosen.set
        planner.chart = SkyChartView(path, position_at(path, now) if during else None)

    def _sky_path_work(
        self, engine: OrbitEngine, key: tuple[object, ...], observer: Observer, chosen: Pass
    ) -> None:
        """In a thread: the chart's path (tens of ms; more the first time skyfield loads)."""
        path = sky_path(engine, observer, chosen.rise, chosen.set, SKY_STEP_S)
        if not get_current_worker().is_cancelled:
            self.host.app.call_from_thread(self._set_sky_path, key, path)

    def _set_sky_path(self, key: tuple[object, ...], path: tuple[SkyPoint, ...]) -> None:
        if key == self._sky_key:
            self._sky_path = path
            self.refresh()

    # -- the planner's screen and the palette -----------------------------------------

    def open(self, visible_only: bool = False, chosen: Pass | None = None) -> None:
        """The planner's own screen (key p, the palette), on `chosen` when given."""
        app = self.host.app
        if any(isinstance(screen, PassPlannerScreen) for screen in app.screen_stack):
            return
        screen = PassPlannerScreen(visible_only, self.host.glyphs, on_change=self.refresh)
        screen.planner.selected = chosen
        app.push_screen(screen)

    def coming_visible(self) -> list[tuple[str, Pass]]:
        """The palette's per-pass commands: "Tue 08 Apr 19:25 AEST, 71°, -4.4"."""
        now = self.host.clock.now()
        zone = self.zone(now)
        found = []
        for p in self.search.passes or ():
            if p.visible and p.set > now:
                local = p.rise.astimezone(zone)
                magnitude = f", {p.magnitude:.1f}" if p.magnitude is not None else ""
                name = local.tzname() or ""
                label = f"{local:%a %d %b %H:%M} {name}, {p.max_elevation_deg:.0f}°{magnitude}"
                found.append((label, p))
        return found

    # -- alerts ------------------------------------------------------------------------

    def _alerts(self, state: MissionState, now: datetime) -> None:
        """Alerts that fell due since the last tick, delivered; the kiosk's banner."""
        host = self.host
        settings = host.settings.alerts
        active = settings.enabled and state.observer is not None and self.withheld is None
        passes = self.search.passes if active else None
        # One tick of mission time at the replay's speed may be minutes: an alert that fell
        # due within it is on time, not late.
        speed = max(1.0, host.clock.speed)
        max_late = timedelta(seconds=max(60.0, 3 * host.tick_s() * speed))
        for outcome in self.alerts.advance(now, passes, max_late):
            self.effects.deliver(outcome)
        banner = host.kiosk_widgets()[1]
        if banner is not None:
            lead = timedelta(minutes=settings.lead_min)
            banner.alert = banner_alert(passes, now, lead) if active else None
