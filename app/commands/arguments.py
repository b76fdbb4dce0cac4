"""The values the command-line flags take: each parser turns the typed text into a value, or
raises `argparse.ArgumentTypeError` with one line saying what the flag takes (argparse puts
"argument --FLAG: " before it; README "Exit statuses" quotes some of these lines).

The numbers (`--days`, `--speed`, `--timeout`, `--port`, `--min-elevation`, `--duration`,
`--max-size`) are all read by `number_flag`: a reader for the text, the bounds, and the
flag's own wording. The observer's coordinates and place names are read by
`issdash.config.place`, the one place that resolves them (the settings use it too).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from issdash.feeds.text import clean_text

if TYPE_CHECKING:  # imported when a flag is read: see `issdash.commands.cli` on imports
    from datetime import datetime

    from issdash.feeds.values import Observer

N = TypeVar("N", int, float)

MAX_SPEED = 10000.0
MAX_TIMEOUT_S = 600.0
MIN_SIZE_BYTES = 4096


def number_flag(
    read: Callable[[str], N],
    *,
    unreadable: Callable[[str], str],
    outside: Callable[[str, N], str] | None = None,
    above: float | None = None,
    at_least: float | None = None,
    at_most: float | None = None,
) -> Callable[[str], N]:
    """A flag's parser for a number: `read` gives the number (ValueError when the text is
    none), which must be greater than `above`, at least `at_least` and at most `at_most`
    (those given). The messages: `unreadable(text)` when it is no number, `outside(text,
    number)` when out of bounds (by default the same as unreadable: one line saying what
    the flag takes). NaN is outside any bound, as every comparison with it is false."""

    def parse(text: str) -> N:
        try:
            value = read(text)
        except ValueError:
            raise argparse.ArgumentTypeError(unreadable(text)) from None
        inside = (
            (above is None or value > above)
            and (at_least is None or value >= at_least)
            and (at_most is None or value <= at_most)
        )
        if not inside:
            message = outside(text, value) if outside is not None else unreadable(text)
            raise argparse.ArgumentTypeError(message)
        return value

    return parse


def _quoted(text: str) -> str:
    """The typed text as the messages quote it: cleaned (it goes to the terminal), short."""
    return repr(clean_text(text, 40))


def iso_time(text: str) -> datetime:
    from issdash.feeds.clock import parse_iso_utc

    try:
        return parse_iso_utc(text)
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(
            f"not an ISO 8601 time: {clean_text(text, 40)!r}"
        ) from None


def observer(text: str) -> Observer:
    """`--observer LAT,LON[,ALT_M]`."""
    from issdash.config.place import ObserverError, parse_observer

    try:
        return parse_observer(text)
    except ObserverError as exc:
        raise argparse.ArgumentTypeError(clean_text(exc, 120)) from None


def place(text: str) -> Observer:
    """`--place NAME`: a city name resolved offline (issdash.config.place); ambiguous names
    list candidates."""
    from issdash.config.place import PlaceError, resolve_place

    try:
        return resolve_place(text)
    except PlaceError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def days(text: str) -> int:
    """`passes --days`: its bounds are the pass command's (imported only when it runs)."""
    from issdash.commands.passes import MAX_DAYS, MIN_DAYS

    return number_flag(
        int,
        unreadable=lambda text: f"not a whole number of days: {text[:20]!r}",
        outside=lambda _, days: f"days must be {MIN_DAYS} to {MAX_DAYS}, got {days}",
        at_least=MIN_DAYS,
        at_most=MAX_DAYS,
    )(text)


def _speed_wording(text: str) -> str:
    from issdash.model.replay_control import SPEEDS

    ladder = ", ".join(f"{s:g}" for s in SPEEDS)
    return (
        f"{_quoted(text)}: the replay speed is times real time, a number greater"
        f" than 0 and at most {MAX_SPEED:g} (e.g. 1, 60, 600; the keys + and - step"
        f" through {ladder})"
    )


# Replay speed, times real time: any number in range (the keys + and - then step through
# the replay's ladder of speeds).
speed = number_flag(float, unreadable=_speed_wording, above=0, at_most=MAX_SPEED)

# `status --timeout`: a finite, positive number of seconds, at most ten minutes.
seconds = number_flag(
    float,
    unreadable=lambda text: (
        f"{_quoted(text)}: must be a number of seconds greater than 0 and at most {MAX_TIMEOUT_S:g}"
    ),
    above=0,
    at_most=MAX_TIMEOUT_S,
)

port = number_flag(
    int,
    unreadable=lambda text: f"{_quoted(text)}: must be a TCP port number from 1 to 65535",
    at_least=1,
    at_most=65535,
)

# `--min-elevation`: no bounds here, its range is the setting's, checked with the other
# settings (the message then names the flag).
elevation = number_flag(
    float, unreadable=lambda text: f"{_quoted(text)}: must be a number of degrees (e.g. 10)"
)

_DURATION = re.compile(
    r"\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s?)?\s*"
)


def _read_duration_s(text: str) -> float:
    """ "2h", "90m", "45s", "1h30m" or plain seconds."""
    match = _DURATION.fullmatch(text)
    if not match or not any(match.groups()):
        raise ValueError(text)
    hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


duration = number_flag(
    _read_duration_s,
    unreadable=lambda text: f"not a duration: {text!r} (try 2h, 30m, 90s)",
    outside=lambda _, __: "duration must be positive",
    above=0,
)

_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)[bB]?\s*")
_SIZE_FACTORS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9}


def _read_size_bytes(text: str) -> int:
    """ "500M", "2G", "100k" or plain bytes."""
    match = _SIZE.fullmatch(text)
    if not match:
        raise ValueError(text)
    return int(float(match[1]) * _SIZE_FACTORS[match[2].lower()])


size = number_flag(
    _read_size_bytes,
    unreadable=lambda text: f"not a size: {_quoted(text)} (try 500M, 2G)",
    outside=lambda _, __: "size must be at least 4k",
    at_least=MIN_SIZE_BYTES,
)
