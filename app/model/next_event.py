"""The next-event panel's view: the next (and last) event of the visiting vehicles, the
docked list, and how far the schedule behind them can be trusted (pure; no Textual). A burn
planned in NASA's trajectory (a reboost, a debris avoidance) competes with the vehicles'
events: the nearest is counted down.

Built every tick by `build_next_event_view`; the panel (widgets/next_event.py) only draws it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from issdash.feeds.adapters.schedule import DockedVehicle
from issdash.model.certainty import Unknown, part_gaps, unknown
from issdash.model.durations import age
from issdash.model.manoeuvres import Manoeuvre, next_burn
from issdash.model.state import MissionState
from issdash.model.station import radar_text
from issdash.model.visits.moments import Moment
from issdash.model.visits.timeline import (
    Phase,
    Timeline,
    build_timelines,
    docked_vehicles,
    last_event,
    next_event,
)


@dataclass(frozen=True, slots=True)
class NextEventView:
    now: datetime
    timezone: tzinfo | None
    next: tuple[Timeline, Phase] | None
    last: tuple[Timeline, Phase] | None
    # None: the docked list is not known (see docked_unknown for why).
    docked: tuple[DockedVehicle, ...] | None
    schedule_age_s: float | None = None
    schedule_stale: bool = False
    # The schedule not known at all (then `next` is None and means nothing), or in part.
    schedule_unknown: Unknown | None = None
    schedule_partly: Unknown | None = None
    docked_unknown: Unknown | None = None
    docked_age_s: float | None = None
    docked_stale: bool = False
    # Kurs radar range and rate during a docking (ISSLIVE), already in words.
    radar: str | None = None
    # The timeline to show instead of the next event's while a moment of it is announced
    # (issdash.model.visits.moments): at hatch opening the next event is another vehicle's, and the
    # step just done would otherwise never be seen ticked.
    focus: Timeline | None = None
    # The coming burn of NASA's trajectory (None: none planned, or no trajectory). Only its
    # burns: its docking and launch rows are the schedule's events, which name the vehicle
    # and are confirmed by their sources (issdash.model.manoeuvres.next_burn).
    burn: Manoeuvre | None = None


def build_next_event_view(
    state: MissionState,
    known: MissionState,
    now: datetime,
    timezone: tzinfo | None,
    moment: Moment | None = None,
    timelines: list[Timeline] | None = None,
) -> NextEventView:
    """`known` is `state` without the answers too old to describe now; `moment` is the one
    announced in the banner, whose vehicle's timeline the panel then shows. `timelines`:
    `build_timelines(known, now)` when the caller has it already (the dashboard's tick)."""
    if timelines is None:
        timelines = build_timelines(known, now)
    received = [r.received_at for r in (known.launches, known.dockings) if r is not None]
    schedule_health = [state.feeds[f] for f in ("launches", "dockings") if f in state.feeds]
    schedule_unknown = unknown(state, "schedule", now)
    schedule_gaps = part_gaps(state, "schedule", now)
    docked_unknown = unknown(state, "docked", now)
    docked_health = state.feeds.get("docked")
    upcoming = next_event(timelines, now)
    focus = next((t for t in timelines if t.vehicle == moment.vehicle), None) if moment else None
    radar = None
    # During a docking, while the Kurs radar has its target, its range and rate.
    if upcoming is not None and upcoming[1].kind == "docking" and state.station is not None:
        found = state.station.radar(now)
        radar = radar_text(*found) if found is not None else None
    return NextEventView(
        now=now,
        timezone=timezone,
        next=upcoming,
        radar=radar,
        last=last_event(timelines, now),
        docked=None if docked_unknown else tuple(docked_vehicles(known, now)),
        schedule_age_s=(now - max(received)).total_seconds() if received else None,
        schedule_stale=any(h.state(now) in ("stale", "down") for h in schedule_health),
        schedule_unknown=schedule_unknown,
        schedule_partly=(
            Unknown("schedule", schedule_gaps) if schedule_gaps and not schedule_unknown else None
        ),
        docked_unknown=docked_unknown,
        docked_age_s=(now - known.docked.received_at).total_seconds() if known.docked else None,
        docked_stale=docked_health is not None and docked_health.state(now) != "ok",
        focus=focus,
        burn=next_burn(known, now),
    )


# The panel draws in three parts, each redrawn only when its own view changed.


@dataclass(frozen=True, slots=True)
class ClockPart:
    """What the countdown part shows: the next event, its time, and the schedule's standing."""

    now: datetime
    timezone: tzinfo | None
    next: tuple[Timeline, Phase] | None
    last: tuple[Timeline, Phase] | None
    schedule_age_s: float | None
    schedule_stale: bool
    schedule_unknown: Unknown | None
    schedule_partly: Unknown | None
    radar: str | None = None
    # The burn counted down instead of `next`, when it comes first (or nothing else is next).
    burn: Manoeuvre | None = None


@dataclass(frozen=True, slots=True)
class TimelinePart:
    """The phases of the vehicle of the next (or else the last) event, and how far along."""

    timeline: Timeline | None
    current: Phase | None
    today: date
    # The progress bar's filled cells (of 30) and its percentage, as drawn.
    filled: int
    percent: str


@dataclass(frozen=True, slots=True)
class DockedPart:
    """The docked list, each vehicle with its whole days docked (None: the list not known)."""

    docked: tuple[tuple[DockedVehicle, int | None], ...] | None
    unknown: Unknown | None
    stale_age: str | None  # the list's age in words when it is stale


# The progress bar's cells (the timeline part draws them).
BAR_CELLS = 30


def burn_first(view: NextEventView) -> Manoeuvre | None:
    """The burn, when it is the nearest event: before the next vehicle event, or with none.
    An event of a vehicle past its time unconfirmed is before any burn still to come."""
    burn = view.burn
    if burn is None or (view.next is not None and view.next[1].time <= burn.time):
        return None
    return burn


def split_view(view: NextEventView) -> tuple[ClockPart, TimelinePart, DockedPart]:
    """The panel's view as its three parts' views (pure). The timeline part keeps the
    vehicle's phases while a burn is counted down: a burn has no phases of its own."""
    clock = ClockPart(
        now=view.now,
        timezone=view.timezone,
        next=view.next,
        last=view.last,
        schedule_age_s=view.schedule_age_s,
        schedule_stale=view.schedule_stale,
        schedule_unknown=view.schedule_unknown,
        schedule_partly=view.schedule_partly,
        radar=view.radar,
        burn=burn_first(view),
    )
    timeline = view.focus or (view.next[0] if view.next else (view.last[0] if view.last else None))
    filled, percent = 0, ""
    if timeline is not None:
        start, end = timeline.phases[0].time, timeline.phases[-1].time
        span = (end - start).total_seconds()
        done = 1.0 if span <= 0 else min(1.0, max(0.0, (view.now - start).total_seconds() / span))
        filled, percent = round(done * BAR_CELLS), f"{done * 100:3.0f}%"
    phases = TimelinePart(
        timeline=timeline,
        current=view.next[1] if view.next and view.next[0] is timeline else None,
        today=view.now.date(),
        filled=filled,
        percent=percent,
    )
    docked = None
    if view.docked is not None:
        docked = tuple(
            (v, max(0, int((view.now - v.docked).total_seconds() // 86400)) if v.docked else None)
            for v in sorted(view.docked, key=lambda v: v.docked or view.now)
        )
    stale_age = (
        age(view.docked_age_s) if view.docked_stale and view.docked_age_s is not None else None
    )
    return clock, phases, DockedPart(docked, view.docked_unknown, stale_age)
