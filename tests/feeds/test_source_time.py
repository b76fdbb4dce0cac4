"""Issue 24's invariant for every source time: nothing from outside comes from the future.
The shared rule (issdash.feeds.source_time), feed health (an element set's epoch after its
arrival, an answer that arrived "after" now) and the position adapter's timestamp."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from issdash.feeds.adapters.position import parse_position
from issdash.feeds.health import FeedHealth
from issdash.feeds.source_time import (
    MAX_AHEAD,
    MAX_AHEAD_S,
    ahead_words,
    effective_time,
    from_future,
    is_fresh,
)
from issdash.feeds.sources import FeedError, RawResponse
from scripts.fixtures.ms27_payloads import wheretheiss

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
# Offsets from now a source may state: past, now, just ahead, far ahead (the datetime range
# allows about +-2.5e11 s around 2026).
offsets_s = st.one_of(
    st.floats(-3 * 86400, 3 * 86400),
    st.floats(-6e10, 2.3e11),
    st.sampled_from([0.0, MAX_AHEAD_S, MAX_AHEAD_S + 0.001, -MAX_AHEAD_S, 40 * 3600.0]),
)


def at(offset_s: float) -> datetime:
    return NOW + timedelta(seconds=offset_s)


@settings(max_examples=200, deadline=None)
@given(source_s=offsets_s, now_s=offsets_s, max_age_s=st.floats(allow_nan=True))
def test_never_fresh_from_the_future_nor_at_a_negative_age(
    source_s: float, now_s: float, max_age_s: float
) -> None:
    source, now = at(source_s), at(now_s)
    fresh = is_fresh(source, NOW, now, max_age_s)
    assert effective_time(source, NOW) <= NOW
    if fresh:
        assert not from_future(source, NOW)
        assert source <= NOW + MAX_AHEAD
        assert now >= effective_time(source, NOW)  # the age is not negative
        assert (now - effective_time(source, NOW)).total_seconds() <= max_age_s
    if source_s > MAX_AHEAD_S:
        assert not fresh and from_future(source, NOW)


def test_ahead_in_words() -> None:
    assert ahead_words(40 * 3600) == "40.0 h"
    assert ahead_words(600) == "10 min"
    assert ahead_words(5 * 86400) == "5.0 days"
    assert ahead_words(math.nan) == "an unknown time"


# ---- feed health ---------------------------------------------------------------------------


def test_elements_dated_after_their_arrival_are_stale_and_said() -> None:
    health = FeedHealth("tle", True, 7200, data_time=NOW, max_data_age_s=3 * 86400)
    ok = health.succeeded(NOW)
    assert ok.state(NOW) == "ok" and ok.data_from_future() is None
    future = FeedHealth(
        "tle", True, 7200, data_time=NOW + timedelta(days=3), max_data_age_s=3 * 86400
    ).succeeded(NOW)
    assert future.state(NOW) == "stale"
    assert future.data_from_future() == (
        "its data is dated 3.0 days after it arrived (a clock is wrong, theirs or ours)"
    )


@settings(max_examples=150, deadline=None)
@given(data_s=offsets_s, arrived_s=st.floats(-86400, 86400), now_s=st.floats(-86400, 86400))
def test_a_feed_is_never_ok_on_data_from_the_future_or_a_negative_age(
    data_s: float, arrived_s: float, now_s: float
) -> None:
    health = FeedHealth("tle", True, 7200, data_time=at(data_s), max_data_age_s=3 * 86400.0)
    health = health.succeeded(at(arrived_s))
    now = at(now_s)
    assert (health.age_s(now) or 0.0) >= 0.0
    if health.state(now) == "ok":
        assert at(data_s) - at(arrived_s) <= MAX_AHEAD
        assert at(arrived_s) - now <= MAX_AHEAD


# ---- the position adapter ------------------------------------------------------------------


def raw(body: str) -> RawResponse:
    return RawResponse("http://127.0.0.1/x", 200, "application/json", body, NOW)


def test_a_fix_three_minutes_ahead_is_refused_in_words() -> None:
    body = wheretheiss(NOW + timedelta(minutes=3), 10.0, 10.0)
    with pytest.raises(FeedError, match=r"^position timestamp 2026-03-01 12:03Z is in the future$"):
        parse_position(raw(body), NOW)
    # Within the skew it is a clock a little off, and accepted.
    assert parse_position(raw(wheretheiss(NOW + timedelta(seconds=60), 10.0, 10.0)), NOW)


@settings(max_examples=150, deadline=None)
@given(
    timestamp=st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(-(10**30), 10**30),
        st.floats(NOW.timestamp() - 86400, NOW.timestamp() + 86400),
    )
)
def test_any_position_timestamp_is_a_fix_not_from_the_future_or_a_feed_error(
    timestamp: float | int,
) -> None:
    payload = json.loads(wheretheiss(NOW, 10.0, 10.0))
    payload["timestamp"] = timestamp
    try:
        body = json.dumps(payload)
    except ValueError:
        return
    try:
        fix = parse_position(raw(body), NOW)
    except FeedError:
        return
    assert fix.timestamp <= NOW + MAX_AHEAD


# ---- crew and docked: times the lists state as past ----------------------------------------


@pytest.mark.parametrize("ahead_s", [60.0, 12 * 3600.0])
def test_a_docking_or_launch_dated_after_the_answer_is_not_known(ahead_s: float) -> None:
    from issdash.feeds.adapters.crew import parse_corquaid
    from issdash.feeds.adapters.schedule import parse_docked
    from scripts.fixtures.ms27_payloads import (
        MS27_CREW,
        MS27_DOCKED,
        corquaid_docked,
        corquaid_people,
    )

    docked_at = datetime(2025, 4, 8, 8, 57, tzinfo=UTC)  # MS27_DOCKED's docking
    answered = docked_at - timedelta(seconds=ahead_s)
    vehicles = parse_docked(raw(json.dumps(corquaid_docked([MS27_DOCKED]))), answered).vehicles
    people = parse_corquaid(
        raw(json.dumps(corquaid_people(MS27_CREW))),
        datetime(2025, 4, 8, 5, 47, 15, tzinfo=UTC) - timedelta(seconds=ahead_s),
    ).people
    if ahead_s <= MAX_AHEAD_S:  # clocks a minute apart: believed
        assert vehicles[0].docked == docked_at
        assert all(p.launched is not None for p in people)
    else:  # the list says it happened 12 h after it was written: not known
        assert vehicles[0].docked is None and vehicles[0].name == "Soyuz MS-27"
        assert all(p.launched is None for p in people) and len(people) == 3


@settings(max_examples=100, deadline=None)
@given(
    seconds=st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.integers(-(10**30), 10**30),
        st.floats(NOW.timestamp() - 86400, NOW.timestamp() + 86400),
    )
)
def test_any_docked_or_launch_time_is_past_or_not_known(seconds: float | int) -> None:
    from issdash.feeds.adapters.schedule import parse_docked
    from scripts.fixtures.ms27_payloads import MS27_DOCKED, corquaid_docked

    payload = corquaid_docked([MS27_DOCKED])
    payload["spacecraft"][0]["docked"] = seconds
    payload["spacecraft"][0]["launched"] = seconds
    try:
        body = json.dumps(payload)
    except ValueError:
        return
    try:
        vehicles = parse_docked(raw(body), NOW).vehicles
    except FeedError:
        return
    for vehicle in vehicles:
        for when in (vehicle.docked, vehicle.launched):
            assert when is None or when <= NOW + MAX_AHEAD
