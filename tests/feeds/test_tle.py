"""The `tle` adapter: every accepted shape, and a clear reason for every rejected one."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from issdash.feeds.adapters.tle import check_tle_line, parse_elements, tle_checksum
from issdash.feeds.sources import FeedError, RawResponse
from scripts.fixtures.ms27_payloads import (
    OLDER_LINE1,
    OLDER_LINE2,
    TIANHE_LINE1,
    TIANHE_LINE2,
    TLE_LINE1,
    TLE_LINE2,
    TLE_TEXT,
    omm_record,
)

NOW = datetime(2025, 4, 8, 5, 30, tzinfo=UTC)
EPOCH = datetime(2025, 4, 7, 12, 29, 36, tzinfo=UTC)


def raw(body: str, content_type: str = "text/plain") -> RawResponse:
    return RawResponse("file:///x", 200, content_type, body, NOW)


def assert_ms27_set(elements: object) -> None:
    from issdash.feeds.values import ElementSet

    assert isinstance(elements, ElementSet)
    assert elements.norad_id == 25544
    assert abs((elements.epoch - EPOCH).total_seconds()) < 1
    assert elements.mean_motion_rev_day == pytest.approx(15.4932068, abs=1e-7)
    assert elements.eccentricity == pytest.approx(0.0004979)
    assert elements.inclination_deg == pytest.approx(51.6365)
    assert elements.rev_at_epoch == 50420
    assert elements.period_min == pytest.approx(92.944, abs=0.01)


def test_three_line_tle() -> None:
    elements = parse_elements(raw(TLE_TEXT), NOW)
    assert_ms27_set(elements)
    assert elements.name == "ISS (ZARYA)"
    assert elements.tle_line1 == TLE_LINE1


def test_two_line_tle_without_name() -> None:
    assert_ms27_set(parse_elements(raw(f"{TLE_LINE1}\r\n{TLE_LINE2}\r\n"), NOW))


def test_group_of_sets_picks_the_station() -> None:
    body = f"CSS (TIANHE)\n{TIANHE_LINE1}\n{TIANHE_LINE2}\n{TLE_TEXT}"
    assert_ms27_set(parse_elements(raw(body), NOW))


def test_omm_list_and_single_object() -> None:
    assert_ms27_set(parse_elements(raw(json.dumps([omm_record()])), NOW))
    assert_ms27_set(parse_elements(raw(json.dumps(omm_record())), NOW))


def test_omm_and_tle_propagate_to_the_same_place() -> None:
    from issdash.model.orbit import OrbitEngine

    at = datetime(2025, 4, 8, 5, 47, 15, tzinfo=UTC)
    a = OrbitEngine(parse_elements(raw(TLE_TEXT), NOW)).state_at(at)
    b = OrbitEngine(parse_elements(raw(json.dumps([omm_record()])), NOW)).state_at(at)
    assert a.latitude_deg == pytest.approx(b.latitude_deg, abs=1e-3)
    assert a.longitude_deg == pytest.approx(b.longitude_deg, abs=1e-3)


def test_wheretheiss_tles_endpoint_shape() -> None:
    body = json.dumps({"name": "iss", "line1": TLE_LINE1, "line2": TLE_LINE2, "tle_timestamp": 1})
    assert_ms27_set(parse_elements(raw(body), NOW))


def test_checksum_of_published_lines() -> None:
    assert tle_checksum(TLE_LINE1) == 9
    assert tle_checksum(TLE_LINE2) == 5
    assert tle_checksum(OLDER_LINE1) == int(OLDER_LINE1[-1])
    assert tle_checksum(OLDER_LINE2) == int(OLDER_LINE2[-1])


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (f"{TLE_LINE1}\n{TLE_LINE2[:-1]}4\n", "checksum is 4, computed 5"),
        (f"{TLE_LINE1}\n{TLE_LINE2[:-3]}\n", "expected 69"),
        (f"{TLE_LINE1}\n{TLE_LINE2.replace('2 25544', '2 25545')}\n", "checksum"),
        ("", "empty body"),
        ("<html><body>502 Bad Gateway</body></html>", "HTML"),
        ("No GP data found", "no TLE line pairs"),
        (f"{TIANHE_LINE1}\n{TIANHE_LINE2}\n", "no element set for catalog number 25544"),
        ("[]", "no element sets"),
        ('[{"OBJECT_NAME": "ISS"', "malformed JSON"),
        (json.dumps([omm_record(ECCENTRICITY=1.5)]), "eccentricity"),
        (json.dumps([omm_record(MEAN_MOTION="fast")]), "MEAN_MOTION"),
        (json.dumps([omm_record(EPOCH="yesterday")]), "bad EPOCH"),
        (json.dumps([omm_record(EPOCH="2090-01-01T00:00:00")]), "in the future"),
        ('[{"NORAD_CAT_ID": 25544, "INCLINATION": NaN}]', "invalid OMM record"),
        (
            json.dumps([omm_record(INCLINATION=float("inf"))]).replace("Infinity", "1e999"),
            "inclination",
        ),
    ],
)
def test_rejections_give_a_reason(body: str, reason: str) -> None:
    with pytest.raises(FeedError) as caught:
        parse_elements(raw(body), NOW)
    assert reason.lower() in caught.value.reason.lower()


def test_line_structure_checks() -> None:
    with pytest.raises(FeedError, match="does not start with '1 '"):
        check_tle_line("2" + TLE_LINE1[1:], 1)
    check_tle_line(TLE_LINE1, 1)  # a good line passes silently


@pytest.mark.parametrize("classification", ["", "UU"])
def test_omm_classification_that_sgp4_cannot_store_is_a_feed_error(classification: str) -> None:
    # Found by the property test of every adapter: "" made sgp4's OMM reader raise TypeError.
    record = {**omm_record(), "CLASSIFICATION_TYPE": classification}
    with pytest.raises(FeedError):
        parse_elements(raw(json.dumps([record])), NOW)
