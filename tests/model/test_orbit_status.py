"""`status --json`'s `orbit` (issdash.model.status.orbit_status through `build_status`): the
trajectory's events from 6 h ago to the end of its span, null without a trajectory."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from issdash.core.runtime import bundled_elements_response
from issdash.feeds.adapters.oem import Oem, parse_oem
from issdash.feeds.adapters.tle import parse_element_sets
from issdash.feeds.elements import ElementsInfo
from issdash.feeds.sources import RawResponse
from issdash.model.state import MissionState
from issdash.model.status import build_status, dumps_status
from scripts.fixtures.oem import build_trajectory, write_kvn
from tests.support.oem_sample import REBOOST_2022_JSON, START_2022, oem_2022, with_oem


def test_orbit_events_list_the_reboost_with_its_time_and_delta_v() -> None:
    state = with_oem(MissionState(), oem_2022(), START_2022)
    now = datetime(2022, 2, 21, 12, 0, tzinfo=UTC)  # NG-17 arrived 2 h 25 min before
    status = json.loads(dumps_status(build_status(state, now, 10.0)))
    events = status["orbit"]["events"]
    assert [(e["name"], e["kind"]) for e in events] == [
        ("NG-17 Arrival", "docking"),
        ("GMT057 Reboost", "reboost"),
    ]
    assert events[1] == REBOOST_2022_JSON


def test_without_a_trajectory_the_events_are_not_known() -> None:
    status = build_status(MissionState(), START_2022, 10.0)
    orbit = status["orbit"]
    assert orbit["events"] == [] and orbit["events_known"] is False
    assert orbit["source"] is None and orbit["disagreement_km"] == {
        "elements": None,
        "celestrak-supgp": None,
    }


def bundled_elements() -> ElementsInfo:
    sets = parse_element_sets(bundled_elements_response(), None)
    return ElementsInfo(sets.sets[-1], "bundled", START_2022)


def _two_days_at_4_min() -> Oem:
    trajectory = build_trajectory(START_2022, hours=48.0, step_s=240.0, burn=None)
    raw = RawResponse("file:///ISS.OEM_J2K_EPH.txt", 200, "", write_kvn(trajectory, []), START_2022)
    return parse_oem(raw, None)


def test_inside_the_span_the_trajectory_is_the_source_and_the_elements_are_measured() -> None:
    oem = _two_days_at_4_min()
    state = with_oem(MissionState().with_elements(bundled_elements()), oem, START_2022)
    now = START_2022 + timedelta(hours=20, seconds=77)
    status = json.loads(dumps_status(build_status(state, now, 10.0)))
    orbit = status["orbit"]
    assert orbit["source"] == "nasa-oem" and status["position"]["source"] == "nasa-oem"
    assert orbit["span"] == ["2022-02-11T12:00:00Z", "2022-02-13T12:00:00Z"]
    assert orbit["created"] == "2022-02-11T18:53:00Z"
    # The bundled set is from 2025: three years off, measured and said, naming both.
    assert orbit["disagreement_km"]["elements"] > 20
    assert orbit["disagreement_km"]["celestrak-supgp"] is None
    assert any(n.startswith("elements and NASA trajectory disagree by") for n in status["notices"])
    # The trajectory's own error, not the 3-year-old elements' "anywhere along its orbit".
    assert status["position"]["position_known"] is True
    assert status["position"]["expected_error_km"] < 10


def test_outside_the_span_the_elements_are_the_source_and_it_is_said() -> None:
    oem = _two_days_at_4_min()
    state = with_oem(MissionState().with_elements(bundled_elements()), oem, START_2022)
    now = START_2022 + timedelta(days=3)
    status = json.loads(dumps_status(build_status(state, now, 10.0)))
    assert status["orbit"]["source"] == "bundled"
    assert status["position"]["source"] == "bundled"
    assert status["orbit"]["disagreement_km"]["elements"] is None
    assert (
        "NASA trajectory covers 2022-02-11T12:00:00Z to 2022-02-13T12:00:00Z: at"
        " 2022-02-14T12:00:00Z the position is from bundled elements"
    ) in status["notices"]
