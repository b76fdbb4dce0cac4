"""The docking countdown: schedule adapters and the phase logic over the whole MS-27 day."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from issdash.feeds.adapters.schedule import parse_docked, parse_dockings, parse_launches
from issdash.feeds.clock import SteppingClock
from issdash.feeds.poller import FeedUpdate, RateGate
from issdash.feeds.sources import FeedError, RawResponse
from issdash.model.visits.timeline import (
    Phase,
    Timeline,
    build_timelines,
    docked_vehicles,
    last_event,
    next_event,
    profile_for,
)
from scripts.fixtures.ms27_payloads import (
    DOCKED_BEFORE_MS27,
    ISS_CREW_BEFORE_MS27,
    SHENZHOU_19,
    corquaid_docked,
    corquaid_people,
    ll2_docking,
    ll2_dockings,
    ll2_launch,
    ll2_launches,
)
from tests.support.ms27_day import DAY, LAUNCH, at, ms27_state, raw


def upcoming(now: datetime, **kwargs: Any) -> tuple[str, str, float, bool, str | None]:
    state = ms27_state(now, **kwargs)
    found = next_event(build_timelines(state, now), now)
    assert found is not None
    timeline, phase = found
    return (
        timeline.vehicle,
        phase.kind,
        (phase.time - now).total_seconds(),
        phase.estimated,
        timeline.port,
    )


# -- the phase logic across the day -------------------------------------------------


def test_before_launch() -> None:
    assert upcoming(at(5, 30)) == ("Soyuz MS-27", "launch", 1035.0, False, "Prichal nadir")


def in_flight() -> dict[str, Any]:
    """Launch Library while the rocket climbs: it lifted off, no success reported yet."""
    return ll2_launches(ll2_launch("Soyuz 2.1a | Soyuz MS-27", "2025-04-08T05:47:15Z", "In Flight"))


def test_during_the_ascent_next_is_orbit_insertion() -> None:
    vehicle, kind, t_minus, estimated, _ = upcoming(at(5, 50), launches=in_flight())
    assert (vehicle, kind, estimated) == ("Soyuz MS-27", "insertion", True)
    assert t_minus == pytest.approx(5 * 60 + 60, abs=1)  # 05:56:00 is 8 min 45 s after launch


def test_the_launch_is_expected_until_the_launch_record_says_it_lifted_off() -> None:
    # Past T-0 with Launch Library still saying "Go": the schedule's time passed, nothing
    # says the rocket left the pad.
    now = at(5, 50)
    timeline, phase = _ms27(now)
    assert phase is not None and (phase.kind, phase.time, phase.estimated) == (
        "launch",
        LAUNCH,
        False,
    )
    assert phase.unconfirmed(now) and not any(p.done for p in timeline.phases)
    timeline, _ = _ms27(now, launches=in_flight())
    launch = timeline.phases[0]
    assert launch.done and launch.confirmed_at == DAY  # the answer's arrival (ms27_state's)


def test_between_insertion_and_docking() -> None:
    assert upcoming(at(8, 0)) == ("Soyuz MS-27", "docking", 3420.0, False, "Prichal nadir")


def test_docked_before_hatch_opening() -> None:
    vehicle, kind, t_minus, estimated, _ = upcoming(at(10, 0))
    assert (vehicle, kind, estimated) == ("Soyuz MS-27", "hatch", True)
    assert t_minus == pytest.approx(87 * 60, abs=1)  # docking 08:57 + 2 h 30 min


def test_after_hatch_opening_the_next_is_ms26_leaving() -> None:
    state = ms27_state(at(12))
    timelines = build_timelines(state, at(12))
    timeline, phase = next_event(timelines, at(12))  # type: ignore[misc]
    assert (timeline.vehicle, phase.kind) == ("Soyuz MS-26", "undocking")
    assert phase.time == datetime(2025, 4, 19, 21, 57, tzinfo=UTC)
    ms27 = next(t for t in timelines if t.vehicle == "Soyuz MS-27")
    assert [p.kind for p in ms27.phases] == ["launch", "insertion", "docking", "hatch"]
    assert all(p.done for p in ms27.phases)
    assert last_event(timelines, at(12))[1].kind == "hatch"  # type: ignore[index]
    ms26 = next(t for t in timelines if t.vehicle == "Soyuz MS-26")
    landing = ms26.phases[-1]
    assert (landing.kind, landing.estimated) == ("landing", True)
    assert landing.time == datetime(2025, 4, 20, 1, 22, tzinfo=UTC)  # 3 h 25 min after undocking


def test_phase_statuses() -> None:
    timelines = build_timelines(ms27_state(at(8)), at(8))
    ms27 = next(t for t in timelines if t.vehicle == "Soyuz MS-27")
    assert [(p.kind, p.status) for p in ms27.phases] == [
        ("launch", "done"),
        ("insertion", "done"),
        ("docking", "scheduled"),
        ("hatch", "estimated"),
    ]


# -- estimation, slips, scrubs, nothing scheduled -----------------------------------


def test_docking_estimated_from_the_profile_when_the_schedule_has_none() -> None:
    vehicle, kind, t_minus, estimated, port = upcoming(
        at(8),
        dockings=ll2_dockings(ll2_docking("Soyuz MS-26", "2024-09-11T19:32:00Z", "Rassvet nadir")),
    )
    assert (vehicle, kind, estimated, port) == ("Soyuz MS-27", "docking", True, None)
    assert t_minus == pytest.approx(3435, abs=1)  # launch 05:47:15 + 3 h 10 min = 08:57:15


@pytest.mark.parametrize(
    ("vehicle", "docking_after"),
    [
        ("Soyuz MS-28", timedelta(hours=3, minutes=10)),
        ("Progress MS-31", timedelta(hours=3, minutes=10)),
        ("Crew-11", timedelta(hours=28)),
        ("NG-23 Cygnus", timedelta(days=2)),
    ],
)
def test_profiles(vehicle: str, docking_after: timedelta) -> None:
    profile = profile_for(vehicle)
    assert profile is not None and profile.docking == docking_after


def test_a_slip_is_shown_not_hidden() -> None:
    state = ms27_state(at(6, 5))
    later = ll2_dockings(
        ll2_docking(
            "Soyuz MS-27",
            "2025-04-08T10:30:00Z",
            "Prichal nadir",
            launch_net="2025-04-08T05:47:15Z",
            event_id=2,
        )
    )
    state = state.apply(FeedUpdate("dockings", parse_dockings(raw(later), at(6, 10)), at(6, 10)))
    timeline, phase = next_event(build_timelines(state, at(6, 20)), at(6, 20))  # type: ignore[misc]
    assert (timeline.vehicle, phase.kind) == ("Soyuz MS-27", "docking")
    assert phase.time == at(10, 30)  # the newest schedule wins
    assert phase.slip is not None
    assert phase.slip.previous == at(8, 57)
    assert phase.slip.delta_s == 93 * 60
    assert not phase.slip.scrubbed


def test_a_scrub_moves_the_launch_and_never_counts_negative() -> None:
    state = ms27_state(at(5, 30))
    scrubbed = ll2_launches(
        ll2_launch("Soyuz 2.1a | Soyuz MS-27", "2025-04-09T05:25:00Z", status="TBD")
    )
    state = state.apply(FeedUpdate("launches", parse_launches(raw(scrubbed), at(5, 46)), at(5, 46)))
    now = at(5, 50)  # past the old T-0
    timeline, phase = next_event(build_timelines(state, now), now)  # type: ignore[misc]
    assert phase.kind == "launch" and phase.time == datetime(2025, 4, 9, 5, 25, tzinfo=UTC)
    assert phase.time > now
    assert phase.slip is not None and phase.slip.scrubbed
    assert timeline.launch_status == "TBD"
    # The docking schedule still says today 08:57: stale, so it is re-estimated from the launch.
    docking = next(p for p in timeline.phases if p.kind == "docking")
    assert docking.estimated and docking.time == datetime(2025, 4, 9, 8, 35, tzinfo=UTC)


def test_nothing_scheduled() -> None:
    empty = {"count": 0, "next": None, "previous": None, "results": []}
    state = ms27_state(at(12), launches=empty, dockings=empty)
    timelines = build_timelines(state, at(12))
    assert next_event(timelines, at(12)) is None
    assert len(docked_vehicles(state, at(12))) == 5


def test_a_past_event_is_the_next_one_only_while_it_is_unconfirmed() -> None:
    for minute in range(0, 24 * 60, 7):
        now = DAY + timedelta(minutes=minute)
        found = next_event(build_timelines(ms27_state(now), now), now)
        if found is not None and found[1].time <= now:
            phase = found[1]
            assert not phase.done and phase.unconfirmed(now)


# -- docked list --------------------------------------------------------------------


def test_docked_list_before_and_after() -> None:
    before = docked_vehicles(ms27_state(at(8)), at(8))
    assert [v.name for v in before] == [
        "Soyuz MS-26",
        "Progress MS-29",
        "Progress MS-30",
        "Crew-10 Dragon",
    ]
    after = docked_vehicles(ms27_state(at(12)), at(12))
    ms27 = next(v for v in after if v.name == "Soyuz MS-27")
    assert (ms27.type, ms27.port, ms27.docked) == ("crew", "Prichal nadir", at(8, 57))
    assert ms27.crew == ("Sergey Ryzhikov", "Alexey Zubritsky", "Jonny Kim")


def test_a_docked_list_lagging_the_schedule_is_not_completed_from_it() -> None:
    # corquaid still lists four vehicles at 09:30; the schedule says MS-27 docked at 08:57.
    # Only the list says what is docked: the docking is expected, not confirmed.
    now = at(9, 30)
    vehicles = docked_vehicles(ms27_state(now, docked=DOCKED_BEFORE_MS27), now)
    assert "Soyuz MS-27" not in [v.name for v in vehicles]
    timeline, phase = _ms27(now, docked=DOCKED_BEFORE_MS27)
    assert phase is not None and (phase.kind, phase.time, phase.estimated) == (
        "docking",
        at(8, 57),
        False,
    )
    assert phase.unconfirmed(now)
    assert [p.kind for p in timeline.phases if p.done] == ["launch", "insertion"]


def test_a_vehicle_past_its_scheduled_departure_stays_until_a_later_list_drops_it() -> None:
    departure = datetime(2025, 4, 19, 21, 57, tzinfo=UTC)
    now = datetime(2025, 4, 20, 0, 0, tzinfo=UTC)
    # The list from before the departure still shows MS-26: the undocking is expected.
    old_list = ms27_state(now, docked=None, received=departure - timedelta(hours=1))
    assert "Soyuz MS-26" in [v.name for v in docked_vehicles(old_list, now)]
    undocking = next(
        p for t in build_timelines(old_list, now) for p in t.phases if p.kind == "undocking"
    )
    assert not undocking.done and undocking.unconfirmed(now)
    # A list from after it without MS-26 confirms it, as of that answer.
    rows = [r for r in DOCKED_BEFORE_MS27 if r[0] != "Soyuz MS-26"]
    after = departure + timedelta(minutes=30)
    new_list = ms27_state(now, docked=rows, received=after)
    undocking = next(
        p for t in build_timelines(new_list, now) for p in t.phases if p.kind == "undocking"
    )
    assert undocking.done and undocking.confirmed_at == after
    assert undocking.time == departure  # the schedule's time, the only one any source gives


# -- adapters -----------------------------------------------------------------------


def test_launch_adapter() -> None:
    (launch,) = parse_launches(raw(ll2_launches()), at(5)).launches
    assert (launch.vehicle, launch.rocket, launch.net, launch.status) == (
        "Soyuz MS-27",
        "Soyuz 2.1a",
        at(5, 47, 15),
        "Go",
    )
    assert launch.pad == "31/6, Baikonur Cosmodrome, Republic of Kazakhstan"


def test_docking_adapter() -> None:
    events = parse_dockings(raw(ll2_dockings()), at(5)).dockings
    ms27 = events[-1]
    assert (ms27.vehicle, ms27.docking, ms27.port, ms27.launch_net) == (
        "Soyuz MS-27",
        at(8, 57),
        "Prichal nadir",
        at(5, 47, 15),
    )
    assert events[0].departure == datetime(2025, 4, 19, 21, 57, tzinfo=UTC)


@pytest.mark.parametrize(
    ("parser", "payload", "reason"),
    [
        (
            parse_launches,
            {"detail": "Request was throttled. Expected available in 512 seconds."},
            "Launch Library says: Request was throttled",
        ),
        (parse_launches, [], "expected a JSON object"),
        (parse_launches, {"results": "soon"}, "no results list"),
        (parse_dockings, {"count": 1}, "no results list"),
        (parse_docked, {"number": 2}, "no spacecraft list"),
        (parse_docked, "<html>", "HTML"),
    ],
)
def test_schedule_rejections(parser: Any, payload: Any, reason: str) -> None:
    body = payload if isinstance(payload, str) else json.dumps(payload)
    with pytest.raises(FeedError, match=reason):
        parser(RawResponse("file:///x", 200, "", body, DAY), DAY)


def test_bad_entries_are_skipped_not_fatal() -> None:
    payload = ll2_launches(
        ll2_launch("Soyuz 2.1a | Soyuz MS-27", "2025-04-08T05:47:15Z"),
        ll2_launch("Falcon 9 | Crew-11", "2090-01-01T00:00:00Z", launch_id="far"),  # decades out
        ll2_launch("Falcon 9 | Nothing", "not a time", launch_id="bad"),
        {"id": "x"},  # no name, no net
    )
    launches = parse_launches(raw(payload), at(5)).launches
    assert [launch.vehicle for launch in launches] == ["Soyuz MS-27"]
    docked = corquaid_docked()
    docked["spacecraft"][0]["docked"] = 9_999_999_999  # in 2286
    docked["spacecraft"].append({"name": None})
    vehicles = parse_docked(raw(docked), at(12)).vehicles
    assert len(vehicles) == 5 and vehicles[0].docked is None


# -- the shared Launch Library rate limit --------------------------------------------


async def test_launch_library_requests_are_spaced_ten_minutes_apart() -> None:
    clock = SteppingClock(at(5))
    gate = RateGate(600.0, clock)
    times = []
    for _ in range(4):
        await gate.wait_turn()
        times.append(clock.now())
    gaps = [(b - a).total_seconds() for a, b in pairwise(times)]
    assert gaps == [600.0, 600.0, 600.0]


# -- estimates stay estimates until a source confirms them --------------------------


def _ms27(now: datetime, **kwargs: Any) -> tuple[Timeline, Phase | None]:
    timelines = build_timelines(ms27_state(now, **kwargs), now)
    found = next_event(timelines, now)
    return next(t for t in timelines if t.vehicle == "Soyuz MS-27"), found[1] if found else None


def test_hatch_estimate_is_not_a_fact_until_the_crew_list_shows_the_crew_aboard() -> None:
    # Docked 08:57, hatch estimated at 11:27; the real one opened 11:28, corquaid listed the
    # three aboard at 11:30. In between, the estimate has passed but nothing confirms it.
    for now in (at(11, 27, 30), at(11, 29)):
        timeline, phase = _ms27(now)
        assert phase is not None
        assert (phase.kind, phase.time, phase.estimated) == ("hatch", at(11, 27), True)
        assert not phase.done and phase.unconfirmed(now) and phase.status == "estimated"
        hatch = next(p for p in timeline.phases if p.kind == "hatch")
        assert not hatch.done
        last = last_event(build_timelines(ms27_state(now), now), now)
        assert last is not None and last[1].kind == "docking"
    timeline, phase = _ms27(at(11, 31))
    assert all(p.done for p in timeline.phases)
    assert phase is not None and phase.kind == "undocking"  # MS-26, on the 19th


def test_without_a_crew_list_the_hatch_opening_stays_an_estimate() -> None:
    # Without any crew list the hatch opening is never taken as done, however late it is.
    _, phase = _ms27(at(20), crew=False)
    assert phase is not None and (phase.kind, phase.done) == ("hatch", False)


def test_orbit_insertion_waits_for_the_launch_to_be_reported_a_success() -> None:
    # Insertion expected 05:56; LL2 says the rocket is in flight, not yet a success.
    _, phase = _ms27(at(5, 58), launches=in_flight())
    assert phase is not None and (phase.kind, phase.estimated) == ("insertion", True)
    assert phase.unconfirmed(at(5, 58))
    timeline, phase = _ms27(at(6, 5))  # "Success" reported at 06:04
    assert phase is not None and phase.kind == "docking"
    assert [p.done for p in timeline.phases] == [True, True, False, False]


def test_estimated_docking_needs_the_docked_list() -> None:
    no_schedule = ll2_dockings(ll2_docking("Soyuz MS-26", "2024-09-11T19:32:00Z", "Rassvet nadir"))
    now = at(9, 30)  # estimated docking 08:57:15 has passed
    _, phase = _ms27(now, dockings=no_schedule, docked=DOCKED_BEFORE_MS27)
    assert phase is not None and (phase.kind, phase.estimated) == ("docking", True)
    assert phase.unconfirmed(now)
    _, phase = _ms27(now, dockings=no_schedule, docked=None)  # the list now shows MS-27
    assert phase is not None and phase.kind == "hatch"


@given(minute=st.integers(min_value=0, max_value=36 * 60), crew=st.booleans())
def test_the_next_event_never_skips_one_not_done(minute: int, crew: bool) -> None:
    now = DAY + timedelta(minutes=minute)
    timelines = build_timelines(ms27_state(now, crew=None if crew else False), now)
    found = next_event(timelines, now)
    pending = [p for t in timelines for p in t.phases if not p.done]
    if found is None:
        assert not pending
        return
    assert not found[1].done
    assert found[1].time == min(p.time for p in pending)
    assert found[1].time > now or found[1].unconfirmed(now)
    for t in timelines:  # done is a prefix: nothing is done after something that is not
        flags = [p.done for p in t.phases]
        assert flags == sorted(flags, reverse=True)


@settings(max_examples=80, deadline=None)
@given(
    minute=st.integers(min_value=5 * 60, max_value=14 * 60),
    listed=st.booleans(),
    aboard=st.booleans(),
    status=st.sampled_from(["Go", "TBD", "Hold", "In Flight", "Success"]),
)
def test_nothing_is_done_that_no_source_confirms(
    minute: int, listed: bool, aboard: bool, status: str
) -> None:
    """Whatever the feeds say and whenever: a phase is done only with a confirming answer,
    the docking only if the docked list lists the vehicle or its crew is aboard, the launch
    only if besides those the launch record says it lifted off; the docked list is the list;
    the hatch time is the estimate, marked as one, confirmed or not."""
    now = DAY + timedelta(minutes=minute)
    # Neither list can show MS-27 before it docked at 08:57 (a list that does is below).
    listed, aboard = listed and now >= at(8, 57), aboard and now >= at(8, 57)
    state = ms27_state(
        now,
        launches=ll2_launches(
            ll2_launch("Soyuz 2.1a | Soyuz MS-27", "2025-04-08T05:47:15Z", status)
        ),
        docked=None if listed else DOCKED_BEFORE_MS27,
        crew=corquaid_people() if aboard else corquaid_people(ISS_CREW_BEFORE_MS27 + SHENZHOU_19),
        received=now,
    )
    timeline = next(t for t in build_timelines(state, now) if t.vehicle == "Soyuz MS-27")
    done = {p.kind: p for p in timeline.phases if p.done}
    assert all(p.confirmed_at == now for p in done.values())  # the answers' arrival
    if "docking" in done:
        assert listed or aboard
    if "launch" in done:
        assert listed or aboard or status in ("In Flight", "Success")
    assert ("Soyuz MS-27" in [v.name for v in docked_vehicles(state, now)]) is listed
    hatch = next(p for p in timeline.phases if p.kind == "hatch")
    assert hatch.estimated and hatch.time == at(11, 27)
    assert hatch.done is aboard


def test_a_docked_list_giving_a_docking_still_to_come_confirms_nothing() -> None:
    # At 08:00 a list already shows MS-27 "docked 08:57": a time from the future is not a
    # docking that happened.
    now = at(8)
    _, phase = _ms27(now, docked=None)
    assert phase is not None and phase.kind == "docking" and not phase.done
