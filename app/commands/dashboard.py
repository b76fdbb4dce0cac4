"""`issdash` without a command: the dashboard in the terminal (live, or `--demo` replaying a
recording). Textual is imported only here, when the dashboard runs."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TYPE_CHECKING

from issdash.commands.exits import EXIT_CRASH, EXIT_OK, say
from issdash.commands.inputs import element_history, recording
from issdash.feeds.clock import ScaledClock, SystemClock

if TYPE_CHECKING:
    from issdash.config.settings import Settings


def dashboard_command(args: argparse.Namespace, settings: Settings) -> int:
    from issdash.core.runtime import Runtime
    from issdash.model.kiosk import KioskController
    from issdash.tui.dashboard import IssDashApp

    _log_to_file(settings.log_file)
    _keyless_stdin_if_needed()
    if args.demo is not None:
        replayed = recording(args)
        clock = ScaledClock(args.start or replayed.start, args.speed)
        runtime = Runtime.for_demo(settings, replayed, clock)
    else:
        runtime = Runtime(settings, SystemClock(), mode="live")
    runtime.element_history = element_history(settings)
    kiosk = KioskController(settings.kiosk) if args.kiosk else None
    app = IssDashApp(runtime, loop=args.loop, kiosk=kiosk)
    app.run()
    # Textual catches an exception that ends the app, prints it and sets the return code: it
    # must reach our exit status, or a supervisor (systemd Restart=on-failure) sees success.
    code = app.return_code or 0
    if code != 0:
        error = getattr(app, "_exception", None)  # Textual keeps the exception that ended it
        logged = ""
        if isinstance(error, BaseException):
            logging.getLogger(__name__).error(
                "the dashboard stopped on an internal error", exc_info=error
            )
            logged = f"; full traceback in {settings.log_file}"
        say(f"issdash: the dashboard stopped on an internal error (exit status {code}){logged}")
    return EXIT_CRASH if code != 0 else EXIT_OK


def _keyless_stdin_if_needed() -> None:
    """Without a terminal on stdin, run display-only, calmly.

    Textual's input thread waits on stdin with select() and, at end of file, goes straight
    back to waiting: /dev/null is always "readable" and always at end of file, so it spun a
    whole core forever; a closed stdin (no fd 0) crashed it at start. In both cases stdin is
    replaced by the read end of a pipe nobody writes to: never readable, the thread sleeps in
    select(), and the dashboard runs without keys (SIGTERM or Ctrl+C ends it). Left alone
    when another Textual driver is chosen (textual-serve talks to the app over stdin).
    """
    if os.environ.get("TEXTUAL_DRIVER"):
        return
    stdin = sys.__stdin__
    try:
        if stdin is not None and os.isatty(stdin.fileno()):
            return
    except (OSError, ValueError):
        pass
    read_end, write_end = os.pipe()
    os.dup2(read_end, 0)
    os.close(read_end)
    # The write end stays open for the life of the process, so the pipe never reports EOF.
    global _KEPT_PIPE_END
    _KEPT_PIPE_END = write_end
    sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115 - for the process's life
    setattr(sys, "__stdin__", sys.stdin)  # Textual's driver reads sys.__stdin__  # noqa: B010
    logging.getLogger(__name__).warning(
        "stdin is not a terminal: running display-only (no keys; SIGTERM or Ctrl+C ends it)"
    )


_KEPT_PIPE_END: int | None = None


def _log_to_file(path: Path) -> None:
    """While the dashboard owns the terminal, warnings and errors go to a rotating file."""
    root = logging.getLogger()
    root.setLevel(logging.WARNING)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    except OSError as exc:
        print(f"issdash: cannot write the log file {path}: {exc}; not logging", file=sys.stderr)
        handler = logging.NullHandler()
    root.addHandler(handler)
