"""Build the bundled demo recording: the Soyuz MS-27 launch-and-docking day, 2025-04-08.

    .venv/bin/python scripts/build_ms27_recording.py   # writes feeds/data/ms27-2025-04-08.jsonl.gz

A reconstruction from public data, not a capture of the live APIs (which nobody recorded for
us that day):

- Orbital elements: CelesTrak's two real element sets of the day (MS27.md); the older one is
  served first and the newer one arrives at 06:30 UTC.
- Position fixes: computed every 30 s with SGP4 from the newer set, as wheretheiss.at computes
  them, in its response shape; a six-minute outage (HTTP 503) at 09:40 shows a feed failing.
- Crew, docked vehicles, launch and docking schedule: written from the public mission facts
  (MS27.md) in the shapes corquaid, Open Notify and Launch Library 2 serve (the launch in
  LL2's detailed form: rocket, pad with its coordinates, the launch crew), on each feed's
  normal schedule. The corquaid crew list gains the three MS-27 crew at 11:30, just after the
  hatches opened at 11:28; Open Notify catches up at 12:10 (it is known to lag), so the
  dashboard shows the two sources disagreeing for a while; the docked list gains Soyuz MS-27
  at 09:05, eight minutes after docking.

The replay starts at 05:44, three minutes before launch; earlier entries are what each feed
had already answered by then, so the screen is complete from the first second.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from issdash.config.settings import Settings  # noqa: E402
from issdash.feeds.adapters.tle import parse_elements  # noqa: E402
from issdash.feeds.recording import Entry, RecordingWriter  # noqa: E402
from issdash.feeds.registry import LL2  # noqa: E402
from issdash.feeds.sources import RawResponse  # noqa: E402
from issdash.model.orbit import EARTH_RADIUS_KM, OrbitEngine, footprint_radius_rad  # noqa: E402
from scripts.fixtures.ms27_payloads import (  # noqa: E402
    DOCKED_BEFORE_MS27,
    ISS_CREW_BEFORE_MS27,
    MS27_CREW,
    OLDER_LINE1,
    OLDER_LINE2,
    SHENZHOU_19,
    TLE_LINE1,
    TLE_LINE2,
    TLE_NAME,
    astros,
    corquaid_docked,
    corquaid_people,
    ll2_dockings,
    ll2_launches,
    ms27_launch,
)

OUT = ROOT / "feeds" / "data" / "ms27-2025-04-08.jsonl.gz"
DAY = datetime(2025, 4, 8, tzinfo=UTC)
FIRST = DAY.replace(hour=4, minute=30)
START = DAY.replace(hour=5, minute=44)
END = DAY.replace(hour=13, minute=0)
LAUNCH = DAY.replace(hour=5, minute=47, second=15)
DOCKED_LIST_UPDATED = DAY.replace(hour=9, minute=5)
CREW_LIST_UPDATED = DAY.replace(hour=11, minute=30)
ASTROS_UPDATED = DAY.replace(hour=12, minute=10)
NEW_ELEMENTS_AT = DAY.replace(hour=6, minute=30)
OUTAGE = (DAY.replace(hour=9, minute=40), DAY.replace(hour=9, minute=46))

TITLE = "Soyuz MS-27 launch and docking, 2025-04-08 (reconstruction)"
DESCRIPTION = (
    "A reconstruction from public data, not a capture of the live APIs: the Soyuz MS-27 day, "
    "2025-04-08. Soyuz 2.1a lifts off from Baikonur at 05:47:15 UTC with Jonny Kim, Sergey "
    "Ryzhikov and Alexey Zubritsky, docks to Prichal about three hours later, and after the "
    "hatches open the station holds ten. Orbital elements are CelesTrak's real sets of the day; "
    "position fixes are computed from them with SGP4 as wheretheiss.at does; crew, docked "
    "vehicles and the launch and docking schedule are written from public mission facts in the "
    "shapes the real APIs serve."
)

OPEN_NOTIFY_SPELLING = {
    "Ivan Wagner": "Ivan Vagner",
    "Alexey Zubritsky": "Aleksei Zubritskii",
    "Jonny Kim": "Jonathan Kim",
    "Don Pettit": "Donald Pettit",
}


def every(start: datetime, step: timedelta, until: datetime = END) -> list[datetime]:
    times = []
    while start <= until:
        times.append(start)
        start += step
    return times


def tle_text(line1: str, line2: str) -> str:
    return f"{TLE_NAME}\n{line1}\n{line2}\n"


def wheretheiss_fix(engine: OrbitEngine, at: datetime) -> str:
    state = engine.state_at(at)
    sun_lat, sun_lon = engine.subsolar_point(at)
    footprint_km = 2 * EARTH_RADIUS_KM * footprint_radius_rad(state.altitude_km)
    return json.dumps(
        {
            "name": "iss",
            "id": 25544,
            "latitude": round(state.latitude_deg, 8),
            "longitude": round(state.longitude_deg, 8),
            "altitude": round(state.altitude_km, 6),
            "velocity": round(state.speed_km_s * 3600, 6),
            "visibility": "daylight" if state.sunlit else "eclipsed",
            "footprint": round(footprint_km, 6),
            "timestamp": int(at.timestamp()),
            "daynum": round(at.timestamp() / 86400 + 2440587.5, 8),
            "solar_lat": round(sun_lat, 6),
            "solar_lon": round(sun_lon % 360, 6),
            "units": "kilometers",
        }
    )


def astros_at(at: datetime) -> dict[str, object]:
    rows = ISS_CREW_BEFORE_MS27 + (MS27_CREW if at >= ASTROS_UPDATED else [])
    names = [(OPEN_NOTIFY_SPELLING.get(r[0], r[0]), "ISS") for r in rows]
    return astros(names + [(r[0], "Tiangong") for r in SHENZHOU_19])


def launches_at(at: datetime) -> dict[str, object]:
    status = "Go" if at < LAUNCH else "Success"
    return ll2_launches(ms27_launch(status))


def dockings_at(at: datetime) -> dict[str, object]:
    # The day's docking schedule did not change: MS-26 leaving Rassvet on the 19th, MS-27
    # docking to Prichal at 08:57 (the shared payload's default).
    return ll2_dockings()


def main() -> None:
    # Each update time is on its feed's polling grid, so it lands without an extra poll.
    assert NEW_ELEMENTS_AT in every(FIRST, timedelta(hours=2))
    assert CREW_LIST_UPDATED in every(FIRST, timedelta(minutes=30))
    assert ASTROS_UPDATED in every(FIRST + timedelta(minutes=10), timedelta(minutes=30))
    assert DOCKED_LIST_UPDATED in every(FIRST + timedelta(minutes=5), timedelta(minutes=30))
    urls = Settings().feeds
    newer = parse_elements(RawResponse("", 200, "", tle_text(TLE_LINE1, TLE_LINE2), DAY), DAY)
    engine = OrbitEngine(newer)
    entries: list[Entry] = []

    def add(
        feed: str, url: str, at: datetime, body: object, content_type: str = "application/json"
    ) -> None:
        text = body if isinstance(body, str) else json.dumps(body)
        entries.append(Entry(feed, url, at, 200, content_type, text))

    tle_url = urls.tle.url.replace("FORMAT=JSON", "FORMAT=TLE")
    for at in every(FIRST, timedelta(hours=2)):
        lines = (TLE_LINE1, TLE_LINE2) if at >= NEW_ELEMENTS_AT else (OLDER_LINE1, OLDER_LINE2)
        add("tle", tle_url, at, tle_text(*lines), "text/plain")
    for at in every(FIRST, timedelta(seconds=30)):
        if OUTAGE[0] <= at < OUTAGE[1]:
            entries.append(
                Entry("position", urls.position.url, at, 503, error="HTTP 503 Service Unavailable")
            )
        else:
            add("position", urls.position.url, at, wheretheiss_fix(engine, at))
    for at in every(FIRST, timedelta(minutes=30)):
        rows = ISS_CREW_BEFORE_MS27 + SHENZHOU_19 + (MS27_CREW if at >= CREW_LIST_UPDATED else [])
        add("crew", urls.crew.url, at, corquaid_people(rows))
    for at in every(FIRST + timedelta(minutes=10), timedelta(minutes=30)):
        add("astros", urls.astros.url, at, astros_at(at))
    for at in every(FIRST + timedelta(minutes=5), timedelta(minutes=30)):
        add(
            "docked",
            urls.docked.url,
            at,
            corquaid_docked(DOCKED_BEFORE_MS27 if at < DOCKED_LIST_UPDATED else None),
        )
    # Launch Library: the two endpoints alternate, ten minutes apart, as the runtime spaces them.
    for at in every(FIRST, timedelta(minutes=20)):
        add(
            "launches",
            f"{LL2}/launches/upcoming/?search=ISS&limit=10&mode=detailed",
            at,
            launches_at(at),
        )
    for at in every(FIRST + timedelta(minutes=10), timedelta(minutes=20)):
        add(
            "dockings",
            f"{LL2}/docking_events/?space_station_target__id=4&limit=10",
            at,
            dockings_at(at),
        )

    entries.sort(key=lambda e: (e.received_at, e.feed))
    feeds = sorted({e.feed for e in entries})
    writer = RecordingWriter(OUT, feeds, START, DESCRIPTION, title=TITLE)
    for entry in entries:
        writer.write(entry)
    path = writer.close(END)
    print(
        f"wrote {path.relative_to(ROOT)}: {len(entries)} responses, {path.stat().st_size:,} bytes"
    )


if __name__ == "__main__":
    main()
