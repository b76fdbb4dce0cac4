"""Property-based tests of the element checks: element sets with any numbers in their fields
become a valid, plausible set or a `FeedError`, never another exception, never a non-finite
number downstream (issue 12)."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from issdash.feeds.adapters.tle import parse_element_sets, tle_checksum
from issdash.feeds.elements import (
    MAX_ALTITUDE_KM,
    MIN_ALTITUDE_KM,
    ElementsInfo,
    band_problem,
    expected_error_km,
    physical_problem,
)
from issdash.feeds.sources import FeedError, RawResponse
from issdash.model.state import MissionState
from issdash.model.status import build_status, dumps_status
from scripts.fixtures.elements import omm, tle_lines

NOW = datetime(2025, 4, 8, 5, 47, 15, tzinfo=UTC)
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

any_float = st.floats(allow_nan=True, allow_infinity=True)
near_iss = {
    "inclination_deg": st.floats(-10, 400),
    "raan_deg": st.floats(-10, 400),
    "eccentricity": st.floats(0, 0.9999999),
    "arg_perigee_deg": st.floats(-10, 400),
    "mean_anomaly_deg": st.floats(-10, 400),
    "mean_motion_rev_day": st.floats(0, 99.99999999),
    "bstar": st.floats(-1e3, 1e3),
    "rev": st.integers(0, 99999),
    "catalog": st.sampled_from([25544, 25544, 25544, 20580, 0, 99999]),
    # TLE years run 1957-2056; the bundled Sun ephemeris (de421) ends in 2053, and times
    # outside it are refused earlier, by the --at range check.
    "epoch": st.datetimes(
        min_value=datetime(1957, 1, 2), max_value=datetime(2053, 6, 30), timezones=st.just(UTC)
    ),
}


def check_outcome(body: str, now: datetime | None) -> None:
    """The property: a valid plausible result, or FeedError; and downstream stays finite."""
    raw = RawResponse("file:///x", 200, "text/plain", body, NOW)
    try:
        sets = parse_element_sets(raw, now)
    except FeedError as exc:
        assert exc.reason
        event(f"rejected: {exc.reason.split(':')[0][:30]}")
        return
    event("accepted")
    assert sets.sets
    for elements in sets.sets:
        assert elements.norad_id == 25544
        assert band_problem(elements) is None
        assert physical_problem(elements, elements.epoch) is None
    if now is not None:
        assert physical_problem(sets.for_time(now), now) is None
    # Downstream: the state, the orbit and `status --json` never see a non-finite number.
    state = MissionState().with_elements(*(ElementsInfo(s, "feed", NOW) for s in sets.sets))
    at = now or sets.sets[-1].epoch + timedelta(hours=1)
    status = build_status(state, at, 10.0)
    json.loads(dumps_status(status), parse_constant=_refuse)
    position = status["position"]
    if position is not None:
        assert MIN_ALTITUDE_KM - 30 < position["altitude_km"] < MAX_ALTITUDE_KM + 30
        assert all(math.isfinite(v) for v in position.values() if isinstance(v, float))


def _refuse(token: str) -> Any:
    raise AssertionError(f"non-finite number in JSON: {token}")


@PROPERTY_SETTINGS
@given(fields=st.fixed_dictionaries({}, optional=near_iss), now_ahead_h=st.floats(-1000, 1000))
def test_tle_fields_with_any_numbers(fields: dict[str, Any], now_ahead_h: float) -> None:
    try:
        line1, line2 = tle_lines(**fields)
    except (ValueError, OverflowError):
        return  # the fixture cannot write such a number into its columns
    epoch = fields.get("epoch", datetime(2025, 4, 7, 12, 29, 36, tzinfo=UTC))
    check_outcome(f"ISS\n{line1}\n{line2}\n", epoch + timedelta(hours=now_ahead_h))


@PROPERTY_SETTINGS
@given(
    position=st.integers(2, 67),
    char=st.sampled_from(list("0123456789 .-+eE")),
    line=st.integers(0, 1),
)
@pytest.mark.slow
def test_real_tle_with_any_character_changed(position: int, char: str, line: int) -> None:
    lines = list(tle_lines())
    text = lines[line]
    text = text[:position] + char + text[position + 1 : 68]
    lines[line] = text + str(tle_checksum(text))
    check_outcome(f"ISS\n{lines[0]}\n{lines[1]}\n", NOW)
    check_outcome(json.dumps({"line1": lines[0], "line2": lines[1]}), NOW)


json_values = st.one_of(
    any_float,
    st.integers(-(10**20), 10**20),
    st.text(max_size=30),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
)
OMM_KEYS = [
    "EPOCH",
    "MEAN_MOTION",
    "ECCENTRICITY",
    "INCLINATION",
    "RA_OF_ASC_NODE",
    "ARG_OF_PERICENTER",
    "MEAN_ANOMALY",
    "BSTAR",
    "MEAN_MOTION_DOT",
    "MEAN_MOTION_DDOT",
    "REV_AT_EPOCH",
    "NORAD_CAT_ID",
]


@PROPERTY_SETTINGS
@given(
    changes=st.dictionaries(
        st.sampled_from(OMM_KEYS),
        st.one_of(json_values, st.floats(-1000, 1000), st.floats(0, 1)),
        max_size=4,
    ),
    count=st.integers(1, 3),
    with_now=st.booleans(),
)
def test_omm_records_with_any_values(changes: dict[str, Any], count: int, with_now: bool) -> None:
    records = []
    for i in range(count):
        record = omm(NOW - timedelta(days=i))
        record.update(changes)
        records.append(record)
    try:
        body = json.dumps(records)
    except ValueError:
        return
    check_outcome(body, NOW if with_now else None)


@PROPERTY_SETTINGS
@given(age_h=st.floats(allow_nan=False, allow_infinity=False, min_value=-1e6, max_value=1e6))
def test_expected_error_is_finite_and_grows_with_age(age_h: float) -> None:
    error = expected_error_km(age_h)
    assert math.isfinite(error.median_km) and math.isfinite(error.p90_km)
    assert 1.0 <= error.median_km <= error.p90_km
    later = expected_error_km(abs(age_h) + 24.0)
    assert later.median_km >= error.median_km


_HISTORY = None


def _history_sets() -> tuple[Any, ...]:
    global _HISTORY
    if _HISTORY is None:
        from scripts.fixtures.elements import omm_history

        body = json.dumps(omm_history(30))
        raw = RawResponse("file:///x", 200, "text/plain", body, NOW)
        _HISTORY = parse_element_sets(raw, None).sets
    return _HISTORY


@PROPERTY_SETTINGS
@given(
    picks=st.lists(st.integers(0, 29), min_size=1, max_size=8, unique=True),
    origins=st.lists(st.sampled_from(["feed", "cache", "history", "bundled"]), min_size=8),
    at_h=st.floats(-100, 400),
)
def test_choice_is_the_epoch_nearest_the_time_on_either_side(
    picks: list[int], origins: list[str], at_h: float
) -> None:
    """Issue 24: the set nearest in time, before or after it (never the newest before it when
    a later one is nearer), labelled `after_time` when it is dated after the time."""
    from issdash.feeds.elements import choose, merge
    from scripts.fixtures.elements import HISTORY_START

    sets = _history_sets()
    infos = [ElementsInfo(sets[i], origins[n], NOW) for n, i in enumerate(picks)]  # type: ignore[arg-type]
    candidates = merge((), infos)
    at = HISTORY_START + timedelta(hours=at_h)
    choice = choose(candidates, at)
    assert choice is not None and choice.problem is None
    distance = abs(choice.elements.epoch - at)
    assert all(distance <= abs(sets[i].epoch - at) for i in picks)
    assert choice.after_time == (choice.elements.epoch > at)
