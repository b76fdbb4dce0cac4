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
