"""Who is aboard: the crew roster built from the crew feeds (pure; no Textual).

`crew` (corquaid) is the rich source; `astros` (Open Notify, names and craft only) stands in
when `crew` is down or older, and the two are compared so a disagreement is shown, not hidden.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from issdash.feeds.adapters.crew import CrewMember, CrewReport
from issdash.feeds.names import NameIndex
from issdash.feeds.registry import Received
from issdash.model.certainty import Unknown, unknown
from issdash.model.state import MissionState

DAY_S = 86400.0


@dataclass(frozen=True, slots=True)
class RosterPerson:
    name: str
    country: str | None
    agency: str | None
    role: str | None
    spacecraft: str | None
    launched: datetime | None
    days_on_mission: int | None
    days_in_space: int | None
    is_commander: bool


@dataclass(frozen=True, slots=True)
class CountryGroup:
    """People of one nationality; `country` None is "unknown nationality"."""

    country: str | None
    people: tuple[RosterPerson, ...]


@dataclass(frozen=True, slots=True)
class Roster:
    source: str
    received_at: datetime
    stale: bool
    groups: tuple[CountryGroup, ...]
    expedition: int | None
    elsewhere: tuple[tuple[str, int], ...]  # (station, count), largest first
    disagreement: str | None

    @property
    def aboard(self) -> int:
        return sum(len(g.people) for g in self.groups)

    @property
    def by_country(self) -> dict[str | None, int]:
        return {g.country: len(g.people) for g in self.groups}

    @property
    def elsewhere_count(self) -> int:
        return sum(n for _, n in self.elsewhere)


def choose_source(state: MissionState) -> Received[CrewReport] | None:
    """`crew` unless it is missing, or failing while `astros` has newer data."""
    crew, astros = state.crew, state.astros
    if crew is None:
        return astros
    if astros is None:
        return crew
    health = state.feeds.get("crew")
    crew_failing = health is not None and health.last_error is not None
    if crew_failing and astros.received_at > crew.received_at:
        return astros
    return crew


def _person(member: CrewMember, now: datetime) -> RosterPerson:
    on_mission: int | None = None
    if member.launched is not None:
        on_mission = max(0, math.floor((now - member.launched).total_seconds() / DAY_S))
    total = (
        member.prior_days + on_mission
        if member.prior_days is not None and on_mission is not None
        else None
    )
    return RosterPerson(
        name=member.name,
        country=member.country,
        agency=member.agency,
        role=member.role,
        spacecraft=member.spacecraft,
        launched=member.launched,
        days_on_mission=on_mission,
        days_in_space=total,
        is_commander=member.is_commander,
    )


def _seniority(p: RosterPerson) -> tuple[bool, float, str]:
    """Commander first, then who has been aboard longest, then by name."""
    return (not p.is_commander, p.launched.timestamp() if p.launched else math.inf, p.name)


def group_by_country(people: list[RosterPerson]) -> tuple[CountryGroup, ...]:
    """Largest group first (then by code, unknown last); commander first within a group."""
    counts = Counter(p.country for p in people)
    order = sorted(counts, key=lambda c: (-counts[c], c is None, c or ""))
    return tuple(
        CountryGroup(
            country=code,
            people=tuple(
                sorted(
                    (p for p in people if p.country == code),
                    key=_seniority,
                )
            ),
        )
        for code in order
    )


# The last two reports compared and the verdict: the dashboard asks every second, and the
# reports (immutable) change only when a source answers anew; comparing their names is a
# tenth of an idle tick.
_compared: tuple[CrewReport, CrewReport, str | None] | None = None


def describe_disagreement(primary: CrewReport, other: CrewReport) -> str | None:
    """A short sentence when two sources disagree on who is aboard the ISS."""
    global _compared
    last = _compared
    if last is not None and last[0] is primary and last[1] is other:
        return last[2]
    said = _disagreement(primary, other)
    _compared = (primary, other, said)
    return said


def _disagreement(primary: CrewReport, other: CrewReport) -> str | None:
    a, b = primary.on_iss, other.on_iss
    if len(a) != len(b):
        return f"{other.source} lists {len(b)} aboard, {primary.source} {len(a)}"
    listed = NameIndex(q.name for q in b)
    missing = [p.name for p in a if listed.find(p.name) is None]
    if missing:
        return f"{other.source} does not list {missing[0]}" + (
            f" (+{len(missing) - 1})" if len(missing) > 1 else ""
        )
    return None


def build_roster(state: MissionState, now: datetime) -> Roster | None:
    chosen = choose_source(state)
    if chosen is None:
        return None
    report = chosen.value
    other = state.astros if chosen is state.crew else state.crew
    disagreement = describe_disagreement(report, other.value) if other is not None else None
    aboard = [_person(m, now) for m in report.on_iss]
    elsewhere = Counter(m.station for m in report.people if not m.on_iss)
    feed = "crew" if report.source == "corquaid" else "astros"
    health = state.feeds.get(feed)
    stale = health is not None and health.state(now) != "ok"
    return Roster(
        source=report.source,
        received_at=chosen.received_at,
        stale=stale,
        groups=group_by_country(aboard),
        expedition=report.expedition if report.expedition is not None else _expedition_from(state),
        elsewhere=tuple(elsewhere.most_common()),
        disagreement=disagreement,
    )


def _expedition_from(state: MissionState) -> int | None:
    crew = state.crew
    return crew.value.expedition if crew is not None else None


@dataclass(frozen=True, slots=True)
class RosterView:
    """The crew panel's view."""

    now: datetime
    roster: Roster | None
    flags: str = "emoji"
    # Why there is no roster: no crew feed has an answer recent enough (None: not said).
    unknown: Unknown | None = None


def build_crew_view(
    state: MissionState, known: MissionState, now: datetime, flags: str
) -> RosterView:
    """`known` is `state` without the answers too old to describe now."""
    return RosterView(now, build_roster(known, now), flags, unknown(state, "crew", now))
