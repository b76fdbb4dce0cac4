"""The Textual driver of a dashboard served to a browser: one that ends when its session does.

textual-serve runs each session's dashboard with Textual's `WebDriver`, talking to the serve
process over stdin/stdout pipes. That driver's input thread returns quietly when stdin reaches
end of file (the serve process closed it or went away), and the app runs on with nobody to
draw for; its writes then fill a pipe that nobody drains, or fail against a closed one, and
the process lingers (blocked, or spinning on the failed writes) until killed. Here, both mean
"the session is over": the app is asked to exit, and if it has not within `GRACE_S` (its event
loop stuck in a write), the process ends itself.

Selected by `TEXTUAL_DRIVER=issdash.tui.session_driver:SessionDriver`, which `issdash serve` sets.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from typing import Any

from textual.drivers.web_driver import WebDriver

log = logging.getLogger(__name__)

DRIVER_PATH = "issdash.tui.session_driver:SessionDriver"


class SessionDriver(WebDriver):
    # Seconds between "the session is over" and the process ending by itself regardless.
    GRACE_S = 4.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ending = threading.Event()
        self._app_loop: asyncio.AbstractEventLoop | None = None

    def start_application_mode(self) -> None:
        self._app_loop = asyncio.get_running_loop()
        super().start_application_mode()

    def stop_application_mode(self) -> None:
        # The app is leaving (quit from the browser, SIGTERM): whatever blocks it on the way
        # out (a last write to a full pipe), it is gone within the grace.
        self._deadline("exiting")
        # An OSError: the pipe to the server is already gone, nothing left to tell it.
        with contextlib.suppress(OSError):
            super().stop_application_mode()

    def write(self, data: str) -> None:
        if self._ending.is_set():
            return
        try:
            super().write(data)
        except OSError as exc:
            self.session_over(f"output closed ({exc.__class__.__name__})")

    def write_meta(self, data: dict[str, object]) -> None:
        try:
            super().write_meta(data)
        except OSError as exc:
            self.session_over(f"output closed ({exc.__class__.__name__})")

    def run_input_thread(self) -> None:
        super().run_input_thread()
        # Returns at end of input: the serve process closed our stdin or died.
        if not self.exit_event.is_set():
            self.session_over("input closed")

    def session_over(self, why: str) -> None:
        """Ask the app to exit (from any thread), and make sure the process ends."""
        if self._ending.is_set():
            return
        log.info("browser session over: %s", why)
        self._ending.set()
        self._deadline(why)
        loop = self._app_loop
        if loop is not None and not loop.is_closed():
            # A RuntimeError: the loop closed meanwhile; the deadline ends the process.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._app.exit)

    _deadline_started = False

    def _deadline(self, why: str) -> None:
        if self._deadline_started:
            return
        self._deadline_started = True
        threading.Thread(
            target=_exit_after, args=(self.GRACE_S, why), name="session-deadline", daemon=True
        ).start()


def _exit_after(grace_s: float, why: str) -> None:
    time.sleep(grace_s)
    # Still here: the event loop is stuck (a write to a pipe nobody reads). Nothing of value
    # is lost by ending now: a served session keeps no state of its own.
    log.warning("browser session did not end within %.0f s after %s; exiting", grace_s, why)
    os._exit(0)
