"""The MS-27 day (8 April 2025) as the schedule and crew feeds stood at any moment of it.

Shared by the model tests of the docking countdown and the TUI tests of its moments.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from issdash.feeds.adapters.crew import parse_corquaid
from issdash.feeds.adapters.schedule import parse_docked, parse_dockings, parse_launches
from issdash.feeds.health import FeedHealth
from issdash.feeds.poller import FeedUpdate
from issdash.feeds.sources import RawResponse
from issdash.model.state import MissionState
from scripts.fixtures.ms27_payloads import (
    DOCKED_BEFORE_MS27,
    ISS_CREW_BEFORE_MS27,
    MS27_CREW,
    SHENZHOU_19,
    corquaid_docked,
    corquaid_people,
    ll2_dockings,
    ll2_launch,
    ll2_launches,
)

DAY = datetime(2025, 4, 8, tzinfo=UTC)


def at(hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return DAY.replace(hour=hh, minute=mm, second=ss)


def raw(payload: Any, when: datetime = DAY) -> RawResponse:
    return RawResponse("file:///x", 200, "application/json", json.dumps(payload), when)


LAUNCH = at(5, 47, 15)
LAUNCH_REPORTED = at(6, 4)  # the first Launch Library answer after the launch says "Success"
CREW_LIST_UPDATED = at(11, 30)  # corquaid lists the MS-27 crew aboard (hatches opened 11:28)


def ms27_launches(now: datetime) -> dict[str, Any]:
    status = "Success" if now >= LAUNCH_REPORTED else "Go"
    return ll2_launches(ll2_launch("Soyuz 2.1a | Soyuz MS-27", "2025-04-08T05:47:15Z", status))


def ms27_crew(now: datetime) -> dict[str, Any]:
    rows = ISS_CREW_BEFORE_MS27 + SHENZHOU_19 + (MS27_CREW if now >= CREW_LIST_UPDATED else [])
    return corquaid_people(rows)


def ms27_state(
    now: datetime,
    launches: Any = None,
    dockings: Any = None,
    docked: Any = None,
    received: datetime | None = None,
    crew: Any = None,
) -> MissionState:
    """The feeds as they stood at `now` on the MS-27 day (as the demo recording has them)."""
    received = received or DAY
    state = MissionState().with_feeds(
        {f: FeedHealth(f, True, 1200) for f in ("launches", "dockings", "docked", "crew")}
    )
    launches = launches or ms27_launches(now)
    state = state.apply(FeedUpdate("launches", parse_launches(raw(launches), now), received))
    if crew is not False:
        report = parse_corquaid(raw(crew or ms27_crew(now)), now)
        state = state.apply(FeedUpdate("crew", report, received))
    state = state.apply(
        FeedUpdate("dockings", parse_dockings(raw(dockings or ll2_dockings()), now), received)
    )
    if docked is not False:
        rows = docked if docked is not None else (DOCKED_BEFORE_MS27 if now < at(8, 57) else None)
        state = state.apply(
            FeedUpdate("docked", parse_docked(raw(corquaid_docked(rows)), now), received)
        )
    return state
