"""Time control for a replay: pause, speed steps, jumps, restart and the end of the recording.

Pure logic over the replay clock (no Textual), so it can be tested with a clock alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from feeds.clock import Clock, ScaledClock
from feeds.recording import Recording

SPEEDS = (1.0, 10.0, 60.0, 300.0, 1000.0)
# A jump lands a little before the event, so the viewer sees it happen.
JUMP_LEAD = timedelta(seconds=20)


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

    def jump_target(self, event_times: list[datetime]) -> datetime | None:
        """Just before the first event the viewer has not yet been brought to (an event
        already within the lead counts as reached, so pressing again moves on)."""
        if self.clock is None:
            return None
        now = self.clock.now() + timedelta(seconds=1)
        targets = sorted(t - JUMP_LEAD for t in event_times if t - JUMP_LEAD > now)
        return targets[0] if targets else None

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
        if self.loop:
            return "loop"
        self.ended = True
        self.clock.set_speed(0.0)
        self.clock.set(self.recording.end)
        return "ended"
