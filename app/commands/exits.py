"""How a command ends: its exit status (README "Exit statuses"), and the one line on stderr
that says what went wrong."""

from __future__ import annotations

import contextlib
import sys

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
