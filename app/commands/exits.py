"""How a command ends: its exit status (README "Exit statuses"), and the one line on stderr
that says what went wrong."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import NoReturn

from issdash.feeds.text import clean_text

EXIT_OK, EXIT_CRASH, EXIT_USAGE, EXIT_DEGRADED = 0, 1, 2, 3


class LocalInputError(Exception):
    """A problem with what the user gave us (a file, a setting, a time): exit status 2, one
    line on stderr, no traceback."""


def say(line: str) -> None:
    """One line on stderr, cleaned: error messages quote files and feeds."""
    with contextlib.suppress(OSError, ValueError):
        print(clean_text(line, 400), file=sys.stderr, flush=True)


def print_clean(line: str) -> None:
    """One line of a command's output on stdout, cleaned, its columns kept."""
    print(clean_text(line, 400, keep_spacing=True))


# Set by a one-off command (`status`, `passes`) as it starts; see `declare_one_off`.
_one_off = False


def declare_one_off() -> None:
    """Said by a command that prints its answer and ends (`status`, `passes`): everything it
    writes is flushed or closed where it is written and no thread of its own outlives it, so
    once `main` returns the process may end without the interpreter's teardown (`end`)."""
    global _one_off
    _one_off = True


def end(code: int) -> NoReturn:
    """End the process with `code`. After a one-off command, without the interpreter's
    teardown: freeing every module and object that numpy, skyfield and pydantic built (and a
    last collection through them) took 30-150 ms of a `status` or `passes` that had already
    printed its answer. Standard output and error are flushed and the log's handlers closed
    first; a thread that is not a daemon still running means the normal way (it is waited
    for)."""
    import logging
    import threading

    if not _one_off or any(
        t.is_alive() and not t.daemon
        for t in threading.enumerate()
        if t is not threading.main_thread()
    ):
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        # A reader that went away (`| head -1`) took what it wanted: nothing more to say.
        with contextlib.suppress(OSError, ValueError, AttributeError):
            stream.flush()
    logging.shutdown()
    os._exit(code)
