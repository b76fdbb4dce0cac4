"""The visiting-vehicle timeline: launch, insertion, docking, hatch; undocking, landing.

Built from the schedule feeds and the docked list (pure; no Textual). Where the schedule gives
a launch but no docking time, the docking is estimated from the vehicle's rendezvous profile and
marked so. When a newer schedule moves a time, the slip is kept and shown.

An estimate stays an estimate after its time passes: it is done only when a source confirms it
(orbit insertion: the launch reported a success; docking: the docked list; hatch opening: the
crew list shows the vehicle's crew aboard the station; landing: a crew list from after it no
longer has anyone from the vehicle), or when a later phase of the same vehicle is done. Until
then it is "expected HH:MM, not confirmed", and it stays the next event.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from issdash.feeds.adapters.crew import CrewReport
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
# How long a finished timeline stays on screen as "the last event".
RECENT = timedelta(hours=12)


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

    @property
    def label(self) -> str:
        return PHASE_LABELS[self.kind]

    @property
    def status(self) -> str:
        """scheduled, estimated, unconfirmed (an estimate whose time passed) or done."""
        if self.done:
            return "done"
        return "estimated" if self.estimated else "scheduled"

    def unconfirmed(self, now: datetime) -> bool:
        """An estimated time that has passed with no source confirming the event."""
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
    docked_now: bool = False
    sources: dict[str, datetime] = field(default_factory=dict)


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
    docked = docked_vehicles(state, now)
    for vehicle in docked:
        key = vehicle_key(vehicle.name)
        if key in builders:
            builders[key].docked_now = True
            builders[key].port = builders[key].port or vehicle.port
    timelines = [t for b in builders.values() if (t := _timeline(b, state, now)) is not None]
    return sorted(timelines, key=lambda t: t.phases[0].time)


def _timeline(b: _Builder, state: MissionState, now: datetime) -> Timeline | None:
    profile = profile_for(b.vehicle)
    key = vehicle_key(b.vehicle)
    phases: list[Phase] = []

    def add(kind: PhaseKind, time: datetime | None, estimated: bool, confirmed: bool) -> None:
        # A scheduled time that passed is taken as done (the schedule is a source); an
        # estimate needs a source of its own.
        if time is not None:
            done = confirmed or (not estimated and time <= now)
            phases.append(Phase(kind, time, estimated, done, state.slips.get(f"{key}|{kind}")))

    arriving = b.launch is not None and (b.docking is None or b.docking > now - RECENT)
    if arriving:
        add("launch", b.launch, estimated=False, confirmed=False)
        if profile is not None and b.launch is not None:
            succeeded = (b.launch_status or "").strip().lower() == "success"
            add("insertion", b.launch + profile.insertion, estimated=True, confirmed=succeeded)
    docking = b.docking
    estimated_docking = False
    if docking is not None and b.launch is not None and docking < b.launch:
        # The launch moved (a scrub) and the docking schedule has not caught up: a docking
        # cannot come before its launch, so that time is stale.
        docking = None
    if docking is None and b.launch is not None and profile is not None and profile.docking:
        docking, estimated_docking = b.launch + profile.docking, True
    if arriving or (docking is not None and docking > now - RECENT):
        add("docking", docking, estimated_docking, confirmed=b.docked_now)
        if profile is not None and profile.hatch is not None and docking is not None:
            aboard = _crew_aboard(state, key)
            add("hatch", docking + profile.hatch, estimated=True, confirmed=aboard)
    if b.departure is not None and b.departure > now - RECENT:
        add("undocking", b.departure, estimated=False, confirmed=False)
        if profile is not None and profile.landing is not None:
            landing = b.departure + profile.landing
            add("landing", landing, estimated=True, confirmed=_crew_gone(state, key, landing))
    if not phases:
        return None
    phases.sort(key=lambda p: p.time)
    # A phase done means every earlier one happened (a docking confirms the insertion).
    last_done = max((i for i, p in enumerate(phases) if p.done), default=-1)
    phases = [replace(p, done=True) if i < last_done else p for i, p in enumerate(phases)]
    crewed = profile.crewed if profile else False
    return Timeline(b.vehicle, b.port, crewed, tuple(phases), b.launch_status)


def _crew_reports(state: MissionState) -> list[CrewReport]:
    return [r.value for r in (state.crew, state.astros) if r is not None]


def _crew_aboard(state: MissionState, key: str) -> bool:
    """A crew list shows someone who came on this vehicle aboard the station."""
    return any(
        p.spacecraft and vehicle_key(p.spacecraft) == key
        for report in _crew_reports(state)
        for p in report.on_iss
    )


def _crew_gone(state: MissionState, key: str, landing: datetime) -> bool:
    """A crew list received after the landing lists nobody from this vehicle in space."""
    return any(
        r.received_at >= landing
        and not any(p.spacecraft and vehicle_key(p.spacecraft) == key for p in r.value.people)
        for r in (state.crew, state.astros)
        if r is not None and r.value.source == "corquaid"
    )


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
    """The docked list, plus a vehicle whose scheduled docking has passed but that the
    hand-maintained list does not show yet (it lags reality)."""
    vehicles = list(state.docked.value.vehicles) if state.docked else []
    known = {vehicle_key(v.name) for v in vehicles}
    for docking in state.dockings.value.dockings if state.dockings else ():
        key = vehicle_key(docking.vehicle)
        departed = docking.departure is not None and docking.departure <= now
        if docking.docking <= now and not departed and key not in known:
            profile = profile_for(docking.vehicle)
            kind: Literal["crew", "cargo"] = "crew" if profile and profile.crewed else "cargo"
            vehicles.append(
                DockedVehicle(
                    name=docking.vehicle, type=kind, port=docking.port, docked=docking.docking
                )
            )
            known.add(key)
    # A vehicle whose scheduled departure has passed has left, whatever the list says.
    departed_keys = {
        vehicle_key(d.vehicle)
        for d in (state.dockings.value.dockings if state.dockings else ())
        if d.departure is not None and d.departure <= now
    }
    return [v for v in vehicles if vehicle_key(v.name) not in departed_keys]
