"""The pass planner's view: ten days of passes as table rows, or the reason there are none.
Pure, no Textual: `issdash.widgets.passes.planner` draws it.

Times are the observer's local time with the zone's abbreviation, and UTC beside them where
the table is wide enough; a pass that enters Earth's shadow says when it fades.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from issdash.feeds.values import Observer
from issdash.model.durations import duration
from issdash.model.local_time import format_local
from issdash.model.passes.finder import Pass
from issdash.model.passes.moves import PassChanges
from issdash.model.passes.upcoming import (
    PASS_PLANNER_DAYS,
    brightness_words,
    compass_point,
    pass_directions,
)

NO_OBSERVER = (
    "No observer set, so no passes. Start with --observer LAT,LON or --place NAME "
    '(e.g. --place "Boston, US"), or set ISSDASH_OBSERVER.'
)
# A visible part that starts or ends this far inside the pass is worth saying.
_EDGE = timedelta(seconds=30)


@dataclass(frozen=True, slots=True)
class PassRow:
    """One pass as the table shows it."""

    pass_: Pass
    date: str  # "Tue 08 Apr"
    start: str  # "21:14 CEST"
    start_utc: str  # "20:14Z"; "" when local time is UTC
    duration: str  # "6m 12s"
    max_elevation: str  # "64°"
    directions: str  # "NW -> NE -> SE"
    magnitude: str  # "-3.1"; "–" when not visible
    visibility: str  # "visible", "fades 21:18", "from 05:02", "no"
    visible: bool
    under_way: bool
    # The pass moved or appeared with the last new orbit: "was 19:25", "new"; "" otherwise
    # (issdash.model.passes.moves).
    change: str = ""


@dataclass(frozen=True, slots=True)
class PassPlannerView:
    """The planner at one moment."""

    rows: tuple[PassRow, ...]
    # Shown instead of the table when there is nothing to list, and why (no observer, passes
    # withheld, the search still running, none found).
    message: str | None
    # Shown above the table: whose sky, which zone and where it came from, the filter.
    heading: str
    # Approximate passes (elements a few days old): said, not hidden.
    warning: str | None
    visible_only: bool
    hidden: int  # passes the visible-only filter leaves out
    # Visible passes the last new orbit took away, in words (None: none).
    gone: str | None = None


def _hm(t: datetime, zone: tzinfo | None) -> str:
    return f"{t.astimezone(zone):%H:%M}" if zone is not None else f"{t:%H:%M}"


def visibility_text(p: Pass, zone: tzinfo | None) -> str:
    """ "visible" for the whole pass, "fades 21:18" (into Earth's shadow), "from 05:02" (out
    of it, or once the sky is dark), "no"."""
    if not p.visible:
        return "no"
    until = p.visible_until
    start = p.visible_from
    if until is not None and until < p.set - _EDGE:
        return f"fades {_hm(until, zone)}"
    if start is not None and start > p.rise + _EDGE:
        return f"from {_hm(start, zone)}"
    return "visible"


def pass_row(
    p: Pass, now: datetime, zone: tzinfo | None, changes: PassChanges | None = None
) -> PassRow:
    local = p.rise.astimezone(zone) if zone is not None else p.rise
    start = format_local(p.rise, zone, with_utc=False)
    with_utc = format_local(p.rise, zone, with_utc=True)
    start_utc = with_utc[len(start) :].strip(" ()") if with_utc != start else ""
    return PassRow(
        pass_=p,
        date=f"{local:%a %d %b}",
        start=start,
        start_utc=start_utc,
        duration=duration((p.set - p.rise).total_seconds()),
        max_elevation=f"{p.max_elevation_deg:.0f}°",
        directions=pass_directions(p),
        magnitude=f"{p.magnitude:+.1f}".replace("+", "") if p.magnitude is not None else "–",
        visibility=visibility_text(p, zone),
        visible=p.visible,
        under_way=p.rise <= now < p.set,
        change=changes.mark(p, zone) if changes is not None else "",
    )


def observer_text(observer: Observer) -> str:
    """ "Cairns, Queensland, AU (16.92°S 145.77°E)", or the coordinates alone."""
    ns = "N" if observer.latitude_deg >= 0 else "S"
    ew = "E" if observer.longitude_deg >= 0 else "W"
    where = f"{abs(observer.latitude_deg):.2f}°{ns} {abs(observer.longitude_deg):.2f}°{ew}"
    return f"{observer.place} ({where})" if observer.place else where


_ZONE_SOURCES = {
    "place": "zone of the place",
    "coordinates": "zone at the coordinates",
    "system": "this computer's zone",
}


def zone_text(observer: Observer, zone: tzinfo | None) -> str:
    """Which zone times are in, and where it came from (the issue asks that it be stated)."""
    name = observer.timezone or (str(zone) if zone is not None else "UTC")
    source = _ZONE_SOURCES.get(observer.timezone_source or "")
    return f"{name} ({source})" if source else name


def planner_view(
    passes: Sequence[Pass] | None,
    observer: Observer | None,
    now: datetime,
    zone: tzinfo | None,
    *,
    min_elevation_deg: float,
    visible_only: bool = False,
    withheld: str | None = None,
    approximate: bool = False,
    days: int = PASS_PLANNER_DAYS,
    interactive: bool = True,
    changes: PassChanges | None = None,
) -> PassPlannerView:
    """The table of passes still to end, or what stands in its place; with `changes`, the
    rows a new orbit moved marked, and the visible passes it took away said."""
    filter_text = "visible only" if visible_only else "all"
    if interactive:  # a kiosk has no keyboard to press v with
        filter_text += " (v: all)" if visible_only else " (v: visible only)"
    if observer is None:
        return PassPlannerView((), NO_OBSERVER, "Passes", None, visible_only, 0)
    heading = (
        f"{observer_text(observer)} · {days} days above {min_elevation_deg:.0f}° · "
        f"{zone_text(observer, zone)} · {filter_text}"
    )
    message: str | None
    if withheld is not None:
        message = (
            f"Passes withheld: {withheld}. Times to go outside computed from them would "
            "be wrong; they return with newer elements."
        )
        return PassPlannerView((), message, heading, None, visible_only, 0)
    if passes is None:
        message = f"Searching {days} days of passes…"
        return PassPlannerView((), message, heading, None, visible_only, 0)
    upcoming = [p for p in passes if p.set > now]
    shown = [p for p in upcoming if p.visible] if visible_only else upcoming
    rows = tuple(pass_row(p, now, zone, changes) for p in shown)
    message = None
    if not upcoming:
        message = f"No passes above {min_elevation_deg:.0f}° in the next {days} days."
    elif not rows:
        message = (
            f"No visible passes in the next {days} days "
            f"({len(upcoming)} not visible; v shows them)."
        )
    warning = (
        "Elements a few days old: times approximate, check again nearer the time."
        if approximate
        else None
    )
    gone = changes.gone(now, zone) if changes is not None else None
    hidden = len(upcoming) - len(rows)
    return PassPlannerView(rows, message, heading, warning, visible_only, hidden, gone)


def pass_details(p: Pass, zone: tzinfo | None) -> tuple[tuple[str, str], ...]:
    """The selected pass in words, label by label, beside its sky chart."""

    def at(t: datetime) -> str:
        return format_local(t, zone, with_utc=True)

    rows = [
        ("Rises", f"{at(p.rise)}  {compass_point(p.rise_azimuth_deg)}"),
        (
            "Highest",
            f"{at(p.culminate)}  {p.max_elevation_deg:.0f}° "
            f"{compass_point(p.culminate_azimuth_deg)}",
        ),
        ("Sets", f"{at(p.set)}  {compass_point(p.set_azimuth_deg)}"),
    ]
    if p.shadow_entry is not None:
        rows.append(("Shadow", f"enters {at(p.shadow_entry)}: fades out"))
    if p.shadow_exit is not None:
        rows.append(("Sunlight", f"from {at(p.shadow_exit)}: appears"))
    if p.visible and p.visible_from is not None and p.visible_until is not None:
        seen = (p.visible_until - p.visible_from).total_seconds()
        rows.append(
            (
                "Visible",
                f"{_hm(p.visible_from, zone)}-{_hm(p.visible_until, zone)} ({duration(seen)})",
            )
        )
    else:
        rows.append(("Visible", "no: station in shadow or sky too light"))
    magnitude = f"{p.magnitude:.1f}, " if p.magnitude is not None else ""
    rows.append(("Brightness", f"{magnitude}{brightness_words(p.magnitude)}"))
    return tuple(rows)
