"""The signals the dashboard answers: SIGTERM exits cleanly (a supervisor stopping us);
SIGUSR1 makes the next panel drawing fail, to show on a live screen that a widget failure
is survived (issdash.widgets.guard). And a terminal that went away (its window closed, `tmux
kill-server`) ends the dashboard as SIGTERM does.

Both must work while the event loop is stuck. A terminal that is gone made Textual's writer
thread fail, its queue filled, and the loop blocked for good in the next write (while the
input thread spun on the dead terminal at most of a core); a SIGTERM handled on the loop
(`loop.add_signal_handler`) then never ran. So SIGTERM has a plain signal handler, the
terminal is watched from a thread of its own, and either one asks the app to exit and, should
it still be running `GRACE_S` later, ends the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import select
import signal
import threading
import time
from collections.abc import Callable
from typing import Any

from issdash.widgets.guard import simulate_crash

log = logging.getLogger(__name__)

# Seconds between asking the app to exit and ending the process regardless.
GRACE_S = 10.0
_GONE = select.POLLHUP | select.POLLERR | select.POLLNVAL


class Ending:
    """Ends the app from a signal handler or another thread: asks it to exit on its loop, and
    ends the process `grace_s` later if it has not ended by then (its loop stuck)."""

    def __init__(
        self,
        exit_app: Callable[[], None],
        loop: asyncio.AbstractEventLoop,
        grace_s: float = GRACE_S,
        end_process: Callable[[int], object] = os._exit,
    ) -> None:
        self._exit_app = exit_app
        self._loop = loop
        self._grace_s = grace_s
        self._end_process = end_process
        self._lock = threading.Lock()
        self.why: str | None = None

    def __call__(self, why: str) -> None:
        with self._lock:
            if self.why is not None:
                return
            self.why = why
        threading.Thread(target=self._deadline, name="exit-deadline", daemon=True).start()
        # A RuntimeError: the loop closed meanwhile (the app is ending anyway).
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._exit_app)

    def _deadline(self) -> None:
        time.sleep(self._grace_s)
        log.warning("still running %.0f s after %s: exiting", self._grace_s, self.why)
        self._end_process(0)


def install_signal_handlers(
    exit_app: Callable[[], None],
    terminal_fd: int | None = None,
    *,
    grace_s: float = GRACE_S,
    end_process: Callable[[int], object] = os._exit,
) -> Callable[[], None]:
    """SIGTERM and SIGUSR1 handled, and the terminal on `terminal_fd` (None: not a terminal)
    watched; returns what puts the previous SIGTERM handler back. Where signals cannot be
    handled (Windows, a thread that is not the main one) the defaults stand."""
    loop = asyncio.get_running_loop()
    ending = Ending(exit_app, loop, grace_s, end_process)
    previous: Any = None  # what signal.signal returned: a handler, SIG_DFL or SIG_IGN
    with contextlib.suppress(ValueError):
        previous = signal.signal(signal.SIGTERM, lambda _sig, _frame: ending("SIGTERM"))
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGUSR1, simulate_crash)
    if terminal_fd is not None:
        watch_terminal(terminal_fd, lambda: ending("the terminal went away"))

    def restore() -> None:
        if previous is not None:
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(signal.SIGTERM, previous)

    return restore


def watch_terminal(fd: int, gone: Callable[[], None]) -> threading.Thread:
    """Calls `gone` (from a thread of its own) once the terminal on `fd` hangs up. The thread
    waits in one poll without a timeout, so watching costs nothing until then."""

    def watch() -> None:
        poller = select.poll()
        poller.register(fd, 0)  # no events asked: a hang-up or an error is always reported
        while True:
            try:
                events = poller.poll()
            except InterruptedError:
                continue
            if any(mask & _GONE for _, mask in events):
                gone()
                return

    thread = threading.Thread(target=watch, name="terminal-watch", daemon=True)
    thread.start()
    return thread
