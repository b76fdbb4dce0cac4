"""The local files several commands read besides the settings: the recording to replay
(`--demo`) and the history of element sets (`elements_history`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from issdash.commands.exits import say

if TYPE_CHECKING:  # imported lazily at run time: `status` must not pay for the dashboard
    from issdash.config.settings import Settings
    from issdash.feeds.elements import ElementsInfo
    from issdash.feeds.recording import Recording


class HistoryError(Exception):
    """The element history file cannot be used."""


def recording(args: argparse.Namespace) -> Recording:
    """The recording to replay; what was skipped in it is said on stderr."""
    from issdash.core.runtime import load_demo_recording

    loaded = load_demo_recording(Path(args.demo) if args.demo else None)
    for problem in loaded.problems[:20]:
        say(f"issdash: recording: {problem}")
    if len(loaded.problems) > 20:
        say(f"issdash: recording: ... and {len(loaded.problems) - 20} more problems")
    return loaded


def element_history(settings: Settings) -> tuple[ElementsInfo, ...]:
    """The sets of the history file, if one is set; a file that cannot be used is a usage
    error naming it (exit 2), not a traceback."""
    from issdash.core.runtime import load_element_history
    from issdash.feeds.localfiles import LocalFileError
    from issdash.feeds.sources import FeedError

    path = settings.elements_history
    if path is None:
        return ()
    try:
        # Through the local-file gate: a regular file (not /dev/zero, not a FIFO) under its cap.
        return load_element_history(path)
    except LocalFileError as exc:
        raise HistoryError(str(exc)) from None
    except FeedError as exc:
        raise HistoryError(f"elements history {path}: {exc.reason}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise HistoryError(f"elements history {path}: cannot read it ({exc})") from None
