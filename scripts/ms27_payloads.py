"""Payloads in the upstream APIs' documented shapes (../shared/design/FEEDS.md) for the
Soyuz MS-27 day, written from public facts (../shared/design/MS27.md).

One source for both the bundled demo recording (scripts/build_ms27_recording.py) and the
tests. The element sets are CelesTrak's real ones for the day; everything else is written to
the documented field names, not copied from any capture.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

TLE_NAME = "ISS (ZARYA)"
TLE_LINE1 = "1 25544U 98067A   25097.52056586  .00011719  00000-0  21806-3 0  9999"
TLE_LINE2 = "2 25544  51.6365 297.0255 0004979  19.0825 341.0349 15.49320680504205"
TLE_TEXT = f"{TLE_NAME}\n{TLE_LINE1}\n{TLE_LINE2}\n"

OLDER_LINE1 = "1 25544U 98067A   25096.03700594  .00015269  00000+0  28194-3 0  9999"
OLDER_LINE2 = "2 25544  51.6369 304.3678 0004922  13.5339 346.5781 15.49280872503978"

# Another object in the same CelesTrak "stations" group (CSS Tianhe), with valid checksums.
TIANHE_LINE1 = "1 48274U 21035A   25097.50000000  .00020000  00000-0  23000-3 0  9994"
TIANHE_LINE2 = "2 48274  41.4700 100.0000 0005000  90.0000 270.0000 15.60000000222229"


def omm_record(**overrides: Any) -> dict[str, Any]:
    """The MS-27 day's element set as a CelesTrak OMM JSON record."""
    record: dict[str, Any] = {
        "OBJECT_NAME": "ISS (ZARYA)",
        "OBJECT_ID": "1998-067A",
        "EPOCH": "2025-04-07T12:29:36.890304",
        "MEAN_MOTION": 15.4932068,
        "ECCENTRICITY": 0.0004979,
        "INCLINATION": 51.6365,
        "RA_OF_ASC_NODE": 297.0255,
        "ARG_OF_PERICENTER": 19.0825,
        "MEAN_ANOMALY": 341.0349,
        "EPHEMERIS_TYPE": 0,
        "CLASSIFICATION_TYPE": "U",
        "NORAD_CAT_ID": 25544,
        "ELEMENT_SET_NO": 999,
        "REV_AT_EPOCH": 50420,
        "BSTAR": 0.00021806,
        "MEAN_MOTION_DOT": 0.00011719,
        "MEAN_MOTION_DDOT": 0,
    }
    record.update(overrides)
    return record


def wheretheiss(at: datetime, latitude: float, longitude: float, **overrides: Any) -> str:
    payload: dict[str, Any] = {
        "name": "iss",
        "id": 25544,
        "latitude": latitude,
        "longitude": longitude,
        "altitude": 420.3,
        "velocity": 27597.8,
        "visibility": "daylight",
        "footprint": 4490.1,
        "timestamp": int(at.timestamp()),
        "daynum": 2460773.74,
        "solar_lat": 7.3,
        "solar_lon": 93.6,
        "units": "kilometers",
    }
    payload.update(overrides)
    return json.dumps(payload)


def open_notify_now(at: datetime, latitude: float, longitude: float) -> str:
    return json.dumps(
        {
            "message": "success",
            "timestamp": int(at.timestamp()),
            "iss_position": {"latitude": f"{latitude:.4f}", "longitude": f"{longitude:.4f}"},
        }
    )


def _unix(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


# The MS-27 day's people in space (MS27.md), as rows of corquaid's people-in-space.json.
MS26 = ("Soyuz MS-26", "2024-09-11T16:23:00Z")
CREW10 = ("Crew-10 Dragon", "2025-03-14T23:03:00Z")
MS27 = ("Soyuz MS-27", "2025-04-08T05:47:15Z")
SZ19 = ("Shenzhou 19", "2024-10-29T20:27:00Z")

ISS_CREW_BEFORE_MS27: list[tuple[str, str, str, str, str, tuple[str, str], int]] = [
    ("Aleksey Ovchinin", "Russia", "ru", "Roscosmos", "Commander", MS26, 375),
    ("Ivan Wagner", "Russia", "ru", "Roscosmos", "Flight Engineer", MS26, 195),
    ("Don Pettit", "United States", "us", "NASA", "Flight Engineer", MS26, 369),
    ("Anne McClain", "United States", "us", "NASA", "Flight Engineer", CREW10, 204),
    ("Nichole Ayers", "United States", "us", "NASA", "Flight Engineer", CREW10, 0),
    ("Takuya Onishi", "Japan", "jp", "JAXA", "Flight Engineer", CREW10, 115),
    ("Kirill Peskov", "Russia", "ru", "Roscosmos", "Flight Engineer", CREW10, 0),
]
MS27_CREW = [
    ("Sergey Ryzhikov", "Russia", "ru", "Roscosmos", "Flight Engineer", MS27, 358),
    ("Alexey Zubritsky", "Russia", "ru", "Roscosmos", "Flight Engineer", MS27, 0),
    ("Jonny Kim", "United States", "us", "NASA", "Flight Engineer", MS27, 0),
]
SHENZHOU_19 = [
    ("Cai Xuzhe", "China", "cn", "CMSA", "Commander", SZ19, 182),
    ("Song Lingdong", "China", "cn", "CMSA", "Operator", SZ19, 0),
    ("Wang Haoze", "China", "cn", "CMSA", "Flight Engineer", SZ19, 0),
]


def corquaid_person(
    row: tuple[str, str, str, str, str, tuple[str, str], int], person_id: int
) -> dict[str, Any]:
    name, country, flag_code, agency, position, (craft, launched), days = row
    return {
        "id": person_id,
        "name": name,
        "country": country,
        "flag_code": flag_code,
        "agency": agency,
        "position": position,
        "spacecraft": craft,
        "launched": _unix(launched),
        "iss": craft != "Shenzhou 19",
        "days_in_space": days,
        "url": f"https://en.wikipedia.org/wiki/{name.replace(' ', '_')}",
        "image": "",
        "instagram": "",
        "twitter": "",
        "facebook": "",
    }


def corquaid_people(rows: list[Any] | None = None, expedition: int | None = 72) -> dict[str, Any]:
    """people-in-space.json after hatch opening: ten on the ISS, three on Tiangong."""
    if rows is None:
        rows = ISS_CREW_BEFORE_MS27 + SHENZHOU_19 + MS27_CREW
    people = [corquaid_person(row, i + 1) for i, row in enumerate(rows)]
    return {
        "number": len(people),
        "iss_expedition": expedition,
        "expedition_patch": "",
        "expedition_url": "",
        "expedition_image": "",
        "expedition_start_date": _unix("2024-09-23T07:37:00Z"),
        "expedition_end_date": _unix("2025-04-19T21:57:00Z"),
        "people": people,
    }


def astros(names_and_craft: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """Open Notify astros.json: names and craft only."""
    if names_and_craft is None:
        spelt = {
            "Ivan Wagner": "Ivan Vagner",
            "Alexey Zubritsky": "Aleksei Zubritskii",
            "Jonny Kim": "Jonathan Kim",
            "Don Pettit": "Donald Pettit",
        }
        rows = ISS_CREW_BEFORE_MS27 + MS27_CREW
        names_and_craft = [(spelt.get(r[0], r[0]), "ISS") for r in rows]
        names_and_craft += [(r[0], "Tiangong") for r in SHENZHOU_19]
    return {
        "message": "success",
        "number": len(names_and_craft),
        "people": [{"name": n, "craft": c} for n, c in names_and_craft],
    }


# Launch Library 2 (v2.3.0) shapes, written from FEEDS.md, for the MS-27 day. In 2.3.0 pad
# coordinates are numbers, `rocket.spacecraft_stage` is a list, and an astronaut's
# `nationality` is a list of country records (as in ../shared/reference).
LL2_RUSSIA = {
    "id": 5,
    "name": "Russia",
    "alpha_2_code": "RU",
    "alpha_3_code": "RUS",
    "nationality_name": "Russian",
    "nationality_name_composed": "Russo",
}
LL2_USA = {
    "id": 2,
    "name": "United States of America",
    "alpha_2_code": "US",
    "alpha_3_code": "USA",
    "nationality_name": "American",
    "nationality_name_composed": "Americano",
}
LL2_KAZAKHSTAN = {
    "id": 36,
    "name": "Kazakhstan",
    "alpha_2_code": "KZ",
    "alpha_3_code": "KAZ",
    "nationality_name": "Kazakh",
    "nationality_name_composed": "Kazakho",
}
_LL2_AGENCIES = {
    "RU": {"id": 63, "name": "Russian Federal Space Agency (ROSCOSMOS)", "abbrev": "RFSA"},
    "US": {"id": 44, "name": "National Aeronautics and Space Administration", "abbrev": "NASA"},
}
# Baikonur Site 31/6, where Soyuz MS-27 lifted off (public coordinates of the pad).
BAIKONUR_31_LAT_DEG = 45.996034
BAIKONUR_31_LON_DEG = 63.564003
# (name, role, ISO alpha-2) in the order Launch Library lists a Soyuz crew: commander first.
MS27_LAUNCH_CREW = [
    ("Sergey Ryzhikov", "Commander", "RU"),
    ("Alexey Zubritsky", "Flight Engineer", "RU"),
    ("Jonny Kim", "Flight Engineer", "US"),
]


def ll2_crew_member(name: str, role: str, country: str, member_id: int) -> dict[str, Any]:
    """One `launch_crew` entry: a role and an astronaut (LL2 2.3.0 `AstronautFlight`)."""
    nationality = {"RU": LL2_RUSSIA, "US": LL2_USA}[country]
    return {
        "id": member_id,
        "role": {"id": 1 if role == "Commander" else 2, "role": role, "priority": 0},
        "astronaut": {
            "id": 700 + member_id,
            "url": f"https://ll.thespacedevs.com/2.3.0/astronauts/{700 + member_id}/",
            "name": name,
            "status": {"id": 1, "name": "Active"},
            "agency": {"response_mode": "list", **_LL2_AGENCIES[country]},
            "nationality": [nationality],
            "in_space": False,
        },
    }


def ll2_launch(
    name: str,
    net: str,
    status: str = "Go",
    launch_id: str = "ms27-launch",
    mission: str | None = None,
    crew: list[tuple[str, str, str]] | None = None,
    pad_latitude: float | str | None = None,
    pad_longitude: float | str | None = None,
) -> dict[str, Any]:
    """A launch record (`mode=detailed`). `crew` adds a spacecraft stage with its launch
    crew; `pad_latitude`/`pad_longitude` the pad's place; left out, the record has neither."""
    spacecraft = mission if mission is not None else name.split("|")[-1].strip()
    rocket: dict[str, Any] = {
        "id": 8123,
        "configuration": {
            "id": 14,
            "name": name.split("|")[0].strip(),
            "full_name": name.split("|")[0].strip(),
        },
    }
    if crew is not None:
        rocket["spacecraft_stage"] = [
            {
                "id": 1500,
                "destination": "International Space Station",
                "mission_end": None,
                "spacecraft": {"id": 900, "name": spacecraft, "serial_number": None},
                "launch_crew": [
                    ll2_crew_member(who, role, country, i + 1)
                    for i, (who, role, country) in enumerate(crew)
                ],
                "onboard_crew": [],
                "landing_crew": [],
            }
        ]
    pad: dict[str, Any] = {
        "id": 85,
        "name": "31/6",
        "location": {"id": 15, "name": "Baikonur Cosmodrome, Republic of Kazakhstan"},
    }
    if pad_latitude is not None or pad_longitude is not None:
        pad.update(
            latitude=pad_latitude,
            longitude=pad_longitude,
            country=LL2_KAZAKHSTAN,
            map_url=f"https://www.google.com/maps?q={pad_latitude},{pad_longitude}",
        )
    return {
        "id": launch_id,
        "url": f"https://ll.thespacedevs.com/2.3.0/launches/{launch_id}/",
        "name": name,
        "status": {"id": 1, "name": "Go for Launch", "abbrev": status},
        "net": net,
        "net_precision": {"id": 0, "name": "Second", "abbrev": "SEC"},
        "window_start": net,
        "window_end": net,
        "mission": {
            "id": 7001,
            "name": spacecraft,
            "type": "Human Exploration",
            "orbit": {"id": 8, "name": "Low Earth Orbit", "abbrev": "LEO"},
        },
        "rocket": rocket,
        "pad": pad,
    }


def ms27_launch(status: str = "Go") -> dict[str, Any]:
    """Soyuz MS-27 as Launch Library serves it in detail: rocket, pad and its place, crew."""
    return ll2_launch(
        "Soyuz 2.1a | Soyuz MS-27",
        "2025-04-08T05:47:15Z",
        status=status,
        crew=MS27_LAUNCH_CREW,
        pad_latitude=BAIKONUR_31_LAT_DEG,
        pad_longitude=BAIKONUR_31_LON_DEG,
    )


def ll2_launches(*launches: dict[str, Any]) -> dict[str, Any]:
    if not launches:
        launches = (ll2_launch("Soyuz 2.1a | Soyuz MS-27", "2025-04-08T05:47:15Z"),)
    return {"count": len(launches), "next": None, "previous": None, "results": list(launches)}


def ll2_docking(
    vehicle: str,
    docking: str,
    port: str,
    departure: str | None = None,
    launch_net: str | None = None,
    event_id: int = 1,
) -> dict[str, Any]:
    return {
        "id": event_id,
        "url": f"https://ll.thespacedevs.com/2.3.0/docking_events/{event_id}/",
        "docking": docking,
        "departure": departure,
        "docking_location": {"id": 20, "name": port},
        "flight_vehicle_chaser": {
            "id": 900 + event_id,
            "destination": "International Space Station",
            "launch": {
                "id": f"launch-{event_id}",
                "name": f"Soyuz 2.1a | {vehicle}",
                "net": launch_net,
            },
            "spacecraft": {"id": 800 + event_id, "name": vehicle, "serial_number": None},
        },
    }


def ll2_dockings(*events: dict[str, Any]) -> dict[str, Any]:
    if not events:
        events = (
            ll2_docking(
                "Soyuz MS-26",
                "2024-09-11T19:32:00Z",
                "Rassvet nadir",
                departure="2025-04-19T21:57:00Z",
                launch_net="2024-09-11T16:23:00Z",
                event_id=1,
            ),
            ll2_docking(
                "Soyuz MS-27",
                "2025-04-08T08:57:00Z",
                "Prichal nadir",
                launch_net="2025-04-08T05:47:15Z",
                event_id=2,
            ),
        )
    return {"count": len(events), "next": None, "previous": None, "results": list(events)}


DOCKED_BEFORE_MS27 = [
    (
        "Soyuz MS-26",
        "Crew",
        "Rassvet nadir",
        "2024-09-11T16:23:00Z",
        "2024-09-11T19:32:00Z",
        ["Aleksey Ovchinin", "Ivan Wagner", "Donald Pettit"],
    ),
    (
        "Progress MS-29",
        "Cargo",
        "Poisk zenith",
        "2024-11-21T05:22:00Z",
        "2024-11-23T07:31:00Z",
        None,
    ),
    ("Progress MS-30", "Cargo", "Zvezda aft", "2025-02-27T21:24:00Z", "2025-03-01T23:02:00Z", None),
    (
        "Crew-10 Dragon",
        "Crew",
        "Harmony forward",
        "2025-03-14T23:03:00Z",
        "2025-03-16T04:04:00Z",
        ["Anne McClain", "Nichole Ayers", "Takuya Onishi", "Kirill Peskov"],
    ),
]
MS27_DOCKED = (
    "Soyuz MS-27",
    "Crew",
    "Prichal nadir",
    "2025-04-08T05:47:15Z",
    "2025-04-08T08:57:00Z",
    ["Sergey Ryzhikov", "Alexey Zubritsky", "Jonny Kim"],
)


def corquaid_docked(rows: list[Any] | None = None) -> dict[str, Any]:
    """iss-docked-spacecraft.json; by default after MS-27 docked."""
    if rows is None:
        rows = [*DOCKED_BEFORE_MS27, MS27_DOCKED]
    craft = [
        {
            "id": i + 1,
            "name": name,
            "country": "Russia" if "Soyuz" in name or "Progress" in name else "United States",
            "flag_code": "ru" if "Soyuz" in name or "Progress" in name else "us",
            "operator": "Roscosmos" if "Soyuz" in name or "Progress" in name else "SpaceX",
            "manufacturer": "Energia" if "Soyuz" in name or "Progress" in name else "SpaceX",
            "spacecraft_name": "Endurance" if "Dragon" in name else None,
            "launched": _unix(launched),
            "launch_site": "Site 31/6, Baikonur",
            "iss": True,
            "docked": _unix(docked),
            "docking_port": port,
            "launch_mass": None,
            "payload_mass": None,
            "launch_vehicle": "Soyuz 2.1a",
            "launch_vehicle_name": None,
            "mission_type": kind,
            "crew": crew,
            "mission_patch": None,
            "url": "",
            "image": "",
        }
        for i, (name, kind, port, launched, docked, crew) in enumerate(rows)
    ]
    return {"number": len(craft), "spacecraft": craft}
