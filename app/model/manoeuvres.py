"""The events of NASA's trajectory (the OEM's TRAJECTORY EVENT SUMMARY) as manoeuvres: what
kind each is, which are burns of the station's own, the window `status --json` lists, and the
words the Next event panel and the mission bar say (pure; no Textual).

NASA names its rows by hand ("GMT057 Reboost", "80P Arrivals", "NG-17 Arrival", "91P Dock",
"Crew10 Launch"): the kind is read from the words of the name, never from its position or the
delta-v. Everything here is a plan: NASA's trajectory says what the flight controllers intend,
and nothing confirms that a burn happened but a later trajectory (or elements) built after it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from issdash.feeds.adapters.oem import Oem, TrajectoryEvent
from issdash.feeds.clock import iso_z
from issdash.model.durations import countdown
from issdash.model.state import MissionState

EventKind = Literal["reboost", "avoidance", "docking", "launch", "undocking", "other"]
# The kinds that move the station itself: a row of one of these with a delta-v is a burn.
BURN_KINDS: frozenset[str] = frozenset({"reboost", "avoidance"})
# `status --json` lists the events from this long ago to the end of the trajectory: a burn
# just done still explains why the passes moved.
EVENTS_BEFORE = timedelta(hours=6)

KIND_LABELS: dict[str, str] = {
    "reboost": "Reboost",
    "avoidance": "Debris avoidance",
    "docking": "Docking",
    "launch": "Launch",
    "undocking": "Undocking",
    "other": "Event",
}

# Words of a row's name, by kind, tried in this order: "undock" before "dock", the burns
# before anything (a "Progress reboost" is a reboost, not a vehicle's event). A word matches
# a token of the name that starts with it ("undocking" holds "undock"), except the short
# acronyms, which must be the whole token ("DAM", not "DAMPER").
_PREFIXES: tuple[tuple[EventKind, tuple[str, ...]], ...] = (
    ("avoidance", ("debris", "avoid", "collision")),
    ("reboost", ("reboost", "boost", "rbst")),
    # A relocation (a vehicle moving between ports) stays "other": it neither arrives nor
    # leaves, and the schedule feeds name it.
    ("undocking", ("undock", "unberth", "depart", "release")),
    ("docking", ("dock", "arriv", "berth", "captur")),
    ("launch", ("launch", "liftoff")),
)
_ACRONYMS: dict[str, EventKind] = {
    # Debris avoidance manoeuvre, its pre-determined form, a conjunction avoidance.
    "dam": "avoidance",
    "pdam": "avoidance",
    "cam": "avoidance",
    # An orbit correction (Russian segment, by Progress or Zvezda): a reboost in effect.
    "ocm": "reboost",
}
_TOKEN = re.compile(r"[a-z]+")


def event_kind(name: str) -> EventKind:
    """The kind of an event row from its name (NASA's spellings; "other" when none fits)."""
    tokens = _TOKEN.findall(name.lower())
    for token in tokens:
        if token in _ACRONYMS:
            return _ACRONYMS[token]
    for kind, prefixes in _PREFIXES:
        if any(t.startswith(p) for t in tokens for p in prefixes):
            return kind
    return "other"


@dataclass(frozen=True, slots=True)
class Manoeuvre:
    """One event of the trajectory, its kind read from its name. None: the table gave no
    number (never 0 for a value not given)."""

    name: str
    kind: EventKind
    time: datetime  # ignition (UTC), or the event's time for a docking or a launch
    delta_v_m_s: float | None
    apogee_km: float | None
    perigee_km: float | None

    @property
    def is_burn(self) -> bool:
        """A burn of the station's own: a reboost or avoidance with a delta-v."""
        return self.kind in BURN_KINDS and self.delta_v_m_s is not None and self.delta_v_m_s > 0

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


def _number(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def manoeuvre(event: TrajectoryEvent) -> Manoeuvre:
    kind = event_kind(event.name)
    delta_v = _number(event.delta_v_m_s)
    if kind in BURN_KINDS and delta_v == 0:
        # A burn listed at 0.0 m/s is one not sized yet: its delta-v is not known, not zero.
        # (On a docking or launch row the 0.0 is NASA saying the station does not burn.)
        delta_v = None
    return Manoeuvre(
        name=event.name,
        kind=kind,
        time=event.ignition,
        delta_v_m_s=delta_v,
        apogee_km=_number(event.apogee_km),
        perigee_km=_number(event.perigee_km),
    )


def trajectory_events(oem: Oem, now: datetime) -> tuple[Manoeuvre, ...]:
    """The trajectory's events from 6 h before `now` to the end of its span, in time order."""
    start, stop = now - EVENTS_BEFORE, oem.header.stop
    found = (manoeuvre(e) for e in oem.events)
    return tuple(sorted((m for m in found if start <= m.time <= stop), key=lambda m: m.time))


def state_events(state: MissionState, now: datetime) -> tuple[Manoeuvre, ...]:
    """The events of the trajectory held in `state` (none without one)."""
    held = state.oem
    return trajectory_events(held.value, now) if held is not None else ()


def burns(events: Iterable[Manoeuvre]) -> tuple[Manoeuvre, ...]:
    return tuple(m for m in events if m.is_burn)


def planned_burns(state: MissionState) -> tuple[Manoeuvre, ...]:
    """Every burn of the trajectory held, past or to come (none without one)."""
    held = state.oem
    return burns(manoeuvre(e) for e in held.value.events) if held is not None else ()


def next_burn(state: MissionState, now: datetime) -> Manoeuvre | None:
    """The soonest burn still to come in the trajectory held (None: none is planned, or no
    trajectory). Only burns: the dockings and launches the trajectory lists are the schedule
    feeds' events too, and those name the vehicle and say when one is confirmed; shown from
    both, one docking would appear twice."""
    return next((m for m in burns(state_events(state, now)) if m.time > now), None)


def delta_v_words(m: Manoeuvre) -> str:
    """ "0.4 m/s", or "" when the table gave none."""
    return f"{m.delta_v_m_s:.1f} m/s" if m.delta_v_m_s is not None else ""


def burn_words(m: Manoeuvre, now: datetime) -> str:
    """ "Reboost 0.4 m/s in 2d 03:14" (days, hours and minutes to ignition, cut not rounded)."""
    left_s = max(0.0, (m.time - now).total_seconds())
    count = countdown(left_s)[:-3]  # "2d 03:14:59" without its seconds
    size = delta_v_words(m)
    return f"{m.label}{' ' + size if size else ''} in {count}"


def events_json(events: Iterable[Manoeuvre]) -> list[dict[str, Any]]:
    """`status --json`'s `orbit.events`: null where the table had nothing."""
    return [
        {
            "name": m.name,
            "kind": m.kind,
            "time": iso_z(m.time),
            "delta_v_m_s": m.delta_v_m_s,
            "apogee_km": m.apogee_km,
            "perigee_km": m.perigee_km,
        }
        for m in events
    ]
