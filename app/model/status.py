"""`issdash status --json`: the state as one JSON object (a public interface, see README).

The output is strict JSON (issdash.model.strict_json): never NaN or Infinity, any non-finite
number that slipped through said as null.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from issdash.feeds.clock import iso_z
from issdash.model.certainty import Unknown, feed_trouble, part_gaps, trusted, unknown
from issdash.model.crew_roster import build_roster
from issdash.model.manoeuvres import events_json, trajectory_events
from issdash.model.orbit import ElementsUnusable
from issdash.model.orbit_source import NO_DISAGREEMENT, disagreement_notices
from issdash.model.passes.finder import Pass
from issdash.model.passes.upcoming import (
    approximate_at,
    pass_json,
    passes_withheld,
    upcoming_passes,
)
from issdash.model.state import MissionState
from issdash.model.station import StationModel
from issdash.model.strict_json import dumps_strict
from issdash.model.telemetry import (
    EngineCache,
    Orbit,
    orbit_at,
)
from issdash.model.visits.timeline import (
    AWAITING,
    build_timelines,
    docked_vehicles,
    last_event,
    next_event,
)


def build_status(state: MissionState, now: datetime, min_elevation_deg: float) -> dict[str, Any]:
    """Everything `status --json` prints, computed at `now`.

    What is not known is null, never empty: `"docked": []` means the list was read and is
    empty, `"docked": null` that it could not be, with the reason in `notices`. `degraded` is
    true when an enabled feed is not answering well or a part is not known; the command then
    exits with status 3.
    """
    orbit = orbit_at(EngineCache(), state, now)
    position: dict[str, Any] | None = None
    position_api: dict[str, Any] | None = None
    # Null without usable elements, or withheld (not known); empty when known to be none (or
    # no observer).
    passes: list[dict[str, Any]] | None = None
    element_notices: list[str] = []
    elements: dict[str, Any] | None = None
    if orbit is not None:
        choice = orbit.choice
        element_notices.extend(choice.notices())
        error = choice.error
        elements = {
            "epoch": iso_z(choice.elements.epoch),
            "origin": choice.info.origin,
            "age_h": round(choice.age_h, 2),
            "epoch_after_time": choice.after_time,
            "expected_error_km": round(error.median_km, 1),
            "expected_error_p90_km": round(error.p90_km, 1),
            "approximate": error.level != "good",
            "usable": orbit.problem is None,
            "problem": orbit.problem,
        }
    if orbit is not None and orbit.telemetry is not None:
        telemetry = orbit.telemetry
        station = telemetry.station
        error_now = telemetry.error or orbit.choice.error
        position = {
            "latitude_deg": round(station.latitude_deg, 6),
            "longitude_deg": round(station.longitude_deg, 6),
            "altitude_km": round(station.altitude_km, 3),
            "speed_km_s": round(station.speed_km_s, 4),
            "sunlit": station.sunlit,
            "orbit_number": station.orbit_number,
            "elements_epoch": iso_z(telemetry.elements_epoch),
            "elements_age_h": round(telemetry.elements_age_h, 2),
            "elements_origin": telemetry.elements_origin,
            "elements_epoch_after_time": telemetry.elements_after_time,
            # The error where the position comes from (NASA's trajectory, CelesTrak's fit to
            # it, the elements), see `orbit`.
            "expected_error_km": round(error_now.median_km, 1),
            "approximate": error_now.level != "good",
            # False: elements too far from their epoch to place the station at all (the map's
            # "somewhere here"); the numbers above are then a propagation nobody can trust.
            "position_known": error_now.position_known,
            "source": telemetry.source.kind if telemetry.source is not None else None,
        }
        if telemetry.fix is not None and telemetry.residual_km is not None:
            fix = telemetry.fix
            position_api = {
                "source": fix.source,
                "timestamp": iso_z(fix.timestamp),
                "latitude_deg": fix.latitude_deg,
                "longitude_deg": fix.longitude_deg,
                "residual_km": round(telemetry.residual_km, 3),
            }
        engine = orbit.engine
        withheld = passes_withheld(orbit.choice, state.feeds.get("tle"), engine.source_at(now))
        found: list[Pass] = []
        if withheld is not None:
            element_notices.append(f"passes withheld: {withheld}")
        else:
            try:
                found = upcoming_passes(orbit.engine, state.observer, now, min_elevation_deg)
                passes = []
            except ElementsUnusable as exc:
                element_notices.append(f"passes withheld: {exc}")
            for p in found:
                assert passes is not None
                source = engine.source_at(p.rise)
                age_h = engine.elements_age_h(p.rise)
                approximate = approximate_at(source, age_h)
                passes.append(
                    pass_json(p, approximate, orbit_source=source.kind if source else None)
                )
    feeds: dict[str, Any] = {}
    for name, health in state.feeds.items():
        age = health.age_s(now)
        feeds[name] = {
            "state": health.state(now),
            "age_s": round(age, 1) if age is not None else None,
            "error": health.last_error,
        }
        # Only where there is something to say: what it sent is dated after its arrival.
        future = health.source_time_problem(now)
        if future is not None:
            feeds[name]["data_from_future"] = future
    notices = [*state.notices, *element_notices]
    gaps = [u for part in ("crew", "docked", "schedule") if (u := unknown(state, part, now))]
    notices += [u.notice for u in gaps]
    schedule_part = part_gaps(state, "schedule", now)
    if schedule_part and not any(u.part == "schedule" for u in gaps):
        partly = Unknown("schedule", schedule_part)
        notices.append(f"schedule known only in part ({partly.reason})")
    event = next_event_status(state, now)
    # Past its time with no source confirming it: said, and the report is degraded (exit 3),
    # so a script is not told a docking happened on the schedule's word.
    overdue = event is not None and bool(event.get("overdue"))
    if event is not None and overdue:
        notices.append(
            f"{event['kind']} of {event['vehicle']} expected {event['time']}, not confirmed"
            f" ({event['awaiting']})"
        )
    if orbit is None:
        notices.append("position not known (no orbital elements)")
    station_model = state.station or StationModel()
    # Telemetry dated in the future was set aside: a clock is wrong (ISSLIVE's or ours), so
    # nothing it says about now can be vouched for; said, and degraded (exit 3).
    future_telemetry = station_model.future_notice(now)
    if future_telemetry is not None:
        notices.append(future_telemetry)
    notices += feed_time_notices(state)
    trouble = feed_trouble(state, now)
    # No position, or elements too old for passes to be offered, is degraded data too.
    elements_degraded = position is None or (
        orbit is not None
        and orbit.telemetry is not None
        and (orbit.telemetry.error or orbit.choice.error).level != "good"
    )
    orbit_part = orbit_status(state, now, orbit)
    notices += orbit_part.pop("notices")
    degraded = (
        bool(trouble)
        or elements_degraded
        or any(not u.only_switched_off for u in gaps)
        or future_telemetry is not None
    )
    return {
        "time": iso_z(now),
        "mode": state.mode,
        "position": position,
        "position_api": position_api,
        "elements": elements,
        "elements_age_h": elements["age_h"] if elements else None,
        "expected_error_km": elements["expected_error_km"] if elements else None,
        "passes": passes,
        "crew": crew_status(state, now),
        "docked": docked_status(state, now),
        "station": station_model.to_json(now),
        "next_event": event,
        "last_event": last_event_status(state, now),
        "orbit": orbit_part,
        "feeds": feeds,
        "notices": notices,
        "degraded": degraded or overdue,
    }


def orbit_status(state: MissionState, now: datetime, orbit: Orbit | None) -> dict[str, Any]:
    """`status --json`'s `orbit`: where the position at `now` comes from (`source`: "nasa-oem",
    "celestrak-supgp", "elements" or "bundled"), when that source was made and what it spans,
    its expected error, how far the other sources are from NASA's trajectory, and the
    manoeuvres planned.

    `events`: NASA's trajectory's events from 6 h before `now` to the end of its span
    (issdash.model.manoeuvres); `events_known` is false when no trajectory is held (the list is
    then empty because nothing is known, not because nothing is planned). `notices` (taken out
    by the caller into the report's notices): sources that disagree by more than 20 km, and a
    trajectory that does not cover `now`."""
    held = state.oem
    events = events_json(trajectory_events(held.value, now)) if held is not None else None
    source = orbit.engine.source_at(now) if orbit is not None else None
    compared = orbit.engine.disagreement(now) if orbit is not None else NO_DISAGREEMENT
    error_km: float | None = None
    if orbit is not None and orbit.telemetry is not None and orbit.telemetry.error is not None:
        error_km = orbit.telemetry.error.median_km
    elif source is not None:
        error_km = source.expected_error_km
    notices = disagreement_notices(compared)
    if held is not None and source is not None and source.kind != "nasa-oem":
        header = held.value.header
        notices.append(
            f"NASA trajectory covers {iso_z(header.start)} to {iso_z(header.stop)}: at"
            f" {iso_z(now)} the position is from {source.label}"
        )
    return {
        "source": source.kind if source is not None else None,
        "label": source.label if source is not None else None,
        "created": iso_z(source.created) if source and source.created else None,
        "span": [iso_z(t) for t in source.span] if source and source.span else None,
        "age_h": round(source.age_h, 2) if source and source.age_h is not None else None,
        "expected_error_km": round(error_km, 3) if error_km is not None else None,
        "why": source.why if source is not None else None,
        "disagreement_km": {
            kind: round(d.distance_km, 3) if d is not None else None for kind, d in compared.items()
        },
        "along_track_s": {
            kind: round(d.along_track_s, 2) if d is not None else None
            for kind, d in compared.items()
        },
        "events": events or [],
        "events_known": events is not None,
        "notices": notices,
    }


def feed_time_notices(state: MissionState) -> list[str]:
    """A notice for every feed whose data is dated after it arrived (an element set's epoch
    in the future): such a feed is stale, never ok, whatever it answers."""
    return [
        f"{name}: {words}"
        for name, health in state.feeds.items()
        if health.enabled and (words := health.data_from_future()) is not None
    ]


def crew_status(state: MissionState, now: datetime) -> dict[str, Any] | None:
    """The roster as JSON; `by_country` keys are ISO alpha-2, "unknown" for no nationality.
    Null when no crew feed has an answer recent enough (see issdash.model.certainty)."""
    roster = build_roster(trusted(state, now), now)
    if roster is None:
        return None
    return {
        "aboard": roster.aboard,
        "by_country": {(code or "unknown"): n for code, n in roster.by_country.items()},
        "expedition": roster.expedition,
        "source": roster.source,
        "stale": roster.stale,
        "disagreement": roster.disagreement,
        "people": [
            {
                "name": p.name,
                "country": p.country,
                "agency": p.agency,
                "role": p.role,
                "spacecraft": p.spacecraft,
                "launched": iso_z(p.launched) if p.launched else None,
                "days_on_mission": p.days_on_mission,
                "days_in_space": p.days_in_space,
            }
            for group in roster.groups
            for p in group.people
        ],
        "elsewhere": roster.elsewhere_count,
        "elsewhere_by_station": dict(roster.elsewhere),
    }


def next_event_status(state: MissionState, now: datetime) -> dict[str, Any] | None:
    """The soonest phase not done for any visiting vehicle: one to come, or one whose time
    (scheduled or estimated) passed with no source confirming it (`overdue`, negative
    `t_minus_s`, `awaiting` what would confirm it). Null when nothing is scheduled or when the
    schedule is not known (then `notices` says why)."""
    if unknown(state, "schedule", now) is not None:
        return None
    known = trusted(state, now)
    found = next_event(build_timelines(known, now), now)
    if found is None:
        return None
    timeline, phase = found
    overdue = phase.unconfirmed(now)
    event: dict[str, Any] = {
        "kind": phase.kind,
        "vehicle": timeline.vehicle,
        "time": iso_z(phase.time),
        "t_minus_s": round((phase.time - now).total_seconds(), 1),
        "estimated": phase.estimated,
        "overdue": overdue,
        "awaiting": AWAITING[phase.kind] if overdue else None,
        "port": timeline.port,
    }
    if phase.slip is not None:
        event["slipped_from"] = iso_z(phase.slip.previous)
    return event


def last_event_status(state: MissionState, now: datetime) -> dict[str, Any] | None:
    """The latest phase a source confirmed, with the same one time the timeline and the
    banner show (`estimated` when that time is the profile's guess) and, apart, when the
    confirming answer arrived (`confirmed_by`). Null when none is (or the schedule is not
    known)."""
    if unknown(state, "schedule", now) is not None:
        return None
    found = last_event(build_timelines(trusted(state, now), now), now)
    if found is None:
        return None
    timeline, phase = found
    return {
        "kind": phase.kind,
        "vehicle": timeline.vehicle,
        "time": iso_z(phase.time),
        "estimated": phase.estimated,
        "confirmed_by": iso_z(phase.confirmed_at) if phase.confirmed_at else None,
        "port": timeline.port,
    }


def docked_status(state: MissionState, now: datetime) -> list[dict[str, Any]] | None:
    """The vehicles docked now; null when the docked list is not known."""
    if unknown(state, "docked", now) is not None:
        return None
    return [
        {
            "name": v.name,
            "type": v.type,
            "port": v.port,
            "docked": iso_z(v.docked) if v.docked else None,
        }
        for v in docked_vehicles(trusted(state, now), now)
    ]


def dumps_status(status: dict[str, Any]) -> str:
    """The status as strict JSON (never NaN or Infinity, which JSON parsers reject)."""
    return dumps_strict(status)
