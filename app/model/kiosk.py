"""Kiosk mode logic: the unlock sequence, the emphasis cycle, burn-in shifts and dimming.

Pure, and driven by times it is given (a monotonic clock by default), so tests can run a
week of kiosk behaviour in a moment.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from datetime import time as clock_time
from typing import Protocol


class KioskSettings(Protocol):
    """What the kiosk reads from its settings (`issdash.config.settings.KioskSettings` is one): the
    model is given values and never reads configuration itself."""

    @property
    def unlock(self) -> str: ...
    @property
    def cycle_s(self) -> float: ...
    @property
    def shift_s(self) -> float: ...
    def dim_range(self) -> tuple[clock_time, clock_time] | None: ...


# The views the kiosk emphasises in turn. The next event is never hidden by any of them.
VIEWS = ("map", "crew", "vehicles", "passes")
# Joins the cycle when the telemetry feed is on.
STATION_VIEW = "station"
# Burn-in care: the whole layout walks around a one-cell square.
SHIFTS = ((0, 0), (0, 1), (1, 1), (1, 0))  # (top, left)


class KioskController:
    def __init__(
        self, settings: KioskSettings, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings
        self._monotonic = monotonic
        self._started = monotonic()
        self._typed = ""
        self.views: tuple[str, ...] = VIEWS

    def elapsed_s(self) -> float:
        return self._monotonic() - self._started

    def view(self) -> str:
        """The view to emphasise now."""
        views = self.views
        return views[int(self.elapsed_s() // self.settings.cycle_s) % len(views)]

    def shift(self) -> tuple[int, int]:
        """(top, left) offset of the whole layout, in cells."""
        return SHIFTS[int(self.elapsed_s() // self.settings.shift_s) % len(SHIFTS)]

    def dimmed(self, local: datetime) -> bool:
        """Inside the dim schedule (which may run past midnight)?"""
        dim = self.settings.dim_range()  # validated when the settings were loaded
        if dim is None:
            return False
        start, end = dim
        now = local.time()
        return start <= now < end if start <= end else now >= start or now < end

    def key(self, character: str | None, key: str) -> bool:
        """Feed one key press; True when the unlock sequence has just been completed."""
        if key == "enter":
            typed, self._typed = self._typed, ""
            return typed == self.settings.unlock
        if character and character.isprintable() and len(character) == 1:
            # Keep only as much as could still match, so random presses never pile up.
            self._typed = (self._typed + character)[-len(self.settings.unlock) :]
        return False
