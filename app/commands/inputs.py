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


# Recordings loaded ahead, by `--demo` value: the warm parent of `issdash serve`'s sessions
# (issdash.commands.zygote) loads the one they replay before forking them, so each replays
# that one (its index in pages shared with the parent, its lines read by offset) instead of
# reading and indexing the file again (~0.35 s of CPU, ~7.6 MB allocated, for the bundled day).
_kept: dict[str, Recording] = {}


def keep_recording(args: argparse.Namespace) -> None:
    """Load the recording `args` replay now, for `recording(args)` to return later."""
    _kept[args.demo] = _load(args)


def recording(args: argparse.Namespace) -> Recording:
    """The recording to replay; what was skipped in it is said on stderr."""
    kept = _kept.pop(args.demo, None)
    loaded = kept if kept is not None else _load(args)
    for problem in loaded.problems[:20]:
        say(f"issdash: recording: {problem}")
    if len(loaded.problems) > 20:
        say(f"issdash: recording: ... and {len(loaded.problems) - 20} more problems")
    return loaded


def _load(args: argparse.Namespace) -> Recording:
    from issdash.core.runtime import load_demo_recording

    return load_demo_recording(Path(args.demo) if args.demo else None)


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
