"""Adapter for the `tle` feed: orbital elements from CelesTrak GP (or any source of the same
shapes).

Accepted bodies: OMM as JSON (a list of records or one record), classic TLE text with or without
a name line (one or many sets), and `{"line1": ..., "line2": ...}` JSON as wheretheiss.at serves
it. Sets for other objects are skipped; TLE checksums are verified because skyfield does not.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sgp4.api import Satrec

from feeds.clock import ensure_utc, parse_iso_utc
from feeds.models import ISS_NORAD_ID, ElementSet
from feeds.sources import FeedError, RawResponse
from feeds.validation import describe_validation_error

# Elements are published after their epoch; one dated days ahead of our clock is not real.
MAX_EPOCH_AHEAD = timedelta(days=2)


class OmmRecord(BaseModel):
    """The OMM keys SGP4 needs, as CelesTrak writes them."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    OBJECT_NAME: str = "UNKNOWN"
    OBJECT_ID: str = ""
    NORAD_CAT_ID: int
    EPOCH: str
    MEAN_MOTION: float
    ECCENTRICITY: float
    INCLINATION: float
    RA_OF_ASC_NODE: float
    ARG_OF_PERICENTER: float
    MEAN_ANOMALY: float
    BSTAR: float
    MEAN_MOTION_DOT: float
    MEAN_MOTION_DDOT: float
    REV_AT_EPOCH: int = Field(default=0)
    ELEMENT_SET_NO: int = Field(default=999)
    EPHEMERIS_TYPE: int = 0
    CLASSIFICATION_TYPE: str = "U"


def parse_elements(raw: RawResponse, now: datetime, norad_id: int = ISS_NORAD_ID) -> ElementSet:
    """Parse any accepted body into the station's element set, or raise `FeedError`."""
    text = raw.body.strip()
    if not text:
        raise FeedError("empty body")
    if text[0] in "[{":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FeedError(f"malformed JSON at line {exc.lineno} column {exc.colno}") from None
        elements = _from_json(data, norad_id)
    elif text.startswith("<"):
        raise FeedError("got an HTML page, not elements")
    else:
        elements = _from_tle_text(text, norad_id)
    if elements.epoch > ensure_utc(now) + MAX_EPOCH_AHEAD:
        raise FeedError(f"element epoch {elements.epoch:%Y-%m-%d} is in the future")
    return elements


def _from_json(data: Any, norad_id: int) -> ElementSet:
    if isinstance(data, dict) and "line1" in data and "line2" in data:
        return elements_from_tle(
            str(data.get("name", "ISS")), str(data["line1"]), str(data["line2"])
        )
    records = data if isinstance(data, list) else [data]
    if not records:
        raise FeedError("no element sets in the response")
    reasons: list[str] = []
    for record in records:
        if not isinstance(record, dict):
            reasons.append("an entry is not an object")
            continue
        if str(record.get("NORAD_CAT_ID", "")) != str(norad_id):
            continue
        try:
            return elements_from_omm(OmmRecord.model_validate(record))
        except ValidationError as exc:
            reasons.append(describe_validation_error(exc))
        except FeedError as exc:
            reasons.append(exc.reason)
    if reasons:
        raise FeedError(f"invalid OMM record: {reasons[0]}")
    raise FeedError(f"no element set for catalog number {norad_id}")


def elements_from_omm(record: OmmRecord) -> ElementSet:
    try:
        epoch = parse_iso_utc(record.EPOCH)
    except ValueError:
        raise FeedError(f"bad EPOCH {record.EPOCH[:40]!r}") from None
    # skyfield's from_omm reads the same keys; we hand it strings, as a CSV reader would.
    omm = {key: str(value) for key, value in record.model_dump().items()}
    return _validated(
        name=record.OBJECT_NAME,
        norad_id=record.NORAD_CAT_ID,
        epoch=epoch,
        mean_motion_rev_day=record.MEAN_MOTION,
        eccentricity=record.ECCENTRICITY,
        inclination_deg=record.INCLINATION,
        raan_deg=record.RA_OF_ASC_NODE,
        arg_perigee_deg=record.ARG_OF_PERICENTER,
        mean_anomaly_deg=record.MEAN_ANOMALY,
        bstar=record.BSTAR,
        rev_at_epoch=record.REV_AT_EPOCH,
        omm=omm,
    )


def _from_tle_text(text: str, norad_id: int) -> ElementSet:
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    found: list[tuple[str, str, str]] = []
    name = "UNKNOWN"
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("1 ") and i + 1 < len(lines) and lines[i + 1].startswith("2 "):
            found.append((name, line, lines[i + 1]))
            name = "UNKNOWN"
            i += 2
            continue
        name = line[2:].strip() if line.startswith("0 ") else line.strip()
        i += 1
    if not found:
        raise FeedError("no TLE line pairs found in the response")
    for name, line1, line2 in found:
        if line1[2:7].strip().lstrip("0") == str(norad_id):
            return elements_from_tle(name, line1, line2)
    raise FeedError(f"no element set for catalog number {norad_id}")


def tle_checksum(line: str) -> int:
    """The TLE checksum: digits summed, each '-' counts 1, modulo 10."""
    total = 0
    for char in line[:68]:
        if char.isdigit():
            total += int(char)
        elif char == "-":
            total += 1
    return total % 10


def check_tle_line(line: str, number: int) -> None:
    """Raise `FeedError` with the reason when a TLE line is not well formed."""
    if len(line) != 69:
        raise FeedError(f"TLE line {number} has {len(line)} characters, expected 69")
    if not line.startswith(f"{number} "):
        raise FeedError(f"TLE line {number} does not start with '{number} '")
    if not line[68].isdigit():
        raise FeedError(f"TLE line {number} has no checksum digit")
    expected = tle_checksum(line)
    if int(line[68]) != expected:
        raise FeedError(f"TLE line {number} checksum is {line[68]}, computed {expected}")


def elements_from_tle(name: str, line1: str, line2: str) -> ElementSet:
    line1, line2 = line1.strip(), line2.strip()
    check_tle_line(line1, 1)
    check_tle_line(line2, 2)
    if line1[2:7] != line2[2:7]:
        raise FeedError("TLE lines are for different catalog numbers")
    try:
        sat = Satrec.twoline2rv(line1, line2)
    except (ValueError, IndexError) as exc:
        raise FeedError(f"TLE does not parse: {exc}") from None
    epoch_jd = sat.jdsatepoch + sat.jdsatepochF
    # Julian date 2440587.5 is the Unix epoch.
    epoch = datetime.fromtimestamp((epoch_jd - 2440587.5) * 86400.0, tz=UTC)
    return _validated(
        name=name or "UNKNOWN",
        norad_id=int(sat.satnum),
        epoch=epoch,
        mean_motion_rev_day=sat.no_kozai * 1440.0 / (2 * math.pi),
        eccentricity=sat.ecco,
        inclination_deg=math.degrees(sat.inclo),
        raan_deg=math.degrees(sat.nodeo),
        arg_perigee_deg=math.degrees(sat.argpo),
        mean_anomaly_deg=math.degrees(sat.mo),
        bstar=sat.bstar,
        rev_at_epoch=int(sat.revnum),
        tle_line1=line1,
        tle_line2=line2,
    )


def _validated(**fields: Any) -> ElementSet:
    try:
        return ElementSet(**fields)
    except ValidationError as exc:
        raise FeedError(f"implausible elements: {describe_validation_error(exc)}") from None
