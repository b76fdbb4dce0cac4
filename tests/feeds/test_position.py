"""The `position` adapter: both upstream shapes, and absurd values rejected with a reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from issdash.feeds.adapters.position import parse_position
from issdash.feeds.sources import FeedError, RawResponse
from scripts.fixtures.ms27_payloads import open_notify_now, wheretheiss

NOW = datetime(2025, 4, 8, 5, 47, 20, tzinfo=UTC)
FIX_AT = datetime(2025, 4, 8, 5, 47, 15, tzinfo=UTC)


def raw(body: str) -> RawResponse:
    return RawResponse("http://127.0.0.1/x", 200, "application/json", body, NOW)


def test_wheretheiss() -> None:
    fix = parse_position(raw(wheretheiss(FIX_AT, 43.9088, 59.1633)), NOW)
    assert fix.source == "wheretheiss.at"
    assert fix.timestamp == FIX_AT
    assert (fix.latitude_deg, fix.longitude_deg) == (43.9088, 59.1633)
    assert fix.altitude_km == 420.3
    assert fix.speed_km_h == 27597.8
    assert not fix.latitude_is_geocentric


def test_wheretheiss_positions_list_takes_the_newest() -> None:
    body = json.dumps(
        [
            json.loads(wheretheiss(FIX_AT - timedelta(seconds=5), 43.5, 58.9)),
            json.loads(wheretheiss(FIX_AT, 43.9, 59.2)),
        ]
    )
    assert parse_position(raw(body), NOW).latitude_deg == 43.9


def test_open_notify_strings_and_geocentric_latitude() -> None:
    fix = parse_position(raw(open_notify_now(FIX_AT, 43.7213, -120.5)), NOW)
    assert fix.source == "open-notify"
    assert fix.latitude_is_geocentric
    assert fix.latitude_deg == pytest.approx(43.7213)
    assert fix.longitude_deg == pytest.approx(-120.5)
    assert fix.altitude_km is None


def test_longitude_0_to_360_is_wrapped() -> None:
    fix = parse_position(raw(wheretheiss(FIX_AT, 10.0, 300.0)), NOW)
    assert fix.longitude_deg == pytest.approx(-60.0)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (wheretheiss(FIX_AT, 999.0, 10.0), "latitude"),
        (wheretheiss(FIX_AT, 10.0, 9999.0), "longitude"),
        (wheretheiss(FIX_AT, 10.0, 10.0, altitude=-5.0), "altitude"),
        (
            wheretheiss(FIX_AT, 10.0, 10.0).replace('"altitude": 420.3', '"altitude": NaN'),
            "altitude",
        ),
        (
            wheretheiss(FIX_AT, 10.0, 10.0).replace('"velocity": 27597.8', '"velocity": Infinity'),
            "velocity",
        ),
        (wheretheiss(datetime(2090, 1, 1, tzinfo=UTC), 10.0, 10.0), "in the future"),
        (wheretheiss(datetime(1990, 1, 1, tzinfo=UTC), 10.0, 10.0), "predates"),
        (wheretheiss(FIX_AT, 10.0, 10.0, timestamp=1e20), "out of range"),
        (
            wheretheiss(FIX_AT, 10.0, 10.0).replace('"latitude": 10.0', '"latitude": "north"'),
            "latitude",
        ),
        (
            json.dumps(
                {
                    "message": "failure",
                    "timestamp": 1744091235,
                    "iss_position": {"latitude": "1", "longitude": "2"},
                }
            ),
            "failure",
        ),
        (json.dumps({"message": "success", "timestamp": 1744091235}), "unrecognised"),
        (json.dumps([1, 2, 3]), "expected a JSON object"),
        ("", "empty body"),
        ("<!DOCTYPE html><title>Rate limited</title>", "HTML"),
        ('{"latitude": 1.0, "longitude"', "malformed JSON"),
        (json.dumps({"latitude": 1.0}), "invalid position"),
    ],
)
def test_rejections_give_a_reason(body: str, reason: str) -> None:
    with pytest.raises(FeedError) as caught:
        parse_position(raw(body), NOW)
    assert reason.lower() in caught.value.reason.lower()
