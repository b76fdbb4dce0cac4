"""The upcoming passes over the observer: whether to offer them at all, the searches (24 h
for the telemetry line, ten days for the planner), how they are worded, and how `status
--json` and `passes --json` say them. Pure, no Textual.

The pass finder (`issdash.model.passes.finder`) finds rise, culmination and set and
describes each pass (azimuths, shadow, the visible part, the magnitude); this module decides
what of that is shown: only passes still to end, only at a physical state of the station,
and none when the elements are too old for a time to go outside to mean anything.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from typing import Any

from issdash.feeds.clock import iso_z
from issdash.feeds.elements import (
    ElementsChoice,
    describe_age,
    expected_error_km,
    physical_problem,
)
from issdash.feeds.health import FeedHealth
from issdash.feeds.values import Observer
from issdash.model.local_time import local_iso
from issdash.model.orbit import ElementsUnusable, OrbitEngine
from issdash.model.orbit_source import SourceAt, expected_error_for
from issdash.model.passes.finder import Pass, find_passes

__all__ = [
    "PASS_PLANNER_DAYS",
    "PASS_SEARCH_SPAN",
    "Pass",
    "brightness_words",
    "compass_point",
    "no_newer_elements",
    "pass_directions",
    "pass_json",
    "passes_between",
    "passes_withheld",
    "upcoming_passes",
]

PASS_SEARCH_SPAN = timedelta(hours=24)
PASS_PLANNER_DAYS = 10

_COMPASS = (
    "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
    "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW",
)  # fmt: skip


def passes_withheld(
    choice: ElementsChoice,
    elements_feed: FeedHealth | None = None,
    source: SourceAt | None = None,
) -> str | None:
    """Why passes are not offered as times to go outside, or None when they are. Given the
    element feed's health, the reason says why no better set is at hand when the feed is why
    (offline: "elements too old (609d 4h old): the element feed did not answer (cannot
    connect: ...)"), in words in every form that says it.

    `source`: where the position comes from at the time asked. When that is NASA's trajectory
    or a segment fitted to it, the elements' age is not what the passes rest on: nothing is
    withheld for it (the passes past that source's span are judged per pass)."""
    if source is not None and source.kind not in ("elements", "bundled"):
        return None
    if choice.problem is not None:
        why = "elements unusable"
    elif choice.error.level == "uncertain":
        why = f"elements too old ({describe_age(choice.age_h)})"
    else:
        return None
    feed = no_newer_elements(elements_feed)
    return why if feed is None else f"{why}: {feed}"


def approximate_at(source: SourceAt | None, elements_age_h: float) -> bool:
    """Whether a time's position is only approximate, by the same bar for every source (see
    `issdash.model.orbit_source.expected_error_for`): from elements, past 3 days from the
    epoch or across a known burn; from NASA's trajectory or a fit to it, when its own
    expected error is larger than that of 3-day-old elements."""
    return expected_error_for(source, expected_error_km(elements_age_h)).level != "good"


def no_newer_elements(elements_feed: FeedHealth | None) -> str | None:
    """Why the element feed brings no newer set, in words, when it is the reason: switched
    off, failing (with its error), or not answered yet. None when it answers (the time asked is
    then just far from any set)."""
    if elements_feed is None or not elements_feed.enabled:
        return "the element feed is switched off"
    if elements_feed.failing:
        return f"the element feed did not answer ({elements_feed.last_error})"
    if elements_feed.waiting:
        return "the element feed has not answered yet"
    return None


def upcoming_passes(
    engine: OrbitEngine, observer: Observer | None, now: datetime, min_elevation_deg: float
) -> list[Pass]:
    """Passes in the next 24 h; a pass already under way is included (its rise is past)."""
    if observer is None:
        return []
    return passes_between(engine, observer, now, now + PASS_SEARCH_SPAN, min_elevation_deg)


def passes_between(
    engine: OrbitEngine,
    observer: Observer,
    start: datetime,
    end: datetime,
    min_elevation_deg: float,
) -> list[Pass]:
    """Passes that end after `start` and rise before `end` (a pass under way at `start` is
    included with its real rise), each at a physical state of the station."""
    # Start a little back so a pass in progress is found with its real rise time.
    search_start = start - timedelta(minutes=15)
    try:
        passes = find_passes(engine, observer, search_start, end, min_elevation_deg)
    except (ValueError, ArithmeticError) as exc:
        # Elements that decay into nonsense within the search span.
        raise ElementsUnusable(f"the pass search failed: {type(exc).__name__}") from exc
    # Where the elements decay into nonsense within the span, the "passes" found there are
    # of an orbit nobody flies: only those at a physical state of the station are kept (the
    # elements' state does not matter where NASA's trajectory or a fitted segment holds).
    return [
        p
        for p in passes
        if p.set > start
        and (
            not engine.from_elements_at(p.culminate)
            or physical_problem(engine.elements, p.culminate) is None
        )
        and placed_at(engine, p.culminate)
    ]


def placed_at(engine: OrbitEngine, when: datetime) -> bool:
    """Whether the station can be placed at `when` at all. Past the end of NASA's trajectory
    (or the fit to it) the elements take over, and elements that are weeks from their epoch
    then put the station anywhere along its orbit: a "pass" from them is no time to go out.
    (With elements alone, their age is judged once for the whole search: `passes_withheld`.)"""
    if engine.covered_until() is None:
        return True
    age_h = engine.elements_age_h(when)
    return expected_error_for(engine.source_at(when), expected_error_km(age_h)).position_known


def compass_point(azimuth_deg: float) -> str:
    """The nearest of 16 compass points ("N", "NNE", ..., "NNW") to an azimuth in degrees."""
    if azimuth_deg != azimuth_deg:  # NaN: no direction known
        return "?"
    return _COMPASS[round((azimuth_deg % 360.0) / 22.5) % 16]


def pass_directions(p: Pass) -> str:
    """Where to look at rise, at the highest point and at set: "NW -> NE -> SE"."""
    return " -> ".join(
        compass_point(a) for a in (p.rise_azimuth_deg, p.culminate_azimuth_deg, p.set_azimuth_deg)
    )


def brightness_words(magnitude: float | None) -> str:
    """The magnitude in words: "very bright" (-3 or brighter), "bright" (to -1.5), "easy"
    (to 0), "faint" (fainter than 0), "not visible" (None)."""
    if magnitude is None or magnitude != magnitude:
        return "not visible"
    if magnitude <= -3.0:
        return "very bright"
    if magnitude <= -1.5:
        return "bright"
    if magnitude <= 0.0:
        return "easy"
    return "faint"


def _iso_or_none(t: datetime | None) -> str | None:
    return iso_z(t) if t is not None else None


def _round_or_none(value: float | None, digits: int) -> float | None:
    if value is None or value != value:
        return None
    return round(value, digits)


def pass_json(
    p: Pass, approximate: bool, zone: tzinfo | None = None, orbit_source: str | None = None
) -> dict[str, Any]:
    """One pass as `status --json` and `passes --json` give it (a stable interface): times in
    UTC with Z, null when there is none; with a zone, the same times in `local` too.
    `orbit_source`: where the station's position came from at the rise ("nasa-oem",
    "celestrak-supgp", "elements", "bundled"; null when not known)."""
    result: dict[str, Any] = {
        "rise": iso_z(p.rise),
        "culminate": iso_z(p.culminate),
        "set": iso_z(p.set),
        "max_elevation_deg": round(p.max_elevation_deg, 1),
        "visible": p.visible,
        "approximate": approximate,
        "rise_azimuth_deg": _round_or_none(p.rise_azimuth_deg, 1),
        "culminate_azimuth_deg": _round_or_none(p.culminate_azimuth_deg, 1),
        "set_azimuth_deg": _round_or_none(p.set_azimuth_deg, 1),
        "magnitude": _round_or_none(p.magnitude, 1),
        "shadow_entry": _iso_or_none(p.shadow_entry),
        "shadow_exit": _iso_or_none(p.shadow_exit),
        "visible_from": _iso_or_none(p.visible_from),
        "visible_until": _iso_or_none(p.visible_until),
        "orbit_source": orbit_source,
    }
    if zone is not None:
        times = {
            "rise": p.rise,
            "culminate": p.culminate,
            "set": p.set,
            "shadow_entry": p.shadow_entry,
            "shadow_exit": p.shadow_exit,
            "visible_from": p.visible_from,
            "visible_until": p.visible_until,
        }
        result["local"] = {k: local_iso(t, zone) if t else None for k, t in times.items()}
    return result
