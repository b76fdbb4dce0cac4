"""Time control for a replay: pause, speed steps, jumps, restart and the end of the recording.

Pure logic over the replay clock (no Textual), so it can be tested with a clock alone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from issdash.feeds.clock import Clock, ScaledClock
from issdash.feeds.recording import Recording

SPEEDS = (1.0, 10.0, 60.0, 300.0, 1000.0)
# A jump lands a little before the event, so the viewer sees it happen.
JUMP_LEAD = timedelta(seconds=20)


@dataclass(frozen=True, slots=True)
class Jump:
    """Where `n` takes the replay (None: nowhere) and what to tell the viewer, which is what
    really happens."""

    to: datetime | None
    message: str


class ReplayControl:
    def __init__(self, clock: Clock, recording: Recording | None, *, loop: bool = False) -> None:
        self.clock = clock if isinstance(clock, ScaledClock) else None
        self.recording = recording
        self.loop = loop
        self.ended = False
        self._speed = clock.speed if clock.speed > 0 else 1.0

    @property
    def active(self) -> bool:
        return self.clock is not None and self.recording is not None

    @property
    def paused(self) -> bool:
        return self.clock is not None and self.clock.speed == 0

    @property
    def speed(self) -> float:
        """The chosen speed (kept while paused)."""
        return self._speed

    def toggle_pause(self) -> None:
        if self.clock is None or self.ended:
            return
        self.clock.set_speed(self._speed if self.paused else 0.0)

    def step_speed(self, direction: int) -> float:
        """Next speed up or down the ladder 1, 10, 60, 300, 1000 x."""
        if self.clock is None:
            return self._speed
        higher = [s for s in SPEEDS if s > self._speed]
        lower = [s for s in SPEEDS if s < self._speed]
        if direction > 0 and higher:
            self._speed = higher[0]
        elif direction < 0 and lower:
            self._speed = lower[-1]
        if not self.paused:
            self.clock.set_speed(self._speed)
        return self._speed

    def tick_interval_s(self) -> float:
        """Redraw often enough that the station glides across the map at any speed, and no
        more: the countdown needs a second, the map moves a cell in ~16 s of mission time."""
        speed = 0.0 if self.clock is None else self.clock.speed
        if speed <= 60:
            return 1.0
        if speed <= 300:
            return 0.5
        return 0.25

    def plan_next(self, events: Iterable[tuple[datetime, str]]) -> Jump:
        """Just before the next of `events` (time, label) that the recording reaches. An event
        past the recording's end is not one it can show: with none left, the jump is to the
        end, and it says so (it used to name an event beyond the end, then land on END)."""
        if self.clock is None or self.recording is None:
            return Jump(None, "Not a replay: no events to jump to")
        now = self.clock.now()
        end = self.recording.end
        ahead = sorted(
            (when - JUMP_LEAD, label)
            for when, label in events
            if when - JUMP_LEAD > now + timedelta(seconds=1) and when <= end
        )
        if ahead:
            to, label = ahead[0]
            return Jump(to, f"Jumped to {label}")
        if self.ended or now >= end:
            return Jump(None, "No more events: this is the end of the recording")
        return Jump(end, "No more events: jumped to the end of the recording")

    def jump(self, to: datetime) -> None:
        if self.clock is not None:
            self.ended = False
            self.clock.set(to)

    def restart(self) -> None:
        if self.clock is None or self.recording is None:
            return
        self.ended = False
        self.clock.set(self.recording.start)
        self.clock.set_speed(self._speed)

    def check_end(self, now: datetime) -> Literal["loop", "ended"] | None:
        """At the end of the recording: loop, or stop the clock there and say so."""
        if self.clock is None or self.recording is None or self.ended:
            return None
        if now < self.recording.end:
            return None
        if self.loop and self.recording.end > self.recording.start:
            # (A recording of no length has nothing to loop through: looping it restarted
            # on every tick, as fast as the event loop could, so it ends instead.)
            return "loop"
        self.ended = True
        self.clock.set_speed(0.0)
        self.clock.set(self.recording.end)
        return "ended"
