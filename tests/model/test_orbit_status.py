"""`status --json`'s `orbit` (issdash.model.status.orbit_status through `build_status`): the
trajectory's events from 6 h ago to the end of its span, null without a trajectory."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from issdash.model.state import MissionState
from issdash.model.status import build_status, dumps_status
from tests.support.oem_sample import START_2022, oem_2022, with_oem


def test_orbit_events_list_the_reboost_with_its_time_and_delta_v() -> None:
    state = with_oem(MissionState(), oem_2022(), START_2022)
    now = datetime(2022, 2, 21, 12, 0, tzinfo=UTC)  # NG-17 arrived 2 h 25 min before
    status = json.loads(dumps_status(build_status(state, now, 10.0)))
    events = status["orbit"]["events"]
    assert [(e["name"], e["kind"]) for e in events] == [
        ("NG-17 Arrival", "docking"),
        ("GMT057 Reboost", "reboost"),
    ]
    assert events[1] == {
        "name": "GMT057 Reboost",
        "kind": "reboost",
        "time": "2022-02-26T01:37:00Z",
        "delta_v_m_s": 0.4,
        "apogee_km": 423.8,
        "perigee_km": 409.1,
    }


def test_without_a_trajectory_the_events_are_not_known() -> None:
    status = build_status(MissionState(), START_2022, 10.0)
    assert status["orbit"] == {"events": None}
