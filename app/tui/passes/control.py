"""The dashboard's side of the pass planner (issue 17), kept out of `dashboard.py`: the
planner's views (its own screen and the kiosk's), the selected pass's sky path (computed in a
thread), the zone pass times are said in, and the alerts (scheduled by
`issdash.model.passes.alerts`, delivered by `issdash.tui.passes.alert_effects`).

The passes themselves come from the dashboard's one pass search (`IssDashApp._ensure_passes`,
ten days, off the event loop, redone when the elements or the observer change).
"""

from __future__ import annotations

import contextlib
import logging
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from textual.worker import get_current_worker

from issdash.feeds.values import Observer
from issdash.model.orbit import OrbitEngine, Pass, SkyPoint
from issdash.model.passes.alerts import AlertScheduler, banner_alert
from issdash.model.passes.planner import planner_view
from issdash.model.passes.sky_chart import position_at
from issdash.tui.passes.alert_effects import AlertEffects, AlertEffectSettings
from issdash.tui.passes.screen import PassesScreen
from issdash.widgets.passes.planner import PassesView
from issdash.widgets.passes.sky_chart import SkyChartView

if TYPE_CHECKING:
    from issdash.model.state import MissionState
    from issdash.tui.dashboard import IssDashApp

log = logging.getLogger(__name__)

# The chart's path: a sample every 10 s (whole minutes among them, for the ticks).
SKY_STEP_S = 10.0


class PassesControl:
    """One per dashboard."""

    def __init__(self, app: IssDashApp) -> None:
        self.app = app
        alerts = app.runtime.settings.alerts
        self.alerts = AlertScheduler(timedelta(minutes=alerts.lead_min))
        self.effects = AlertEffects(
            app,
            AlertEffectSettings(
                alerts.bell,
                alerts.desktop,
                alerts.command,
                alerts.command_timeout_s,
                toast=app.kiosk is None,
            ),
            lambda notice: app.runtime.store.update(lambda s: s.with_notice(notice)),
        )
        # Why passes are withheld now, and whether they are approximate (the planner says so).
        self.withheld: str | None = None
        self.approximate = False
        self._sky_key: tuple[object, ...] | None = None
        self._sky_path: tuple[SkyPoint, ...] | None = None
        self._zoned_observer: tuple[Observer, Observer] | None = None

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
                settings = self.app.runtime.settings
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
        observer = self.zoned(self.app.runtime.store.state.observer)
        if observer is not None and observer.timezone:
            with contextlib.suppress(ZoneInfoNotFoundError, ValueError, OSError):
                return ZoneInfo(observer.timezone)
        zone = self.app.runtime.settings.tzinfo()
        return zone if zone is not None else now.astimezone().tzinfo or UTC

    # -- each tick ---------------------------------------------------------------------

    def tick(self, state: MissionState, now: datetime) -> None:
        """The planner where it shows, then the alerts and the kiosk's banner."""
        self.refresh(now)
        self._alerts(state, now)

    def passes_changed(self) -> None:
        """A new search's passes: the selected pass's path is computed again."""
        self._sky_key = None

    def jumped(self, now: datetime, passes: tuple[Pass, ...] | None) -> None:
        """The replay's clock was moved: alerts skipped over are missed, never rung late."""
        for outcome in self.alerts.jumped(now, passes):
            self.effects.deliver(outcome)

    def _planners(self) -> list[PassesView]:
        app = self.app
        planners = [s.planner for s in app.screen_stack if isinstance(s, PassesScreen)]
        kiosk = app.kiosk
        if app.kiosk_planner is not None and kiosk is not None and kiosk.view() == "passes":
            planners.append(app.kiosk_planner)
        return planners

    def refresh(self, now: datetime | None = None) -> None:
        """The planner's table and chart, where a planner is showing."""
        planners = self._planners()
        if not planners:
            return
        app = self.app
        now = app.clock.now() if now is None else now
        state = app.runtime.store.state
        zone = self.zone(now)
        observer = self.zoned(state.observer)
        for screen in app.screen_stack:
            if isinstance(screen, PassesScreen):
                screen.bar.view = app.bar_view(state, now)
        for planner in planners:
            if not planner.is_attached:
                continue  # its screen was closed since the list was taken
            screen = planner.screen
            on_screen = isinstance(screen, PassesScreen)
            planner.zone = zone
            planner.view = planner_view(
                app.passes,
                observer,
                now,
                zone,
                min_elevation_deg=app.runtime.settings.min_elevation_deg,
                visible_only=screen.visible_only if isinstance(screen, PassesScreen) else False,
                withheld=self.withheld,
                approximate=self.approximate,
                interactive=on_screen,
            )
            self._update_chart(planner, now)

    def _update_chart(self, planner: PassesView, now: datetime) -> None:
        chosen = planner.selected
        state = self.app.runtime.store.state
        observer = state.observer
        choice = state.elements_at(now)
        if chosen is None or observer is None or choice is None:
            planner.chart = None
            return
        key = (choice.elements, observer, chosen.rise, chosen.set)
        engine = self.app.engine_for(choice.elements)
        if key != self._sky_key and engine is not None:
            self._sky_key = key
            self._sky_path = None
            self.app.run_worker(
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
        path = engine.sky_path(observer, chosen.rise, chosen.set, SKY_STEP_S)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._set_sky_path, key, path)

    def _set_sky_path(self, key: tuple[object, ...], path: tuple[SkyPoint, ...]) -> None:
        if key == self._sky_key:
            self._sky_path = path
            self.refresh()

    # -- the planner's screen and the palette -----------------------------------------

    def open(self, visible_only: bool = False, chosen: Pass | None = None) -> None:
        """The planner's own screen (key p, the palette), on `chosen` when given."""
        app = self.app
        if any(isinstance(screen, PassesScreen) for screen in app.screen_stack):
            return
        screen = PassesScreen(visible_only, app.map_glyphs)
        screen.planner.selected = chosen
        app.push_screen(screen)

    def coming_visible(self) -> list[tuple[str, Pass]]:
        """The palette's per-pass commands: "Tue 08 Apr 19:25 AEST, 71°, -4.4"."""
        now = self.app.clock.now()
        zone = self.zone(now)
        found = []
        for p in self.app.passes or ():
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
        app = self.app
        settings = app.runtime.settings.alerts
        active = settings.enabled and state.observer is not None and self.withheld is None
        passes = app.passes if active else None
        # One tick of mission time at the replay's speed may be minutes: an alert that fell
        # due within it is on time, not late.
        speed = max(1.0, app.clock.speed)
        tick_s = app.fixed_tick_s or app.replay.tick_interval_s()
        max_late = timedelta(seconds=max(60.0, 3 * tick_s * speed))
        for outcome in self.alerts.advance(now, passes, max_late):
            self.effects.deliver(outcome)
        if app.pass_banner is not None:
            lead = timedelta(minutes=settings.lead_min)
            app.pass_banner.alert = banner_alert(passes, now, lead) if active else None
