"""Adapter for the `tle` feed: orbital elements from CelesTrak GP (or any source of the same
shapes).

Accepted bodies: OMM as JSON (a list of records or one record), classic TLE text with or without
a name line (one or many sets), and `{"line1": ..., "line2": ...}` JSON as wheretheiss.at serves
it. Every set of the station in the body is kept (a history of sets answers for any time it
covers, see `issdash.feeds.elements.choose`); sets for other objects are skipped on every path. TLE
checksums are verified because skyfield does not. Every set must propagate to a physical state
of the station (`issdash.feeds.elements.physical_problem`) at its epoch and, for the one that
would be used now, at `now`; and a set of the station's catalog number must describe the
station's orbit (`issdash.feeds.elements.band_problem`: inclination, mean motion, eccentricity).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sgp4.api import Satrec

from issdash.feeds.clock import ensure_utc, parse_iso_utc
from issdash.feeds.elements import ElementSets, band_problem, physical_problem
from issdash.feeds.sources import FeedError, RawResponse
from issdash.feeds.validation import describe_validation_error
from issdash.feeds.values import ISS_NORAD_ID, ElementSet

# Elements are published after their epoch; one dated days ahead of our clock is not real.
MAX_EPOCH_AHEAD = timedelta(days=2)
# More sets than a decade of daily ISS history is not a history of the station; the cap keeps
# the checks (a propagation each, ~0.1 ms) bounded whatever the body holds.
MAX_SETS = 5000
# How many reasons for skipped sets are kept to be shown.
_REASONS_KEPT = 5


class OmmRecord(BaseModel):
    """The OMM keys SGP4 needs, as CelesTrak writes them."""

    # Built when the first OMM JSON body is read (see FrozenModel): a start from TLE text
    # (the demo, `status --demo`, the bundled elements) never builds it.
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False, defer_build=True)

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
    # One character, as SGP4 stores it ("" made sgp4's OMM reader raise TypeError).
    CLASSIFICATION_TYPE: str = Field(default="U", min_length=1, max_length=1)


def parse_elements(raw: RawResponse, now: datetime, norad_id: int = ISS_NORAD_ID) -> ElementSet:
    """The station's set for `now` from any accepted body, or `FeedError` with the reason."""
    return parse_element_sets(raw, now, norad_id).for_time(now)


def parse_element_sets(
    raw: RawResponse, now: datetime | None, norad_id: int = ISS_NORAD_ID
) -> ElementSets:
    """Every plausible set of the station in any accepted body, or `FeedError` saying why
    there is none.

    `now` is when the sets are about to be used: a set dated more than two days after it is
    not real, and the set that would be used at `now` must propagate to a physical state then
    (not only at its epoch). None (a bundled or history file, used at whatever time is asked)
    checks each set at its epoch only; `issdash.feeds.elements.choose` checks at the time of use.
    """
    text = raw.body.strip()
    if not text:
        raise FeedError("empty body")
    if text[0] in "[{":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FeedError(f"malformed JSON at line {exc.lineno} column {exc.colno}") from None
        except RecursionError:
            raise FeedError("JSON nested too deeply") from None
        except ValueError:  # an integer of more than 4,300 digits (Python's conversion limit)
            raise FeedError("a number in the JSON is too long") from None
        builders = _from_json(data, norad_id)
    elif text.startswith("<"):
        raise FeedError("got an HTML page, not elements")
    else:
        builders = _from_tle_text(text, norad_id)
    return _checked(builders, now, norad_id)


Builder = Callable[[], ElementSet]


def _checked(builders: Iterator[Builder], now: datetime | None, norad_id: int) -> ElementSets:
    reasons: list[str] = []
    by_epoch: dict[datetime, ElementSet] = {}
    limit = ensure_utc(now) + MAX_EPOCH_AHEAD if now is not None else None
    for count, build in enumerate(builders):
        if count >= MAX_SETS:
            reasons.append(f"more than {MAX_SETS} sets: the rest were not read")
            break
        try:
            elements = build()
        except FeedError as exc:
            reasons.append(exc.reason)
            continue
        reason = _problem(elements, limit, norad_id)
        if reason is not None:
            reasons.append(reason)
            continue
        by_epoch[elements.epoch] = elements
    sets = sorted(by_epoch.values(), key=lambda e: e.epoch)
    if now is not None:
        # The set for `now` is the one about to be drawn: it must hold up at `now` too (a set
        # that is fine at its epoch can decay into nonsense a day later, or before it).
        while sets:
            chosen = ElementSets(tuple(sets)).for_time(now)
            problem = physical_problem(chosen, now)
            if problem is None:
                break
            reasons.append(f"implausible elements: {problem}")
            sets.remove(chosen)
    if not sets:
        if reasons:
            raise FeedError(reasons[0])
        raise FeedError(f"no element set for catalog number {norad_id}")
    return ElementSets(tuple(sets), tuple(reasons[:_REASONS_KEPT]), len(reasons))


def _problem(elements: ElementSet, limit: datetime | None, norad_id: int) -> str | None:
    if elements.norad_id != norad_id:
        return f"catalog number {elements.norad_id} is not the station's ({norad_id})"
    if limit is not None and elements.epoch > limit:
        return f"element epoch {elements.epoch:%Y-%m-%d} is in the future"
    problem = physical_problem(elements, elements.epoch)
    if problem is not None:
        return f"implausible elements: {problem}"
    if norad_id == ISS_NORAD_ID:
        # A catalog number is one field anyone can retype; the orbit is the station's proof
        # (Hubble's set relabelled 25544 is a physical low orbit, only not the station's).
        band = band_problem(elements)
        if band is not None:
            return f"not the station's elements: {band}"
    return None


def _from_json(data: Any, norad_id: int) -> Iterator[Builder]:
    if isinstance(data, dict) and "line1" in data and "line2" in data:
        name, line1, line2 = str(data.get("name", "ISS")), str(data["line1"]), str(data["line2"])
        yield lambda: elements_from_tle(name, line1, line2)
        return
    records = data if isinstance(data, list) else [data]
    if not records:
        raise FeedError("no element sets in the response")
    for record in records:
        if not isinstance(record, dict):
            yield _failing("invalid OMM record: an entry is not an object")
            continue
        if str(record.get("NORAD_CAT_ID", "")) != str(norad_id):
            continue
        yield partial(_omm, record)


def _failing(reason: str) -> Builder:
    def build() -> ElementSet:
        raise FeedError(reason)

    return build


def _omm(record: dict[str, Any]) -> ElementSet:
    try:
        return elements_from_omm(OmmRecord.model_validate(record))
    except ValidationError as exc:
        raise FeedError(f"invalid OMM record: {describe_validation_error(exc)}") from None
    except FeedError as exc:
        raise FeedError(f"invalid OMM record: {exc.reason}") from None


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


def _from_tle_text(text: str, norad_id: int) -> Iterator[Builder]:
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    found = False
    name = "UNKNOWN"
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("1 ") and i + 1 < len(lines) and lines[i + 1].startswith("2 "):
            found = True
            line2 = lines[i + 1]
            # Sets for other objects are skipped before parsing (a catalogue of thousands is
            # cheap); the parsed number is checked again in `_problem`.
            if line[2:7].strip().lstrip("0") == str(norad_id):
                yield partial(elements_from_tle, name, line, line2)
            name = "UNKNOWN"
            i += 2
            continue
        name = line[2:].strip() if line.startswith("0 ") else line.strip()
        i += 1
    if not found:
        raise FeedError("no TLE line pairs found in the response")


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
    try:
        # Julian date 2440587.5 is the Unix epoch.
        epoch = datetime.fromtimestamp((epoch_jd - 2440587.5) * 86400.0, tz=UTC)
    except (ValueError, OverflowError, OSError):
        # A day of the year in the millions still parses as a number.
        raise FeedError(f"TLE epoch {line1[18:32]!r} is not a date") from None
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
