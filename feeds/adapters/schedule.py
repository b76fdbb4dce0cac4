"""Adapters for the schedule feeds: `launches` and `dockings` (Launch Library 2) and `docked`
(corquaid iss-docked-spacecraft).

All text is untrusted and cleaned here. Times are validated: a schedule decades out or before
the station existed is a broken field, not an event to count down to.
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from issdash.feeds.clock import ensure_utc, parse_iso_utc
from issdash.feeds.source_time import ahead_s, ahead_words, from_future
from issdash.feeds.sources import FeedError, RawResponse
from issdash.feeds.text import clean_text
from issdash.feeds.validation import json_body, unix_time
from issdash.feeds.values import FrozenModel, UtcDatetime

log = logging.getLogger(__name__)

TEXT_MAX = 40
STATION_EPOCH = datetime(1998, 11, 20, tzinfo=UTC)
# A launch schedule looks a few years ahead at most.
SCHEDULE_HORIZON = timedelta(days=5 * 365)
# Launch Library pages hold at most 100 results and the docked list a dozen vehicles: more
# is a broken or hostile answer. Only this many are parsed, so neither the parse nor the
# timelines rebuilt every second grow with what an upstream sends.
MAX_SCHEDULE_ENTRIES = 100
# A crew vehicle carries a handful of people: a longer list is broken, and is cut here.
MAX_LAUNCH_CREW = 8


class LaunchCrewMember(FrozenModel):
    """One person launching, as Launch Library lists them."""

    name: str
    role: str | None = None  # "Commander", "Flight Engineer", ...
    country_code: str | None = None  # ISO 3166 alpha-2, from the first nationality
    agency: str | None = None  # the agency's abbreviation, e.g. "NASA"


class Launch(FrozenModel):
    """An upcoming (or recent) launch to the station."""

    id: str
    vehicle: str  # the spacecraft or mission, e.g. "Soyuz MS-27"
    rocket: str | None = None
    net: UtcDatetime
    status: str | None = None  # LL2 abbreviation: Go, TBD, TBC, Hold, Success, ...
    pad: str | None = None
    # The pad's place, both or neither: a plausible pair, else not known.
    pad_latitude_deg: float | None = None
    pad_longitude_deg: float | None = None
    # None: the answer says nothing about a crew (not "no crew"); () an empty list.
    crew: tuple[LaunchCrewMember, ...] | None = None


class Docking(FrozenModel):
    """A docking event: a vehicle's arrival at a port, and its departure when known."""

    id: str
    vehicle: str
    docking: UtcDatetime
    departure: UtcDatetime | None = None
    port: str | None = None
    launch_id: str | None = None
    launch_net: UtcDatetime | None = None


class DockedVehicle(FrozenModel):
    name: str
    type: Literal["crew", "cargo"]
    port: str | None = None
    docked: UtcDatetime | None = None
    launched: UtcDatetime | None = None
    crew: tuple[str, ...] = ()


class Launches(FrozenModel):
    launches: tuple[Launch, ...]


class Dockings(FrozenModel):
    dockings: tuple[Docking, ...]


class Docked(FrozenModel):
    vehicles: tuple[DockedVehicle, ...]


class _Loose(BaseModel):
    # Built when an answer is first read (see FrozenModel); inherited by the upstream shapes.
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False, defer_build=True)


class _LL2Launch(_Loose):
    id: str | int
    name: str = Field(min_length=1)
    net: str
    status: dict[str, Any] | None = None
    mission: dict[str, Any] | None = None
    rocket: dict[str, Any] | None = None
    pad: dict[str, Any] | None = None


class _LL2Docking(_Loose):
    id: str | int
    docking: str
    departure: str | None = None
    docking_location: dict[str, Any] | None = None
    flight_vehicle_chaser: dict[str, Any] | None = None
    payload_flight_chaser: dict[str, Any] | None = None


class _CorquaidCraft(_Loose):
    name: str = Field(min_length=1)
    mission_type: str | None = None
    docking_port: str | None = None
    docked: float | None = None
    launched: float | None = None
    iss: bool | None = None
    crew: list[Any] | None = None


def _json_object(raw: RawResponse, list_key: str) -> list[Any]:
    data = json_body(raw, "schedule data")
    if not isinstance(data, dict):
        raise FeedError(f"expected a JSON object, got {type(data).__name__}")
    if "detail" in data and list_key not in data:
        # LL2 explains throttling and errors in a "detail" field.
        raise FeedError(f"Launch Library says: {clean_text(data['detail'], 80)}")
    items = data.get(list_key)
    if not isinstance(items, list):
        raise FeedError(f"no {list_key} list in the response")
    if len(items) > MAX_SCHEDULE_ENTRIES:
        log.warning(
            "%d %s in one answer; using the first %d", len(items), list_key, MAX_SCHEDULE_ENTRIES
        )
        return items[:MAX_SCHEDULE_ENTRIES]
    return items


def _time(text: Any, now: datetime, what: str) -> datetime:
    if not isinstance(text, str):
        raise ValueError(f"{what} is not a time")
    when = parse_iso_utc(text)
    if when < STATION_EPOCH or when > ensure_utc(now) + SCHEDULE_HORIZON:
        raise ValueError(f"{what} {when:%Y-%m-%d} is implausible")
    return when


def _unix(seconds: float | None, now: datetime) -> datetime | None:
    """A time the docked list states as past (launched, docked), or None when it is not
    plausible: before the station, or later than the answer that says it happened."""
    when = unix_time(seconds)
    if when is None or when < STATION_EPOCH:
        return None
    if from_future(when, ensure_utc(now)):
        log.warning(
            "docked list: a time %s ahead of the answer; taken as unknown",
            ahead_words(ahead_s(when, ensure_utc(now))),
        )
        return None
    return when


def _text(value: Any, limit: int = TEXT_MAX) -> str | None:
    """Cleaned text, or None (unknown) for what is not text: a list, an object or a number
    where a name belongs is a broken field, not a name ("['Soyuz MS-27']", "98765")."""
    if not isinstance(value, str):
        return None
    cleaned = clean_text(value, limit)
    return cleaned or None


def vehicle_from_launch_name(name: str) -> str:
    """LL2 names launches "Rocket | Mission": the part after the bar names the vehicle."""
    return name.split("|", 1)[1].strip() if "|" in name else name.strip()


def _refuse_if_all_invalid(total: int, invalid: int, what: str) -> None:
    """Entries came but none was usable: that is a broken response, not "nothing scheduled",
    and must not replace the last good data with emptiness."""
    if total and invalid == total:
        raise FeedError(f"none of the {total} {what} entries is valid")


def parse_launches(raw: RawResponse, now: datetime) -> Launches:
    launches: list[Launch] = []
    items = _json_object(raw, "results")
    invalid = 0
    for item in items:
        try:
            row = _LL2Launch.model_validate(item)
            mission = row.mission or {}
            vehicle = _text(mission.get("name")) or _text(vehicle_from_launch_name(row.name))
            if not vehicle:
                raise ValueError("no vehicle name")
            rocket = ((row.rocket or {}).get("configuration") or {}).get("name")
            pad = row.pad or {}
            location = (pad.get("location") or {}).get("name")
            place = _pad_place(pad)
            launches.append(
                Launch(
                    id=str(row.id),
                    vehicle=vehicle,
                    rocket=_text(rocket),
                    net=_time(row.net, now, "net"),
                    status=_text((row.status or {}).get("abbrev"), 16),
                    pad=_text(
                        ", ".join(
                            p for p in (pad.get("name"), location) if isinstance(p, str) and p
                        ),
                        64,
                    ),
                    pad_latitude_deg=place[0] if place else None,
                    pad_longitude_deg=place[1] if place else None,
                    crew=_launch_crew(row.rocket),
                )
            )
        except (ValidationError, ValueError, TypeError, AttributeError) as exc:
            invalid += 1
            log.warning("skipping a launch: %s", exc)
    _refuse_if_all_invalid(len(items), invalid, "launch")
    return Launches(launches=tuple(sorted(launches, key=lambda x: x.net)))


def _degrees(value: Any, limit: float) -> float | None:
    """A coordinate as LL2 serves it (a number in 2.3.0, a numeric string in 2.2.0), or None
    when it is missing, not a finite number, or out of range."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and len(value) <= 24:
        try:
            value = float(value)
        except ValueError:
            return None
    if not isinstance(value, int | float):
        return None
    if isinstance(value, int) and not -limit <= value <= limit:
        return None  # float() of an integer of 400 digits raises OverflowError
    degrees = float(value)
    return degrees if math.isfinite(degrees) and -limit <= degrees <= limit else None


def _pad_place(pad: dict[str, Any]) -> tuple[float, float] | None:
    """The pad's latitude and longitude, when both are plausible. (0, 0) is a placeholder
    some records carry, not a launch site in the Gulf of Guinea."""
    latitude = _degrees(pad.get("latitude"), 90.0)
    longitude = _degrees(pad.get("longitude"), 180.0)
    if latitude is None or longitude is None or (latitude == 0.0 and longitude == 0.0):
        return None
    return latitude, longitude


def _country_code(nationality: Any) -> str | None:
    """ISO alpha-2 from LL2 2.3.0's nationality list (2.2.0 gave only a word: unknown)."""
    if not isinstance(nationality, list) or not nationality:
        return None
    first = nationality[0]
    code = first.get("alpha_2_code") if isinstance(first, dict) else None
    if isinstance(code, str) and len(code) == 2 and code.isascii() and code.isalpha():
        return code.upper()
    return None


def _launch_crew(rocket: dict[str, Any] | None) -> tuple[LaunchCrewMember, ...] | None:
    """The crew from `rocket.spacecraft_stage[].launch_crew` (a list in LL2 2.3.0, a single
    object in 2.2.0). None when the answer has no spacecraft stage with a crew list at all."""
    stages = (rocket or {}).get("spacecraft_stage")
    if isinstance(stages, dict):
        stages = [stages]
    if not isinstance(stages, list):
        return None
    lists = [s["launch_crew"] for s in stages if isinstance(s, dict) and "launch_crew" in s]
    if not lists:
        return None
    crew: list[LaunchCrewMember] = []
    for entries in lists:
        for entry in entries if isinstance(entries, list) else ():
            if len(crew) >= MAX_LAUNCH_CREW:
                log.warning("more than %d people in one launch crew; the rest left out", len(crew))
                return tuple(crew)
            if not isinstance(entry, dict) or not isinstance(entry.get("astronaut"), dict):
                continue
            person = entry["astronaut"]
            name = _text(person.get("name"))
            if not name:
                continue
            role = entry.get("role")
            agency = person.get("agency")
            crew.append(
                LaunchCrewMember(
                    name=name,
                    role=_text(role.get("role"), 24) if isinstance(role, dict) else None,
                    country_code=_country_code(person.get("nationality")),
                    agency=_text(agency.get("abbrev"), 12) if isinstance(agency, dict) else None,
                )
            )
    return tuple(crew)


def parse_dockings(raw: RawResponse, now: datetime) -> Dockings:
    dockings: list[Docking] = []
    items = _json_object(raw, "results")
    invalid = 0
    for item in items:
        try:
            row = _LL2Docking.model_validate(item)
            chaser = row.flight_vehicle_chaser or row.payload_flight_chaser or {}
            spacecraft = chaser.get("spacecraft") or chaser.get("payload") or {}
            launch = chaser.get("launch") or {}
            vehicle = _text(spacecraft.get("name")) or _text(
                vehicle_from_launch_name(str(launch.get("name") or ""))
            )
            if not vehicle:
                raise ValueError("no vehicle name")
            net = launch.get("net")
            dockings.append(
                Docking(
                    id=str(row.id),
                    vehicle=vehicle,
                    docking=_time(row.docking, now, "docking"),
                    departure=_time(row.departure, now, "departure") if row.departure else None,
                    port=_text((row.docking_location or {}).get("name")),
                    launch_id=str(launch["id"]) if launch.get("id") is not None else None,
                    launch_net=_time(net, now, "launch net") if net else None,
                )
            )
        except (ValidationError, ValueError, TypeError, AttributeError) as exc:
            invalid += 1
            log.warning("skipping a docking event: %s", exc)
    _refuse_if_all_invalid(len(items), invalid, "docking event")
    return Dockings(dockings=tuple(sorted(dockings, key=lambda x: x.docking)))


def parse_docked(raw: RawResponse, now: datetime) -> Docked:
    vehicles: list[DockedVehicle] = []
    items = _json_object(raw, "spacecraft")
    invalid = 0
    for item in items:
        try:
            row = _CorquaidCraft.model_validate(item)
            if row.iss is False:
                continue
            name = _text(row.name)
            if not name:
                raise ValueError("no name")
            kind: Literal["crew", "cargo"] = (
                "crew" if (row.mission_type or "").strip().lower() == "crew" else "cargo"
            )
            crew = tuple(c for c in (_text(n) for n in (row.crew or [])) if c)
            vehicles.append(
                DockedVehicle(
                    name=name,
                    type=kind,
                    port=_text(row.docking_port),
                    docked=_unix(row.docked, now),
                    launched=_unix(row.launched, now),
                    crew=crew,
                )
            )
        except (ValidationError, ValueError, TypeError) as exc:
            invalid += 1
            log.warning("skipping a docked vehicle: %s", exc)
    _refuse_if_all_invalid(len(items), invalid, "spacecraft")
    return Docked(vehicles=tuple(vehicles))


def vehicle_key(name: str) -> str:
    """One key per vehicle across sources: "Soyuz MS-27", "SOYUZ MS 27" -> "soyuzms27"."""
    return "".join(ch for ch in name.lower() if ch.isalnum())


def scheduled_times(launches: Launches | None, dockings: Dockings | None) -> dict[str, datetime]:
    """Every scheduled time by "vehicle|kind", for noticing when a schedule slips."""
    times: dict[str, datetime] = {}
    for launch in launches.launches if launches else ():
        times[f"{vehicle_key(launch.vehicle)}|launch"] = launch.net
    for docking in dockings.dockings if dockings else ():
        key = vehicle_key(docking.vehicle)
        times[f"{key}|docking"] = docking.docking
        if docking.departure is not None:
            times[f"{key}|undocking"] = docking.departure
    return times
