"""The visiting-vehicle timeline: launch, insertion, docking, hatch; undocking, landing.

Built from the schedule feeds and the docked list (pure; no Textual). Where the schedule gives
a launch but no docking time, the docking is estimated from the vehicle's rendezvous profile and
marked so. When a newer schedule moves a time, the slip is kept and shown.

Nothing is done because its time passed: a scheduled time is what is expected, not what
happened. A phase is done only when a source confirms it (launch: the launch record reports
it lifted off; orbit insertion: the launch reported a success; docking: the docked list lists
the vehicle; hatch opening: a crew list shows the vehicle's crew aboard the station;
undocking: a docked list from after the departure no longer lists it; landing: a crew list
from after it no longer has anyone from the vehicle), or when a later phase of the same
vehicle is done. Until then it is "expected HH:MM, not confirmed", and it stays the next event.

One event has one time: the time a source states when one does (the docked list's docking
time), else the schedule's, else the estimate, which stays marked as one after it is
confirmed; when the confirming answer arrived is kept apart (`Phase.confirmed_at`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

from issdash.feeds.adapters.schedule import DockedVehicle, vehicle_key
from issdash.model.state import MissionState, Slip

PhaseKind = Literal["launch", "insertion", "docking", "hatch", "undocking", "landing"]
PHASE_LABELS: dict[str, str] = {
    "launch": "Launch",
    "insertion": "Orbit insertion",
    "docking": "Docking",
    "hatch": "Hatch opening",
    "undocking": "Undocking",
    "landing": "Landing",
}
# What confirms each phase, said while one is past its time unconfirmed (short: it shares a
# 40-column line with the panel's NOT CONFIRMED mark).
AWAITING: dict[str, str] = {
    "launch": "no liftoff report yet",
    "insertion": "no success report yet",
    "docking": "not in docked list yet",
    "hatch": "crew not listed aboard",
    "undocking": "still in docked list",
    "landing": "crew still listed",
}
# How long a finished timeline stays on screen as "the last event".
RECENT = timedelta(hours=12)
# Launch Library status abbreviations of a launch that left the pad, whatever came of it: the
# launch record saying so is what confirms a liftoff. Only "Success" confirms the insertion.
LIFTED_OFF = frozenset({"success", "failure", "partial failure", "in flight"})


@dataclass(frozen=True, slots=True)
class Profile:
    """Typical durations for a vehicle family (FEEDS.md, "Rendezvous profiles")."""

    family: str
    crewed: bool
    insertion: timedelta
    docking: timedelta | None
    hatch: timedelta | None
    landing: timedelta | None


_H, _M = timedelta(hours=1), timedelta(minutes=1)
_PROFILES: tuple[tuple[tuple[str, ...], Profile], ...] = (
    # Soyuz and Progress fly the two-orbit "ultra-fast" profile: docking ~3 h 10 min after launch.
    (
        ("soyuz",),
        Profile(
            "Soyuz",
            True,
            8 * _M + timedelta(seconds=45),
            3 * _H + 10 * _M,
            2 * _H + 30 * _M,
            3 * _H + 25 * _M,
        ),
    ),
    (
        ("progress",),
        Profile("Progress", False, 8 * _M + timedelta(seconds=45), 3 * _H + 10 * _M, None, None),
    ),
    # Crew Dragon: typically 25 to 30 h to docking.
    (
        ("crew dragon", "crew-", "axiom", "ax-"),
        Profile("Crew Dragon", True, 12 * _M, 28 * _H, 2 * _H, 18 * _H),
    ),
    (("starliner",), Profile("Starliner", True, 15 * _M, 26 * _H, 2 * _H, 6 * _H)),
    # Cygnus and Cargo Dragon: one to three days.
    (
        ("cargo dragon", "crs-", "dragon"),
        Profile("Cargo Dragon", False, 12 * _M, 48 * _H, None, None),
    ),
    (("cygnus", "ng-"), Profile("Cygnus", False, 15 * _M, 48 * _H, None, None)),
)


def profile_for(vehicle: str) -> Profile | None:
    name = vehicle.lower()
    for prefixes, profile in _PROFILES:
        if any(p in name for p in prefixes):
            return profile
    return None


@dataclass(frozen=True, slots=True)
class Phase:
    kind: PhaseKind
    time: datetime
    estimated: bool
    done: bool
    slip: Slip | None = None
    # When the answer that confirmed it arrived (None while not done). A time said apart
    # from `time`: an estimate confirmed stays an estimate ("estimated 11:27, confirmed by
    # 11:30"), it does not take the confirmation's time as the event's.
    confirmed_at: datetime | None = None

    @property
    def label(self) -> str:
        return PHASE_LABELS[self.kind]

    @property
    def status(self) -> str:
        """scheduled, estimated or done (see `unconfirmed` for one whose time passed)."""
        if self.done:
            return "done"
        return "estimated" if self.estimated else "scheduled"

    def unconfirmed(self, now: datetime) -> bool:
        """Its time (scheduled or estimated) has passed with no source confirming it."""
        return not self.done and self.time <= now


@dataclass(frozen=True, slots=True)
class Timeline:
    """One vehicle's phases, in time order."""

    vehicle: str
    port: str | None
    crewed: bool
    phases: tuple[Phase, ...]
    launch_status: str | None = None

    @property
    def launch(self) -> Phase | None:
        return next((p for p in self.phases if p.kind == "launch"), None)


@dataclass
class _Builder:
    vehicle: str
    port: str | None = None
    launch: datetime | None = None
    launch_status: str | None = None
    docking: datetime | None = None
    departure: datetime | None = None
    # The docked list's answer listing the vehicle: when it arrived, and the docking time it
    # states (None: it gives none).
    listed_at: datetime | None = None
    listed_docked: datetime | None = None


def build_timelines(state: MissionState, now: datetime) -> list[Timeline]:
    """Timelines for vehicles arriving or leaving now or soon (or within the last 12 h)."""
    builders: dict[str, _Builder] = {}

    def builder(name: str) -> _Builder:
        return builders.setdefault(vehicle_key(name), _Builder(vehicle=name))

    launches = state.launches
    dockings = state.dockings
    launches_at = launches.received_at if launches else None
    dockings_at = dockings.received_at if dockings else None
    for launch in launches.value.launches if launches else ():
        b = builder(launch.vehicle)
        b.launch, b.launch_status = launch.net, launch.status
    for docking in dockings.value.dockings if dockings else ():
        b = builder(docking.vehicle)
        b.docking, b.departure, b.port = docking.docking, docking.departure, docking.port or b.port
        # Both feeds may give the launch time: the newer schedule wins.
        if docking.launch_net is not None and (
            b.launch is None or (dockings_at and launches_at and dockings_at > launches_at)
        ):
            b.launch = docking.launch_net
    docked = state.docked
    for vehicle in docked.value.vehicles if docked else ():
        key = vehicle_key(vehicle.name)
        if key in builders and docked is not None:
            b = builders[key]
            b.listed_at, b.listed_docked = docked.received_at, vehicle.docked
            b.port = b.port or vehicle.port
    timelines = [t for b in builders.values() if (t := _timeline(b, state, now)) is not None]
    return sorted(timelines, key=lambda t: t.phases[0].time)


def _timeline(b: _Builder, state: MissionState, now: datetime) -> Timeline | None:
    profile = profile_for(b.vehicle)
    key = vehicle_key(b.vehicle)
    phases: list[Phase] = []

    def add(
        kind: PhaseKind, time: datetime | None, estimated: bool, confirmed_at: datetime | None
    ) -> None:
        # Done only when a source confirmed it: a scheduled time that passed is expected,
        # not done (the schedule says what should happen, not what did).
        if time is not None:
            slip = state.slips.get(f"{key}|{kind}")
            done = confirmed_at is not None
            phases.append(Phase(kind, time, estimated, done, slip, confirmed_at))

    launches_at = state.launches.received_at if state.launches else None
    status = (b.launch_status or "").strip().lower()
    listed_at = b.listed_at
    if listed_at is not None and b.listed_docked is not None:
        # A listing with a docking before this launch is an earlier visit of the same name,
        # not this one's arrival; one with a docking still to come says nothing happened yet.
        earlier = b.launch is not None and b.listed_docked < b.launch
        listed_at = None if earlier or b.listed_docked > now else listed_at
    arriving = b.launch is not None and (b.docking is None or b.docking > now - RECENT)
    if arriving:
        lifted_off = launches_at if status in LIFTED_OFF else None
        add("launch", b.launch, estimated=False, confirmed_at=lifted_off)
        if profile is not None and b.launch is not None:
            succeeded = launches_at if status == "success" else None
            add("insertion", b.launch + profile.insertion, estimated=True, confirmed_at=succeeded)
    docking = b.docking
    estimated_docking = False
    if docking is not None and b.launch is not None and docking < b.launch:
        # The launch moved (a scrub) and the docking schedule has not caught up: a docking
        # cannot come before its launch, so that time is stale.
        docking = None
    if docking is None and b.launch is not None and profile is not None and profile.docking:
        docking, estimated_docking = b.launch + profile.docking, True
    if listed_at is not None and b.listed_docked is not None:
        # The docked list states when it docked: that is the docking's one time.
        docking, estimated_docking = b.listed_docked, False
    if arriving or (docking is not None and docking > now - RECENT):
        add("docking", docking, estimated_docking, confirmed_at=listed_at)
        if profile is not None and profile.hatch is not None and docking is not None:
            aboard = _crew_aboard(state, key)
            add("hatch", docking + profile.hatch, estimated=True, confirmed_at=aboard)
    if b.departure is not None and b.departure > now - RECENT:
        add("undocking", b.departure, estimated=False, confirmed_at=_left(state, key, b.departure))
        if profile is not None and profile.landing is not None:
            landing = b.departure + profile.landing
            add("landing", landing, estimated=True, confirmed_at=_crew_gone(state, key, landing))
    if not phases:
        return None
    phases.sort(key=lambda p: p.time)
    # A phase done means every earlier one happened (a docking confirms the insertion), and
    # the answer that confirmed the later one confirmed it.
    implied: datetime | None = None
    for i in reversed(range(len(phases))):
        phase = phases[i]
        if phase.confirmed_at is not None:
            implied = min(implied or phase.confirmed_at, phase.confirmed_at)
        elif implied is not None:
            phases[i] = replace(phase, done=True, confirmed_at=implied)
    crewed = profile.crewed if profile else False
    return Timeline(b.vehicle, b.port, crewed, tuple(phases), b.launch_status)


def _crew_aboard(state: MissionState, key: str) -> datetime | None:
    """When the earliest of the crew lists held (corquaid, Open Notify) that shows someone who
    came on this vehicle aboard the station arrived (None: no list shows one)."""
    return min(
        (
            r.received_at
            for r in (state.crew, state.astros)
            if r is not None
            and any(p.spacecraft and vehicle_key(p.spacecraft) == key for p in r.value.on_iss)
        ),
        default=None,
    )


def _crew_gone(state: MissionState, key: str, landing: datetime) -> datetime | None:
    """When a crew list received after the landing, listing nobody from this vehicle in space,
    arrived (None: none has)."""
    return min(
        (
            r.received_at
            for r in (state.crew, state.astros)
            if r is not None
            and r.value.source == "corquaid"
            and r.received_at >= landing
            and not any(p.spacecraft and vehicle_key(p.spacecraft) == key for p in r.value.people)
        ),
        default=None,
    )


def _left(state: MissionState, key: str, departure: datetime) -> datetime | None:
    """When a docked list received after the departure, no longer listing the vehicle,
    arrived (None: none has; the schedule alone does not undock it)."""
    docked = state.docked
    if docked is None or docked.received_at < departure:
        return None
    if any(vehicle_key(v.name) == key for v in docked.value.vehicles):
        return None
    return docked.received_at


def next_event(timelines: list[Timeline], now: datetime) -> tuple[Timeline, Phase] | None:
    """The soonest phase not done, over all vehicles: one to come, or an estimate whose time
    passed without confirmation (it is not skipped: it may be late, or may not happen)."""
    pending = [(t, p) for t in timelines for p in t.phases if not p.done]
    return min(pending, key=lambda tp: tp[1].time, default=None)


def last_event(timelines: list[Timeline], now: datetime) -> tuple[Timeline, Phase] | None:
    """The latest phase done."""
    past = [(t, p) for t in timelines for p in t.phases if p.done]
    return max(past, key=lambda tp: tp[1].time, default=None)


def docked_vehicles(state: MissionState, now: datetime) -> list[DockedVehicle]:
    """The docked list as its source gives it. A docking the schedule says has happened but the
    hand-kept list does not show yet is not added (the timeline says it is expected, not
    confirmed), and a vehicle the list shows stays on it past its scheduled departure."""
    return list(state.docked.value.vehicles) if state.docked else []
