"""A burn of NASA's trajectory in the Next event panel's view and on the mission bar: counted
down when it is the nearest event, a vehicle's event first when that comes sooner."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from issdash.feeds.clock import FrozenClock
from issdash.model.mission_bar import build_mission_bar_view
from issdash.model.next_event import build_next_event_view, split_view
from issdash.model.replay_control import ReplayControl
from issdash.model.state import MissionState
from issdash.model.visits.timeline import Phase, Timeline
from tests.support.oem_sample import REBOOST_2022, START_2022, oem_2022, with_oem

# 2d 03:14 (and 30 s) before the GMT057 reboost of the 2022 sample.
NOW = REBOOST_2022 - timedelta(days=2, hours=3, minutes=14, seconds=30)


def docking_at(when: datetime) -> tuple[Timeline, Phase]:
    phase = Phase("docking", when, estimated=False, done=False)
    return Timeline("Progress MS-19", "Poisk", False, (phase,)), phase


def test_the_reboost_is_counted_down_when_nothing_else_is_next() -> None:
    state = with_oem(MissionState(), oem_2022(), START_2022)
    view = build_next_event_view(state, state, NOW, UTC)
    assert view.next is None  # no schedule feeds
    clock, timeline, _ = split_view(view)
    assert clock.burn is not None
    assert (clock.burn.name, clock.burn.kind, clock.burn.time, clock.burn.delta_v_m_s) == (
        "GMT057 Reboost",
        "reboost",
        REBOOST_2022,
        0.4,
    )
    assert timeline.timeline is None  # a burn has no phases of its own


def test_the_nearest_wins_between_a_docking_and_the_reboost() -> None:
    state = with_oem(MissionState(), oem_2022(), START_2022)
    view = build_next_event_view(state, state, NOW, UTC)
    sooner = replace(view, next=docking_at(REBOOST_2022 - timedelta(hours=1)))
    later = replace(view, next=docking_at(REBOOST_2022 + timedelta(hours=1)))
    assert split_view(sooner)[0].burn is None
    assert split_view(sooner)[1].timeline is not None
    burn = split_view(later)[0].burn
    assert burn is not None and burn.time == REBOOST_2022
    # The docking still shows its phases below the countdown.
    assert split_view(later)[1].timeline is not None


def test_no_burn_after_its_time_or_without_a_trajectory() -> None:
    state = with_oem(MissionState(), oem_2022(), START_2022)
    after = REBOOST_2022 + timedelta(seconds=1)
    assert split_view(build_next_event_view(state, state, after, UTC))[0].burn is None
    empty = MissionState()
    assert split_view(build_next_event_view(empty, empty, NOW, UTC))[0].burn is None


def test_the_mission_bar_says_the_coming_burn_as_a_plan() -> None:
    state = with_oem(MissionState(), oem_2022(), START_2022)
    view = build_mission_bar_view(
        state,
        NOW,
        live_speed=1.0,
        replay=ReplayControl(FrozenClock(NOW), None),
        recording_title=None,
    )
    assert view.burn == "Reboost 0.4 m/s in 2d 03:14, planned"
    bare = build_mission_bar_view(
        MissionState(),
        NOW,
        live_speed=1.0,
        replay=ReplayControl(FrozenClock(NOW), None),
        recording_title=None,
    )
    assert bare.burn == ""
