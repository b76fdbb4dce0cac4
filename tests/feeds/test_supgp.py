"""The `supgp` adapter: CelesTrak's elements fitted to NASA's trajectory, one OMM record per
six-hour segment, each holding from its epoch until the next one's."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from issdash.feeds.adapters.supgp import MAX_SEGMENTS, SEGMENT_HOLD, parse_supgp
from issdash.feeds.sources import FeedError, RawResponse
from scripts.fixtures.ms27_payloads import omm_record

FIRST = datetime(2025, 4, 7, 12, 0, tzinfo=UTC)
NOW = FIRST + timedelta(hours=1)


def _segments(count: int, **extra: Any) -> list[dict[str, Any]]:
    rows = []
    for i in range(count):
        epoch = FIRST + timedelta(hours=6 * i)
        rows.append(omm_record(EPOCH=epoch.strftime("%Y-%m-%dT%H:%M:%S.%f"), **extra))
    return rows


def _raw(body: object) -> RawResponse:
    return RawResponse("https://celestrak.org/sup-gp", 200, "", json.dumps(body), NOW)


def test_segments_two_weeks_ahead_are_read_with_their_rms() -> None:
    rows = _segments(56, RMS="0.412")  # 14 days: epochs up to 13.75 days after now
    fit = parse_supgp(_raw(rows), NOW)
    assert len(fit.segments) == 56
    assert fit.segments[0].rms_km == pytest.approx(0.412)
    assert fit.start == FIRST
    assert fit.stop == FIRST + timedelta(hours=6 * 55) + SEGMENT_HOLD


def test_each_time_is_covered_by_the_segment_begun_last() -> None:
    fit = parse_supgp(_raw(_segments(4)), NOW)
    third = fit.covering(FIRST + timedelta(hours=12, minutes=1))
    assert third is not None and third.elements.epoch == FIRST + timedelta(hours=12)
    exactly = fit.covering(FIRST + timedelta(hours=6))
    assert exactly is not None and exactly.elements.epoch == FIRST + timedelta(hours=6)
    assert fit.covering(FIRST - timedelta(seconds=1)) is None
    assert fit.covering(fit.stop + timedelta(seconds=1)) is None


@pytest.mark.parametrize("rms", [None, "n/a", -1.0, float("nan"), 1e9, [1], {"km": 1}])
def test_an_rms_that_is_not_one_is_unknown_not_zero(rms: object) -> None:
    rows = _segments(2)
    rows[0]["RMS"] = rms
    fit = parse_supgp(_raw(rows), NOW)
    assert fit.segments[0].rms_km is None


def test_another_object_is_skipped_and_none_of_the_station_is_an_error() -> None:
    rows = _segments(2, NORAD_CAT_ID=20580, OBJECT_NAME="HST")
    with pytest.raises(FeedError):
        parse_supgp(_raw(rows), NOW)


def test_more_segments_than_one_fit_has_are_refused() -> None:
    with pytest.raises(FeedError, match="more than"):
        parse_supgp(_raw(_segments(MAX_SEGMENTS + 1)), NOW)


def test_a_fit_from_months_ago_is_an_old_file_not_this_fit() -> None:
    with pytest.raises(FeedError, match="old fit"):
        parse_supgp(_raw(_segments(4)), NOW + timedelta(days=60))


def test_a_fit_that_begins_days_ahead_is_not_this_fit() -> None:
    with pytest.raises(FeedError, match="in the future"):
        parse_supgp(_raw(_segments(4)), NOW - timedelta(days=5))


def test_segments_before_the_station_existed_are_refused_whenever_used() -> None:
    rows = [omm_record(EPOCH="1990-01-01T00:00:00.000000")]
    with pytest.raises(FeedError, match="before the station was launched"):
        parse_supgp(_raw(rows), None)
