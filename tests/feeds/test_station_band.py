"""Only the station's elements are the station's: an element set is taken for the station only
inside its band of orbits (inclination 51.6 +/- 0.6 deg, mean motion 15.2-16.0 rev/day,
eccentricity below 0.01), whatever catalog number it carries (issue 24, case 9)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from issdash.feeds.adapters.tle import parse_element_sets
from issdash.feeds.sources import FeedError, RawResponse
from scripts.fixtures.elements import omm, tle_text

NOW = datetime(2025, 4, 8, 5, 47, 15, tzinfo=UTC)


def parse(body: str) -> object:
    return parse_element_sets(RawResponse("file:///x", 200, "text/plain", body, NOW), NOW)


def in_band(inclination_deg: float, mean_motion_rev_day: float, eccentricity: float) -> bool:
    return (
        51.0 <= inclination_deg <= 52.2
        and 15.2 <= mean_motion_rev_day <= 16.0
        and eccentricity < 0.01
    )


def near_an_edge(inclination_deg: float, mean_motion_rev_day: float, eccentricity: float) -> bool:
    """Within rounding of a bound: which side it falls is the float's business, not ours."""
    edges = ((inclination_deg, 51.0), (inclination_deg, 52.2), (mean_motion_rev_day, 15.2))
    edges += ((mean_motion_rev_day, 16.0), (eccentricity, 0.01))
    return any(abs(value - edge) < 1e-9 for value, edge in edges)


def test_hubble_relabelled_as_the_station_is_refused_in_words() -> None:
    # Hubble's orbit (28.47 deg, 15.27 rev/day, ~537 km) with its catalog number changed to
    # 25544 and the checksums made good: a real low orbit, so the physical checks passed it.
    body = tle_text(
        name="HST",
        catalog=25544,
        inclination_deg=28.4699,
        raan_deg=101.2,
        eccentricity=0.0002,
        mean_motion_rev_day=15.2708,
        rev=2347,
        epoch=NOW,
    )
    with pytest.raises(FeedError) as caught:
        parse(body)
    reason = caught.value.reason
    assert "not the station's elements" in reason
    assert "inclination 28.47 deg" in reason and "51.0-52.2 deg" in reason


@settings(max_examples=150, deadline=None)
@given(
    inclination_deg=st.one_of(st.floats(0.0, 180.0), st.floats(50.5, 52.7)),
    mean_motion_rev_day=st.one_of(st.floats(0.6, 19.9), st.floats(14.9, 16.3)),
    eccentricity=st.one_of(st.floats(0.0, 0.05), st.floats(0.0, 0.9)),
)
def test_a_set_is_the_stations_exactly_inside_its_band(
    inclination_deg: float, mean_motion_rev_day: float, eccentricity: float
) -> None:
    assume(not near_an_edge(inclination_deg, mean_motion_rev_day, eccentricity))
    record = omm(
        NOW,
        INCLINATION=inclination_deg,
        MEAN_MOTION=mean_motion_rev_day,
        ECCENTRICITY=eccentricity,
    )
    body = json.dumps([record])
    if in_band(inclination_deg, mean_motion_rev_day, eccentricity):
        # Inside the band every such orbit is a physical one at its epoch: accepted.
        parse(body)
    else:
        # Refused, in words: as no physical orbit (altitude, speed, SGP4's own error) when it
        # is none, else as not the station's.
        with pytest.raises(FeedError) as caught:
            parse(body)
        reason = caught.value.reason
        assert reason.startswith(("implausible elements: ", "not the station's elements: "))
        if reason.startswith("not"):
            assert "outside the station's band" in reason
