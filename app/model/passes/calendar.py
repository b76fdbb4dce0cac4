"""Visible passes as an iCalendar file (RFC 5545, written by the `icalendar` package), so a
calendar app can remind people. No Textual here.

One VEVENT per visible pass, from when it becomes visible to when it fades or sets (UTC).
The UID is stable for a pass: the station's revolution number at culmination and the
observer's place (rounded to 0.01 degree), so importing a newer file (fresher elements shift
a pass by seconds) updates the event rather than adding a second one. Its one weak spot: a
pass that culminates within seconds of the station crossing the equator northbound (seen
only from within a few degrees of the equator) may get the next revolution's number when the
elements change.
"""

from __future__ import annotations

from datetime import tzinfo

from icalendar import Calendar, Event

from issdash.feeds.values import Observer
from issdash.model.local_time import format_local
from issdash.model.orbit import OrbitEngine
from issdash.model.passes.finder import Pass
from issdash.model.passes.upcoming import brightness_words, pass_directions

PRODUCT_ID = "-//issdash//ISS pass planner//EN"


def pass_uid(p: Pass, observer: Observer, engine: OrbitEngine | None) -> str:
    """A UID naming this pass for this observer, stable across element updates."""
    where = f"{observer.latitude_deg:+.2f}{observer.longitude_deg:+.2f}"
    if engine is not None:
        revolution = str(engine.orbit_number(p.culminate))
    else:
        revolution = p.culminate.strftime("%Y%m%dT%H%M")
    return f"iss-pass-{revolution}{where}@issdash"


def pass_summary(p: Pass) -> str:
    """ "ISS pass, up to 64°, very bright"."""
    return f"ISS pass, up to {p.max_elevation_deg:.0f}°, {brightness_words(p.magnitude)}"


def pass_description(p: Pass, zone: tzinfo | None, approximate: bool) -> str:
    lines = [
        f"Visible from {format_local(p.visible_from or p.rise, zone, True)} to "
        f"{format_local(p.visible_until or p.set, zone, True)}. It crosses the sky "
        f"{pass_directions(p)}, highest {p.max_elevation_deg:.0f}° at "
        f"{format_local(p.culminate, zone, True)}.",
        f"Rises {format_local(p.rise, zone, True)}, sets {format_local(p.set, zone, True)}.",
    ]
    if p.magnitude is not None:
        lines.append(
            f"Magnitude {p.magnitude:+.1f} (estimated, about +-1): {brightness_words(p.magnitude)}."
        )
    if p.shadow_entry is not None:
        lines.append(f"Fades into Earth's shadow at {format_local(p.shadow_entry, zone, True)}.")
    if p.shadow_exit is not None:
        lines.append(f"Comes out of Earth's shadow at {format_local(p.shadow_exit, zone, True)}.")
    if approximate:
        lines.append("Approximate: the orbital elements were more than 3 days old.")
    return "\n".join(lines)


def passes_calendar(
    observer: Observer,
    zone: tzinfo | None,
    passes: list[Pass],
    approximate: list[bool],
    engine: OrbitEngine | None,
) -> Calendar:
    """A calendar of the visible ones among `passes`."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"ISS passes over {observer.place or observer.label()}")
    for p, approx in zip(passes, approximate, strict=True):
        if not p.visible:
            continue
        event = Event()
        event.add("uid", pass_uid(p, observer, engine))
        event.add("dtstamp", p.rise)  # when this description holds: stable for a stable file
        event.add("dtstart", p.visible_from or p.rise)
        event.add("dtend", p.visible_until or p.set)
        event.add("summary", pass_summary(p))
        event.add("description", pass_description(p, zone, approx))
        event.add("geo", (observer.latitude_deg, observer.longitude_deg))
        if observer.place:
            event.add("location", observer.place)
        calendar.add_component(event)
    return calendar
