"""What a pass alert does (the shell around `issdash.model.passes.alerts`, which only decides):
the terminal bell, a desktop notification by terminal escape, a toast, and the optional
command hook.

Desktop notifications are OSC 9 (iTerm2, WezTerm, Windows Terminal, kitty, foot, ...) and
OSC 777 (urxvt, Ghostty, foot, ...); terminals that know neither ignore them. They are written
through the app's own driver, as Textual writes its own escapes (the bell, the clipboard), so
they never interleave with a frame being drawn; never in a browser session (`serve`), where
the page would receive them as garbage, and never headless. Textual keeps its driver private:
the app reaches it through the public `App.get_driver_class`, returning
`announcing(super().get_driver_class())`, a subclass that says which app it writes for.

The hook runs in a session (and process group) of its own; when it exits, or at its time
limit, that whole group is killed, so nothing it started lives on as an orphan holding our
pipe (a program that must outlive it detaches itself, with `setsid`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import subprocess
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from textual.app import App
from textual.driver import Driver

from issdash.feeds.text import clean_text
from issdash.model.passes.alerts import AlertOutcome

log = logging.getLogger(__name__)

TITLE = "ISS pass"
# How much of a failing command's error output is kept for the notice.
_STDERR_MAX_BYTES = 2000
# How often a running hook is checked for its exit, and how long its stderr is then read for
# (after its group is stopped only something outside the group can hold the pipe open).
_EXIT_POLL_S = 0.05
_STDERR_GRACE_S = 1.0


def _plain(text: str, limit: int = 200) -> str:
    """One line with no control characters at all (an escape sequence's payload must not
    end it early or start another), and no ';' (OSC 777's field separator)."""
    printable = "".join(c for c in text if c.isprintable())
    return clean_text(printable, limit).replace(";", ",")


def osc_notifications(message: str, title: str = TITLE) -> str:
    """The two desktop-notification escapes for `message` (BEL-terminated, the form every
    terminal that supports them accepts)."""
    body = _plain(message)
    return f"\x1b]9;{_plain(title, 40)}: {body}\x07\x1b]777;notify;{_plain(title, 40)};{body}\x07"


@dataclass(frozen=True, slots=True)
class AlertEffectSettings:
    """What to do on an alert (`issdash.config.settings.AlertsSettings` satisfies it)."""

    bell: bool = True
    desktop: bool = True
    command: Sequence[str] | None = None
    command_timeout_s: float = 10.0
    # The alert as a toast in the corner. Not in the kiosk: its banner says the same from the
    # top row, and a toast there sat on the crew and next event panels for 15 s.
    toast: bool = True


async def run_hook(argv: Sequence[str], message: str, timeout_s: float) -> str | None:
    """Run the hook with the message as its last argument, no shell, stdin and stdout closed
    to it (it must never write on our screen), stopped after `timeout_s`. Returns a notice
    when it fails, None when it ran and exited 0."""
    name = clean_text(argv[0], 60) if argv else "?"
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            message,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # a Ctrl+C meant for us is not sent to it
        )
    except (OSError, ValueError) as exc:
        return f"alert command {name!r} could not start: {clean_text(exc, 120)}"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    assert process.stderr is not None
    reader = asyncio.ensure_future(_read_some(process.stderr))
    stopped = False
    try:
        code = await _exit_code(process, deadline)
        # Its group is stopped now, whether it ended or ran out of time: what it started
        # there (and kept our pipe) would otherwise live on as orphans, and its stderr
        # would not close. Something that left the group (setsid) is not waited for.
        _stop_group(process.pid)
        stopped = True
        try:
            stderr = await asyncio.wait_for(reader, _STDERR_GRACE_S)
        except TimeoutError:
            stderr = b""
    finally:
        if not stopped:  # the app quits during the hook (cancelled)
            _stop_group(process.pid)
        reader.cancel()
    if code is None:
        return f"alert command {name!r} took over {timeout_s:g} s and was stopped"
    if code != 0:
        lines = stderr.decode("utf-8", "replace").strip().splitlines()
        said = clean_text(lines[0], 120) if lines else ""
        detail = f": {said}" if said else ""
        return f"alert command {name!r} failed (exit {code}){detail}"
    return None


async def _exit_code(process: asyncio.subprocess.Process, deadline: float) -> int | None:
    """The hook's exit status, or None if it is still running at `deadline`. Polled: asyncio's
    `Process.wait()` returns only once every pipe has closed too, which a child the hook left
    running (with its stderr) may put off for as long as it lives."""
    loop = asyncio.get_running_loop()
    while process.returncode is None:
        left = deadline - loop.time()
        if left <= 0:
            return None
        await asyncio.sleep(min(_EXIT_POLL_S, left))
    return process.returncode


def _stop_group(pgid: int) -> None:
    """SIGKILL to the hook's process group (its own session: started with start_new_session,
    so the group is the hook and what it started, never us)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


async def _read_some(stream: asyncio.StreamReader) -> bytes:
    """Up to `_STDERR_MAX_BYTES` of the stream, draining (and dropping) the rest, so a noisy
    command neither blocks on a full pipe nor fills our memory."""
    kept = await stream.read(_STDERR_MAX_BYTES)
    while await stream.read(65536):
        pass
    return kept


# Each app's driver, once Textual has made it (weak both ways: an app that is gone, or a
# driver that is, leaves nothing behind).
_DRIVERS: weakref.WeakKeyDictionary[App[Any], weakref.ref[Driver]] = weakref.WeakKeyDictionary()


@cache
def announcing(driver_class: type[Driver]) -> type[Driver]:
    """`driver_class`, made to record which app it is the driver of (see
    `terminal_driver`); nothing else about it changes. One subclass per driver class."""

    def __init__(self: Driver, app: App[Any], *args: Any, **kwargs: Any) -> None:
        driver_class.__init__(self, app, *args, **kwargs)
        _DRIVERS[app] = weakref.ref(self)

    return type(driver_class.__name__, (driver_class,), {"__init__": __init__})


def terminal_driver(app: App[Any]) -> Driver | None:
    """The driver `app` draws through, if it was made by an `announcing` class."""
    found = _DRIVERS.get(app)
    return found() if found is not None else None


class AlertEffects:
    """Delivers alert outcomes in a running app."""

    def __init__(
        self,
        app: App[Any],
        settings: AlertEffectSettings,
        notice: Callable[[str], None],
    ) -> None:
        self.app = app
        self.settings = settings
        self.notice = notice  # a line for the feed strip's notices (failures of the hook)

    def deliver(self, outcome: AlertOutcome) -> None:
        alert = outcome.alert
        if outcome.status == "missed":
            # Skipped over by a jump of the clock: said, never rung late.
            when = f"{alert.due:%H:%M}Z"
            log.info("pass alert missed (clock jumped past %s): %s", when, alert.message)
            self.app.notify(
                f"Missed ({when}, the clock jumped past it): {alert.message}",
                title=TITLE,
                severity="warning",
                timeout=6,
                markup=False,
            )
            return
        log.info("pass alert: %s", alert.message)
        if self.settings.bell:
            self.app.bell()  # Textual's own: nothing when headless
        if self.settings.desktop and self.can_write_escapes():
            self._write(osc_notifications(alert.message))
        if self.settings.toast:
            self.app.notify(alert.message, title=TITLE, timeout=15, markup=False)
        if self.settings.command:
            self.app.run_worker(
                self._hook(list(self.settings.command), alert.message),
                group="alert-hook",
                exit_on_error=False,
            )

    def announce(self, message: str) -> None:
        """A notice that is not a pass alert (passes a new orbit moved): a toast, or in the
        kiosk (no toasts) a line of the feed strip; and the desktop notification. No bell
        and no hook: they are the alerts' own, and a hook's script expects a pass."""
        log.info("pass notice: %s", message)
        if self.settings.desktop and self.can_write_escapes():
            self._write(osc_notifications(message))
        if self.settings.toast:
            self.app.notify(message, title=TITLE, timeout=15, markup=False)
        else:
            self.notice(message)

    def can_write_escapes(self) -> bool:
        """A real terminal: not a browser session, not headless (tests, screenshots)."""
        app = self.app
        return not app.is_web and not app.is_headless and terminal_driver(app) is not None

    def _write(self, data: str) -> None:
        driver = terminal_driver(self.app)  # Textual's bell and clipboard write through it too
        if driver is not None:
            driver.write(data)

    async def _hook(self, argv: list[str], message: str) -> None:
        problem = await run_hook(argv, message, self.settings.command_timeout_s)
        if problem is not None:
            log.warning("%s", problem)
            self.notice(problem)
            # Plain text: it quotes the command's own stderr ("[/]" there was a MarkupError)
            self.app.notify(problem, severity="warning", timeout=6, markup=False)
