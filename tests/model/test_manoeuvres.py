"""NASA's trajectory events as manoeuvres (issdash.model.manoeuvres): the kind of every name
seen in NASA's files and a few likely ones, what a burn is, the window `status --json` lists,
and the words the panels say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from issdash.feeds.adapters.oem import TrajectoryEvent
from issdash.model.manoeuvres import (
    burn_words,
    event_kind,
    events_json,
    manoeuvre,
    next_burn,
    state_events,
)
from issdash.model.state import MissionState
from tests.support.oem_sample import REBOOST_2022, REBOOST_2022_JSON, START_2022, oem_2022, with_oem


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        # The 2022-02-11 file.
        ("80P Launch", "launch"),
        ("80P Arrivals", "docking"),
        ("NG-17 Launch", "launch"),
        ("NG-17 Arrival", "docking"),
        ("GMT057 Reboost", "reboost"),
        # The 2025-02-26 file.
        ("91P Launch", "launch"),
        ("91P Dock", "docking"),
        ("Crew10 Launch", "launch"),
        ("Crew10 Dock", "docking"),
        # Likely spellings of what those two files do not have.
        ("GMT123 DAM", "avoidance"),
        ("PDAM", "avoidance"),
        ("Debris Avoidance", "avoidance"),
        ("GMT200 Debris Avoidance Maneuver", "avoidance"),
        ("NG-21 Reboost", "reboost"),
        ("Progress Reboost", "reboost"),
        ("OCM", "reboost"),
        ("80P Undock", "undocking"),
        ("Crew9 Undocking", "undocking"),
        ("SpX-24 Unberth", "undocking"),
        ("NG-17 Release", "undocking"),
        ("SpX-24 Departure", "undocking"),
        ("SpX-24 Capture", "docking"),
        ("NG-17 Berth", "docking"),
        ("Soyuz MS-27 Docking", "docking"),
        ("Soyuz Relocation", "other"),
        ("GMT060 Desat", "other"),
        ("DAMPER TEST", "other"),
        ("", "other"),
    ],
)
def test_the_kind_is_read_from_the_name(name: str, kind: str) -> None:
    assert event_kind(name) == kind


def row(name: str, dv: float, at: datetime = REBOOST_2022) -> TrajectoryEvent:
    return TrajectoryEvent(name, at, dv, 423.8, 409.1)


def test_a_burn_is_a_reboost_or_avoidance_with_a_delta_v() -> None:
    assert manoeuvre(row("GMT057 Reboost", 0.4)).is_burn
    assert manoeuvre(row("GMT123 DAM", 0.5)).is_burn
    assert not manoeuvre(row("91P Dock", 0.0)).is_burn
    # A launch row with a number in its DV column is still not the station's burn.
    assert not manoeuvre(row("91P Launch", 1.0)).is_burn
    # A reboost not sized yet (0.0 in the table): no burn, and its delta-v unknown, not 0.
    unsized = manoeuvre(row("GMT057 Reboost", 0.0))
    assert not unsized.is_burn and unsized.delta_v_m_s is None
    # A docking's 0.0 is what the table says: the station does not burn.
    assert manoeuvre(row("91P Dock", 0.0)).delta_v_m_s == 0.0


def test_events_from_six_hours_ago_to_the_end_of_the_span() -> None:
    state = with_oem(MissionState(), oem_2022(), START_2022)
    # 80P launched 2022-02-15 04:25:40: still listed 5 h later, gone 7 h later.
    names = [m.name for m in state_events(state, datetime(2022, 2, 15, 9, 25, tzinfo=UTC))]
    assert names == [
        "80P Launch",
        "80P Arrivals",
        "NG-17 Launch",
        "NG-17 Arrival",
        "GMT057 Reboost",
    ]
    later = [m.name for m in state_events(state, datetime(2022, 2, 15, 11, 26, tzinfo=UTC))]
    assert later[0] == "80P Arrivals"
    assert state_events(MissionState(), START_2022) == ()


def test_the_next_burn_is_the_reboost_and_only_while_it_is_to_come() -> None:
    state = with_oem(MissionState(), oem_2022(), START_2022)
    burn = next_burn(state, START_2022)
    assert burn is not None
    assert (burn.name, burn.kind, burn.time, burn.delta_v_m_s) == (
        "GMT057 Reboost",
        "reboost",
        REBOOST_2022,
        0.4,
    )
    assert next_burn(state, REBOOST_2022) is None
    assert next_burn(MissionState(), START_2022) is None


def test_burn_words_count_days_hours_and_minutes() -> None:
    burn = manoeuvre(row("GMT057 Reboost", 0.4))
    now = REBOOST_2022 - timedelta(days=2, hours=3, minutes=14, seconds=59)
    assert burn_words(burn, now) == "Reboost 0.4 m/s in 2d 03:14"
    assert burn_words(burn, REBOOST_2022 - timedelta(minutes=5)) == "Reboost 0.4 m/s in 00:05"
    avoidance = manoeuvre(row("PDAM", 0.0))
    assert burn_words(avoidance, REBOOST_2022 - timedelta(hours=1)) == "Debris avoidance in 01:00"


def test_events_json_names_kind_time_and_nulls_for_what_the_table_lacks() -> None:
    events = [
        manoeuvre(row("GMT057 Reboost", 0.4)),
        manoeuvre(
            TrajectoryEvent("GMT060 Desat", REBOOST_2022 + timedelta(days=1), 0.0, None, None)
        ),
        manoeuvre(row("PDAM", 0.0)),
    ]
    assert events_json(events) == [
        REBOOST_2022_JSON,
        {
            "name": "GMT060 Desat",
            "kind": "other",
            "time": "2022-02-27T01:37:00Z",
            "delta_v_m_s": 0.0,
            "apogee_km": None,
            "perigee_km": None,
        },
        {
            "name": "PDAM",
            "kind": "avoidance",
            "time": "2022-02-26T01:37:00Z",
            "delta_v_m_s": None,
            "apogee_km": 423.8,
            "perigee_km": 409.1,
        },
    ]
