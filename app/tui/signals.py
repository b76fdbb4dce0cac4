"""The signals the dashboard answers: SIGTERM exits cleanly (a supervisor stopping us);
SIGUSR1 makes the next panel drawing fail, to show on a live screen that a widget failure
is survived (issdash.widgets.guard)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable

from issdash.widgets.guard import simulate_crash


def install_signal_handlers(exit_app: Callable[[], None]) -> None:
    """On the running loop; where signals cannot be handled (Windows, a thread that is not
    the main one) nothing is installed and the defaults stand."""
    loop = asyncio.get_running_loop()
    for sig, handler in ((signal.SIGTERM, exit_app), (signal.SIGUSR1, simulate_crash)):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, handler)
