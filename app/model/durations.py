"""How durations and ages are said, in the model's reasons ("too old · 3h 04m") and on the
panels alike: one wording, so a reason and the panel beside it never disagree."""

from __future__ import annotations

import math


def duration(seconds: float | None) -> str:
    """A compact duration: 45s, 12m 05s, 3h 04m, 5d 03h."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    s = round(abs(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m {s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h {(s % 3600) // 60:02d}m"
    return f"{s // 86400}d {(s % 86400) // 3600:02d}h"


def age(seconds: float | None) -> str:
    """How old something is: "12s", "14m", "3h 04m"; "–" when unknown. Past a minute the
    seconds are dropped: they add nothing to an age and would redraw panels every second."""
    if seconds is not None and math.isfinite(seconds) and 60 <= abs(seconds) < 3600:
        return f"{round(abs(seconds)) // 60}m"
    return duration(seconds)


DAY_S = 86400


def countdown(seconds: float | None) -> str:
    """A countdown (or a time since) to the second: "00:03:09"; from a day on, with the days
    in front, "11d 10:29:56" (never "274:29:56"); time past an instant (negative) with a
    minus, "-00:00:05". Seconds are cut, not rounded: with 3.9 s to go a countdown says 3.

    The one format for every clock-style countdown (the big digits and the text alike).
    """
    if seconds is None or not math.isfinite(seconds):
        return "--:--:--"
    whole = int(seconds)  # toward zero, the same on both sides of the instant
    sign = "-" if whole < 0 else ""
    days, rest = divmod(abs(whole), DAY_S)
    clock = f"{rest // 3600:02d}:{(rest % 3600) // 60:02d}:{rest % 60:02d}"
    return f"{sign}{days}d {clock}" if days else f"{sign}{clock}"
