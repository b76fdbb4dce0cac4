"""Keeping one widget's failure from taking the whole dashboard down.

A kiosk runs for weeks; a bug in one panel's drawing must cost that panel one frame, not the
screen. Guarded methods log the exception (to the rotating log file) and return a fallback.
`simulate_crash()` (wired to SIGUSR1) makes the next guarded call raise, to prove it.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from rich.text import Text

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

_crash_pending = False
failures = 0
# When a panel last failed to draw (monotonic seconds): the kiosk heartbeat stops while
# panels keep failing, so a supervisor sees a blank screen as a fault.
last_failure_monotonic: float | None = None


def simulate_crash() -> None:
    """The next guarded widget method raises (for testing the guard on a live screen)."""
    global _crash_pending
    _crash_pending = True


def guarded(fallback: Callable[..., Any]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Catch and log exceptions from a widget method; return `fallback(self, *args)` instead
    (which must give something the caller accepts in place of the method's result)."""

    def decorate(method: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(method)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            global _crash_pending, failures, last_failure_monotonic
            try:
                if _crash_pending:
                    _crash_pending = False
                    raise RuntimeError("simulated widget crash (SIGUSR1)")
                return method(*args, **kwargs)
            except Exception:
                failures += 1
                last_failure_monotonic = time.monotonic()
                owner: Any = args[0] if args else None
                log.exception(
                    "%s.%s failed; drawing a placeholder", type(owner).__name__, method.__name__
                )
                result: R = fallback(*args, **kwargs)
                return result

        return wrapper

    return decorate


def render_failed(*_: object) -> Text:
    """What a panel shows for the frame it failed to draw."""
    return Text("⚠ this panel failed to draw (logged); retrying", style="bold red")
