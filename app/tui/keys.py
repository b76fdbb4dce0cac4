"""The dashboard's keys: its bindings, the palette's commands, which apply when, and the
actions behind them. The kiosk's lock is here too: on a wall screen every key is swallowed but
the unlock sequence.

`DashboardKeys` is the App the dashboard (issdash.tui.dashboard.IssDashApp) builds on; the
actions change what the tick draws and ask for a tick (`_tick`), or move the replay's clock
(`_replay_from_here`), both the dashboard's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from functools import partial
from typing import Any, ClassVar

from textual import events
from textual.app import SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from issdash.core.runtime import Runtime
from issdash.feeds.clock import Clock
from issdash.model.kiosk import KioskController
from issdash.model.map.scene import MapToggles
from issdash.model.replay_control import ReplayControl
from issdash.model.visits.timeline import build_timelines
from issdash.tui.help_screen import HelpScreen
from issdash.tui.passes.screen import PassPlannerScreen
from issdash.tui.worker_policy import WorkersNeverEndTheApp


class DashboardKeys(WorkersNeverEndTheApp[None]):
    """Keys and commands; the state they act on is the dashboard's."""

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
        # Live: every feed that is down asks again now (issue 24). Not in the footer: it is
        # for the moment the network is back, and the help and the palette list it.
        Binding("R", "retry_feeds", "Retry feeds", show=False),
        # Replay only (hidden in live mode by check_action).
        Binding("space", "pause", "Pause"),
        Binding("plus,equals_sign", "speed(1)", "Speed", key_display="+/-"),
        Binding("minus", "speed(-1)", "Slower", show=False),
        Binding("n", "next_event", "Next"),
        Binding("r", "restart", "Restart"),
    ]

    # What the keys act on, set by the dashboard (IssDashApp.__init__).
    runtime: Runtime
    clock: Clock
    replay: ReplayControl
    kiosk: KioskController | None
    toggles: MapToggles

    # The dashboard's: draw the views now; restart the tick timer at the replay's speed;
    # rebuild the state after the replay's clock jumped.
    def _tick(self) -> None:
        raise NotImplementedError

    def _schedule_ticks(self) -> None:
        raise NotImplementedError

    async def _replay_from_here(self) -> None:
        raise NotImplementedError

    def on_key(self, event: events.Key) -> None:
        """In kiosk mode every key is swallowed; only the unlock sequence then Enter leaves."""
        if self.kiosk is None:
            return
        event.stop()
        event.prevent_default()
        if self.kiosk.key(event.character, event.key):
            self.exit()

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
        if self.runtime.recording is None:
            # Live only: a replay's feeds answer as the recording did.
            yield SystemCommand(
                "Feeds: retry now",
                "Every feed that is down asks its source again now (R)",
                self.action_retry_feeds,
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

    def action_retry_feeds(self) -> None:
        self.notify(retry_message(self.runtime, self.replay.active), timeout=4, markup=False)

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


def retry_message(runtime: Runtime, replaying: bool) -> str:
    """What "Retry feeds now" did on `runtime`, in words for a toast."""
    if replaying or runtime.recording is not None:
        return "Replay: the feeds come from the recording; there is nothing to retry."
    if not runtime.pollers:
        return "No feed is polled by this dashboard: another one polls and shares the answers."
    result = runtime.retry_feeds_now()
    if not result.now and not result.held:
        return "No feed is down: nothing to retry."
    parts = []
    if result.now:
        parts.append(f"Retrying now: {', '.join(result.now)}")
    if result.held:
        parts.append(f"after the wait their source asks for: {', '.join(result.held)}")
    return "; ".join(parts) + "."
