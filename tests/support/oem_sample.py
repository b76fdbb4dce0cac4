"""A trajectory shaped like NASA's of 2022-02-11 (nasa_iss_oem_2022-02-11.xml.gz), written
here, never read from /work/shared: 15 days from 2022-02-11 12:00 UTC, the same event table
(80P and NG-17 launches and arrivals, the GMT057 reboost of 0.4 m/s at 2022-02-26 01:37), and
states every hour (NASA writes every 4 minutes; the events need none of them)."""

from __future__ import annotations

from datetime import UTC, datetime

from issdash.feeds.adapters.oem import Oem, parse_oem
from issdash.feeds.poller import FeedUpdate
from issdash.feeds.sources import RawResponse
from issdash.model.state import MissionState
from scripts.fixtures.oem import Event, build_trajectory, write_kvn

START_2022 = datetime(2022, 2, 11, 12, 0, tzinfo=UTC)
REBOOST_2022 = datetime(2022, 2, 26, 1, 37, tzinfo=UTC)
EVENTS_2022 = (
    Event("80P Launch", datetime(2022, 2, 15, 4, 25, 40, tzinfo=UTC), 0.0, 426.3, 408.0),
    Event("80P Arrivals", datetime(2022, 2, 17, 7, 6, 29, tzinfo=UTC), 0.0, 425.6, 408.2),
    Event("NG-17 Launch", datetime(2022, 2, 19, 17, 39, 59, tzinfo=UTC), 0.0, 425.4, 408.4),
    Event("NG-17 Arrival", datetime(2022, 2, 21, 9, 35, tzinfo=UTC), 0.0, 424.8, 408.6),
    Event("GMT057 Reboost", REBOOST_2022, 0.4, 423.8, 409.1),
)
# That reboost as `status --json` lists it in `orbit.events`.
REBOOST_2022_JSON = {
    "name": "GMT057 Reboost",
    "kind": "reboost",
    "time": "2022-02-26T01:37:00Z",
    "delta_v_m_s": 0.4,
    "apogee_km": 423.8,
    "perigee_km": 409.1,
}


def kvn_2022() -> str:
    """The text form (ISS.OEM_J2K_EPH.txt), burn block included."""
    trajectory = build_trajectory(START_2022, hours=15 * 24, step_s=3600.0, burn=REBOOST_2022)
    return write_kvn(trajectory, EVENTS_2022)


def oem_2022() -> Oem:
    raw = RawResponse("file:///ISS.OEM_J2K_EPH.txt", 200, "", kvn_2022(), START_2022)
    return parse_oem(raw, None)


def with_oem(state: MissionState, oem: Oem, received_at: datetime) -> MissionState:
    """`state` after the `oem` feed delivered `oem`."""
    return state.apply(FeedUpdate("oem", oem, received_at))
