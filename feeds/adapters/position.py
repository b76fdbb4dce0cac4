"""Adapter for the `position` feed: where an API says the station is.

Two upstream shapes are understood, recognised by their fields rather than by URL so a mirror
or a file works too: wheretheiss.at (geodetic latitude, altitude, speed) and Open Notify
iss-now (geocentric latitude as strings). The fix is a cross-check of our own propagation,
never the source of what the map draws.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from issdash.feeds.clock import ensure_utc
from issdash.feeds.source_time import from_future
from issdash.feeds.sources import FeedError, RawResponse
from issdash.feeds.validation import describe_validation_error, json_body
from issdash.feeds.values import PositionFix

EARLIEST_FIX = datetime(1998, 11, 20, tzinfo=UTC)  # Zarya's launch: nothing before is the ISS


class _WhereTheIssAt(BaseModel):
    # Built when an answer is first read (see FrozenModel), as are Open Notify's below.
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False, defer_build=True)

    latitude: float
    longitude: float
    altitude: float
    velocity: float
    visibility: str | None = None
    timestamp: float = Field(gt=0)


class _OpenNotifyPosition(BaseModel):
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False, defer_build=True)

    latitude: float
    longitude: float


class _OpenNotifyNow(BaseModel):
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False, defer_build=True)

    message: str
    timestamp: float = Field(gt=0)
    iss_position: _OpenNotifyPosition


def parse_position(raw: RawResponse, now: datetime) -> PositionFix:
    """Parse a position payload into a `PositionFix`, or raise `FeedError` with the reason."""
    data: Any = json_body(raw, "a position")
    if isinstance(data, list) and data:
        data = data[-1]  # the /positions endpoint answers with a list; the newest is last
    if not isinstance(data, dict):
        raise FeedError(f"expected a JSON object, got {type(data).__name__}")
    try:
        if "iss_position" in data:
            fix = _from_open_notify(_OpenNotifyNow.model_validate(data))
        elif "latitude" in data:
            fix = _from_wheretheiss(_WhereTheIssAt.model_validate(data))
        else:
            raise FeedError("unrecognised position payload (no latitude or iss_position)")
    except ValidationError as exc:
        raise FeedError(f"invalid position: {describe_validation_error(exc)}") from None
    # A fix from the future is a broken clock (upstream's or ours), beyond the skew between
    # hosts that `source_time` allows: refused, in words, so it never replaces a real fix.
    if from_future(fix.timestamp, ensure_utc(now)):
        raise FeedError(f"position timestamp {fix.timestamp:%Y-%m-%d %H:%M}Z is in the future")
    if fix.timestamp < EARLIEST_FIX:
        raise FeedError(f"position timestamp {fix.timestamp:%Y-%m-%d} predates the station")
    return fix


def _from_wheretheiss(data: _WhereTheIssAt) -> PositionFix:
    return _fix(
        source="wheretheiss.at",
        timestamp=_unix(data.timestamp),
        latitude_deg=data.latitude,
        longitude_deg=_wrap180(data.longitude),
        altitude_km=data.altitude,
        speed_km_h=data.velocity,
        visibility=data.visibility,
    )


def _from_open_notify(data: _OpenNotifyNow) -> PositionFix:
    if data.message != "success":
        raise FeedError(f"Open Notify says {data.message[:60]!r}")
    return _fix(
        source="open-notify",
        timestamp=_unix(data.timestamp),
        latitude_deg=data.iss_position.latitude,
        longitude_deg=_wrap180(data.iss_position.longitude),
        latitude_is_geocentric=True,
    )


def _fix(**fields: Any) -> PositionFix:
    try:
        return PositionFix(**fields)
    except ValidationError as exc:
        raise FeedError(f"implausible position: {describe_validation_error(exc)}") from None


def _unix(seconds: float) -> datetime:
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise FeedError(f"timestamp {seconds!r} is out of range") from None


def _wrap180(longitude: float) -> float:
    # Some mirrors publish 0..360; a value outside +-540 is garbage, not a wrap.
    if -180.0 <= longitude <= 180.0 or not -540.0 <= longitude <= 540.0:
        return longitude
    return ((longitude + 180.0) % 360.0) - 180.0
