"""`issdash status --json`: the state as one JSON object (a public interface, see README)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from app.events import build_timelines, docked_vehicles, next_event
from app.roster import build_roster
from app.state import MissionState
from app.telemetry import EngineCache, compute_telemetry, propagation_problem, upcoming_passes
from feeds.clock import iso_z


def build_status(state: MissionState, now: datetime, min_elevation_deg: float) -> dict[str, Any]:
    """Everything `status --json` prints, computed at `now`."""
    engine = EngineCache().get(state.elements.elements if state.elements else None)
    notices = list(state.notices)
    problem = propagation_problem(engine, now) if engine is not None else None
    if problem is not None:
        notices.append(problem)  # a position from nonsense propagation is no position
        engine = None
    position: dict[str, Any] | None = None
    position_api: dict[str, Any] | None = None
    passes: list[dict[str, Any]] = []
    if engine is not None:
        telemetry = compute_telemetry(engine, state, now)
        station = telemetry.station
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
        for p in upcoming_passes(engine, state.observer, now, min_elevation_deg):
            passes.append(
                {
                    "rise": iso_z(p.rise),
                    "culminate": iso_z(p.culminate),
                    "set": iso_z(p.set),
                    "max_elevation_deg": round(p.max_elevation_deg, 1),
                    "visible": p.visible,
                }
            )
    feeds: dict[str, Any] = {}
    for name, health in state.feeds.items():
        age = health.age_s(now)
        feeds[name] = {
            "state": health.state(now),
            "age_s": round(age, 1) if age is not None else None,
            "error": health.last_error,
        }
    return {
        "time": iso_z(now),
        "mode": state.mode,
        "position": position,
        "position_api": position_api,
        "passes": passes,
        "crew": crew_status(state, now),
        "docked": docked_status(state, now),
        "next_event": next_event_status(state, now),
        "feeds": feeds,
        "notices": notices,
    }


def crew_status(state: MissionState, now: datetime) -> dict[str, Any] | None:
    """The roster as JSON; `by_country` keys are ISO alpha-2, "unknown" for no nationality."""
    roster = build_roster(state, now)
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
    """The soonest phase to come for any visiting vehicle, or null when nothing is scheduled."""
    found = next_event(build_timelines(state, now), now)
    if found is None:
        return None
    timeline, phase = found
    event: dict[str, Any] = {
        "kind": phase.kind,
        "vehicle": timeline.vehicle,
        "time": iso_z(phase.time),
        "t_minus_s": round((phase.time - now).total_seconds(), 1),
        "estimated": phase.estimated,
        "port": timeline.port,
    }
    if phase.slip is not None:
        event["slipped_from"] = iso_z(phase.slip.previous)
    return event


def docked_status(state: MissionState, now: datetime) -> list[dict[str, Any]]:
    return [
        {
            "name": v.name,
            "type": v.type,
            "port": v.port,
            "docked": iso_z(v.docked) if v.docked else None,
        }
        for v in docked_vehicles(state, now)
    ]
