"""Passes over the observer, in one place: whether to offer them at all, the search, the
search's upkeep in a running app, and how `status --json` says them. Pure, no Textual.

The orbit engine (`app.model.orbit`) finds rise, culmination and set; this module decides
what of that is shown: only passes still to end, only at a physical state of the station,
and none when the elements are too old for a time to go outside to mean anything.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from app.model.orbit import ElementsUnusable, OrbitEngine, Pass
from feeds.clock import iso_z
from feeds.elements import ElementsChoice, describe_age, physical_problem
from feeds.models import Observer

__all__ = [
    "PASS_SEARCH_SPAN",
    "Pass",
    "pass_json",
    "passes_withheld",
    "upcoming_passes",
]

PASS_SEARCH_SPAN = timedelta(hours=24)


def passes_withheld(choice: ElementsChoice) -> str | None:
    """Why passes are not offered as times to go outside, or None when they are."""
    if choice.problem is not None:
        return "elements unusable"
    if choice.error.level == "uncertain":
        return f"elements too old ({describe_age(choice.age_h)})"
    return None


def upcoming_passes(
    engine: OrbitEngine, observer: Observer | None, now: datetime, min_elevation_deg: float
) -> list[Pass]:
    """Passes in the next 24 h; a pass already under way is included (its rise is past)."""
    if observer is None:
        return []
    # Start a little back so a pass in progress is found with its real rise time.
    start = now - timedelta(minutes=15)
    try:
        passes = engine.passes(observer, start, now + PASS_SEARCH_SPAN, min_elevation_deg)
    except (ValueError, ArithmeticError) as exc:
        # Elements that decay into nonsense within the search span.
        raise ElementsUnusable(f"the pass search failed: {type(exc).__name__}") from exc
    # Where the elements decay into nonsense within the span, the "passes" found there are
    # of an orbit nobody flies: only those at a physical state of the station are kept.
    return [
        p for p in passes if p.set > now and physical_problem(engine.elements, p.culminate) is None
    ]


def pass_json(p: Pass, approximate: bool) -> dict[str, Any]:
    """One pass as `status --json` gives it (a stable interface)."""
    return {
        "rise": iso_z(p.rise),
        "culminate": iso_z(p.culminate),
        "set": iso_z(p.set),
        "max_elevation_deg": round(p.max_elevation_deg, 1),
        "visible": p.visible,
        "approximate": approximate,
    }
