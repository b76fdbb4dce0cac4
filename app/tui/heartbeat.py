"""The kiosk's heartbeat: a file touched while the screen draws every panel.

A supervisor (systemd's watchdog, a cron job) watches the file's age. It is touched only when
every view was computed within HEARTBEAT_FRESH_S and no panel failed to build or draw in that
time: a screen that is blank or stuck stops it, though the process is still alive.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

from issdash.widgets import guard

log = logging.getLogger(__name__)

HEARTBEAT_FRESH_S = 90.0
HEARTBEAT_EVERY_S = 60.0


class ScreenHealth:
    """What the app reports about its frames, and the heartbeat that follows from it.

    `monotonic` is the one clock it reads (real time: how long the screen has been wrong is
    a fact about this machine, not about the mission's clock)."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.monotonic = monotonic
        self.mounted_at = monotonic()
        # The last tick whose views were all computed, and the last panel that failed.
        self.views_ok_at: float | None = None
        self.panel_failed_at: float | None = None

    def mounted(self) -> None:
        """Widget failures before this (an earlier app in the same process) do not count."""
        self.mounted_at = self.monotonic()

    def views_computed(self) -> None:
        self.views_ok_at = self.monotonic()

    def panel_failed(self) -> None:
        self.panel_failed_at = self.monotonic()

    def healthy(self) -> bool:
        """Every view computed recently and no panel failed to build or draw recently."""
        now = self.monotonic()
        if self.views_ok_at is None or now - self.views_ok_at > HEARTBEAT_FRESH_S:
            return False
        failed_at = self.panel_failed_at
        if failed_at is not None and now - failed_at <= HEARTBEAT_FRESH_S:
            return False  # a panel's view could not be built
        drawn = guard.last_failure_monotonic
        return drawn is None or drawn < self.mounted_at or now - drawn > HEARTBEAT_FRESH_S

    def beat(self, path: Path | None) -> bool:
        """Touch the heartbeat file if the screen is healthy; True when touched."""
        if path is None:
            return False
        if not self.healthy():
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
