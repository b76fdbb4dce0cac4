"""Adapter for NASA's ISS trajectory: CCSDS OEM 2.0 (Orbit Ephemeris Message), text or XML.

NASA publishes the station's predicted trajectory about three times a week as KVN text
(`ISS.OEM_J2K_EPH.txt`) and as XML beside it: EME2000 state vectors in UTC every 4 minutes for
about 15 days, with denser blocks around events (2 s steps through a burn). The header's
COMMENT lines carry the mass, the drag area, the first and last ascending node with their
orbit numbers, and the TRAJECTORY EVENT SUMMARY (ignition as day-of-year without a year).

Both forms come out as one `Oem`. Checked: the station's identity, the frame and time system
(we would misread any other), finite states at the station's radius and speed, epochs strictly
increasing, a span of hours to about three weeks. XML is read by the standard library's
parser after refusing any DOCTYPE or ENTITY (no entity expansion, no external fetches).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from issdash.feeds.sources import FeedError, RawResponse
from issdash.feeds.text import clean_text
from issdash.feeds.values import ZARYA_LAUNCH

if TYPE_CHECKING:
    # The parser is imported when an XML OEM is read, not at start (it is not needed to draw).
    import xml.etree.ElementTree as ET

STATION_NAME = "ISS"
STATION_ID = "1998-067A"  # COSPAR, written 1998-067-A by NASA; compared without dashes
# A 15-day file at 4 min is ~5,400 states plus the event blocks (a 4-min burn at 2 s is 120);
# four times that is still the station's, and bounds the work whatever the body holds.
MAX_STATES = 20_000
MAX_EVENTS = 100
MAX_COMMENTS = 500
# The station's orbit (about 400 km up, 7.66 km/s): far wider than any altitude it has flown,
# narrow enough that a unit mistake (m for km) or another object is refused.
MIN_RADIUS_KM, MAX_RADIUS_KM = 6_500.0, 7_000.0
MIN_SPEED_KM_S, MAX_SPEED_KM_S = 7.0, 8.0
MIN_SPAN = timedelta(hours=1)
MAX_SPAN = timedelta(days=21)
# A file is made before the span it predicts; one created days after our clock is not real.
MAX_CREATED_AHEAD = timedelta(days=2)
# A state may sit a rounding away outside START_TIME..STOP_TIME.
_SPAN_SLACK = timedelta(milliseconds=1)
_NAME_MAX_CHARS = 40
_LINE_MAX_CHARS = 1_000


@dataclass(frozen=True, slots=True)
class StateVector:
    """One published state: EME2000 position (km) and velocity (km/s) at `epoch` (UTC)."""

    epoch: datetime
    x_km: float
    y_km: float
    z_km: float
    vx_km_s: float
    vy_km_s: float
    vz_km_s: float


@dataclass(frozen=True, slots=True)
class AscendingNode:
    """An ascending node named in the header: when, which orbit starts there, its longitude."""

    epoch: datetime
    orbit: int
    lan_deg: float | None


@dataclass(frozen=True, slots=True)
class TrajectoryEvent:
    """One row of the TRAJECTORY EVENT SUMMARY (a reboost, a docking, a launch...)."""

    name: str
    ignition: datetime
    delta_v_m_s: float
    apogee_km: float | None
    perigee_km: float | None


@dataclass(frozen=True, slots=True)
class OemHeader:
    object_name: str
    object_id: str
    center_name: str
    ref_frame: str
    time_system: str
    start: datetime
    stop: datetime
    created: datetime | None
    originator: str


@dataclass(frozen=True, slots=True)
class Oem:
    """A validated trajectory. `segment_starts` are the first epochs of every segment after
    the first: nothing may be interpolated across them."""

    header: OemHeader
    states: tuple[StateVector, ...]
    segment_starts: tuple[datetime, ...]
    mass_kg: float | None
    drag_area_m2: float | None
    first_node: AscendingNode | None
    last_node: AscendingNode | None
    events: tuple[TrajectoryEvent, ...]


@dataclass
class _Segment:
    meta: dict[str, str]
    comments: list[str]
    states: list[StateVector]


def parse_oem(raw: RawResponse, now: datetime | None) -> Oem:
    """The trajectory in `raw` (KVN text or XML), or `FeedError` saying what is wrong.

    `now` (None for a file used at whatever time is asked) bounds the creation date."""
    text = raw.body.lstrip("\ufeff").strip()
    if not text:
        raise FeedError("empty body")
    if _HTML.match(text):
        # An error or login page served with 200 (a moved bucket, a captive portal).
        raise FeedError("got an HTML page, not a trajectory")
    if text.startswith("<"):
        header_meta, segments = _read_xml(text)
    elif text.startswith("CCSDS_OEM_VERS"):
        header_meta, segments = _read_kvn(text)
    else:
        raise FeedError("not an OEM: neither CCSDS_OEM_VERS text nor XML")
    return _validated(header_meta, segments, now)


# --- times ---------------------------------------------------------------------------------

_CALENDAR = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z?")
_DAY_OF_YEAR = re.compile(r"(\d{4})-(\d{3})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z?")


def parse_oem_epoch(text: str) -> datetime:
    """A CCSDS time, `2024-11-27T12:00:00.000` or `2022-042T12:00:00.000Z`, as UTC.

    Fractions beyond microseconds are cut (a nanosecond is 7.7 µm of flight)."""
    value = text.strip()
    try:
        if match := _CALENDAR.fullmatch(value):
            year, month, day, hour, minute, second, frac = match.groups()
            base = datetime(int(year), int(month), int(day), int(hour), int(minute), tzinfo=UTC)
        elif match := _DAY_OF_YEAR.fullmatch(value):
            year, doy, hour, minute, second, frac = match.groups()
            if not 1 <= int(doy) <= 366:
                raise ValueError
            base = datetime(int(year), 1, 1, int(hour), int(minute), tzinfo=UTC) + timedelta(
                days=int(doy) - 1
            )
            if base.year != int(year):  # day 366 of a common year
                raise ValueError
        else:
            raise ValueError
    except ValueError:
        raise FeedError(f"bad epoch {clean_text(value, 40)!r}") from None
    if int(second) > 60:  # 60: a leap second, carried into the next minute
        raise FeedError(f"bad epoch {clean_text(value, 40)!r}")
    micros = int((frac or "0")[:6].ljust(6, "0"))
    return base + timedelta(seconds=int(second), microseconds=micros)


# --- KVN -----------------------------------------------------------------------------------

_KEY_VALUE = re.compile(r"([A-Z_]+)\s*=\s*(.*)")


def _read_kvn(text: str) -> tuple[dict[str, str], list[_Segment]]:
    header: dict[str, str] = {}
    segments: list[_Segment] = []
    current: _Segment | None = None
    in_meta = in_covariance = False
    for number, line in enumerate(_lines(text), start=1):
        if not line:
            continue
        if in_covariance:  # covariance rows are not states; read to their end
            in_covariance = line != "COVARIANCE_STOP"
            continue
        if line == "META_START":
            current = _Segment({}, [], [])
            segments.append(current)
            in_meta = True
            continue
        if line == "META_STOP":
            if not in_meta:
                raise FeedError(f"line {number}: META_STOP without META_START")
            in_meta = False
            continue
        if line == "COVARIANCE_START":
            in_covariance = True
            continue
        if line.startswith("COMMENT"):
            if current is not None:
                _keep_comment(current, line[len("COMMENT") :])
            continue
        if in_meta or current is None:
            match = _KEY_VALUE.fullmatch(line)
            if match is None:
                raise FeedError(f"line {number}: expected KEYWORD = value")
            target = current.meta if current is not None else header
            target[match.group(1)] = match.group(2).strip()
            continue
        current.states.append(_kvn_state(line, number))
        _check_count(segments)
    if in_meta:
        raise FeedError("META_START without META_STOP")
    return header, segments


def _lines(text: str) -> Iterator[str]:
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > _LINE_MAX_CHARS:
            raise FeedError(f"line {number} is over {_LINE_MAX_CHARS} characters")
        yield line.strip()


def _kvn_state(line: str, number: int) -> StateVector:
    fields = line.split()
    # 7 fields, or 10 with the optional accelerations (not needed: velocities suffice).
    if len(fields) not in (7, 10):
        raise FeedError(f"line {number}: a state has {len(fields)} fields, expected 7")
    return _state(fields[0], fields[1:7], f"line {number}")


def _state(epoch: str, values: list[str], where: str) -> StateVector:
    try:
        numbers = [float(v) for v in values]
    except ValueError:
        raise FeedError(f"{where}: a state value is not a number") from None
    return StateVector(parse_oem_epoch(epoch), *numbers)


def _keep_comment(segment: _Segment, comment: str) -> None:
    if len(segment.comments) >= MAX_COMMENTS:
        raise FeedError(f"more than {MAX_COMMENTS} comments")
    segment.comments.append(comment)


def _check_count(segments: list[_Segment]) -> None:
    if sum(len(s.states) for s in segments) > MAX_STATES:
        raise FeedError(f"more than {MAX_STATES} states")


# --- XML -----------------------------------------------------------------------------------

# A DTD can declare entities (billion laughs) or external ones (a file or URL fetched): no OEM
# needs one, so any declaration refuses the body before a parser sees it.
_HTML = re.compile(r"<!doctype\s+html|<html[\s>]", re.IGNORECASE)
_DECLARATION = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_META = (
    "OBJECT_NAME",
    "OBJECT_ID",
    "CENTER_NAME",
    "REF_FRAME",
    "TIME_SYSTEM",
    "START_TIME",
    "STOP_TIME",
)
_XML_STATE = ("X", "Y", "Z", "X_DOT", "Y_DOT", "Z_DOT")


def _read_xml(text: str) -> tuple[dict[str, str], list[_Segment]]:
    if _DECLARATION.search(text):
        raise FeedError("XML with a DOCTYPE or ENTITY declaration is refused")
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise FeedError(f"malformed XML ({clean_text(exc, 80)})") from None
    oem = root if _local(root.tag) == "oem" else _child(root, "oem")
    if oem is None:
        raise FeedError("XML without an <oem> element")
    header: dict[str, str] = {}
    head = _child(oem, "header")
    if head is not None:
        header = {_local(e.tag): (e.text or "").strip() for e in head}
    body = _child(oem, "body")
    if body is None:
        raise FeedError("XML OEM without a <body>")
    segments: list[_Segment] = []
    for element in body:
        if _local(element.tag) != "segment":
            continue
        meta_element = _child(element, "metadata")
        meta = (
            {}
            if meta_element is None
            else {_local(e.tag): (e.text or "").strip() for e in meta_element}
        )
        segment = _Segment(meta, [], [])
        segments.append(segment)
        data = _child(element, "data")
        for item in data if data is not None else ():
            tag = _local(item.tag)
            if tag == "COMMENT":
                _keep_comment(segment, item.text or "")
            elif tag == "stateVector":
                segment.states.append(_xml_state(item, len(segment.states) + 1))
                _check_count(segments)
    return header, segments


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return next((e for e in element if _local(e.tag) == name), None)


def _xml_state(item: ET.Element, number: int) -> StateVector:
    values = {_local(e.tag): (e.text or "").strip() for e in item}
    missing = [key for key in ("EPOCH", *_XML_STATE) if key not in values]
    if missing:
        raise FeedError(f"state {number} has no {missing[0]}")
    return _state(values["EPOCH"], [values[k] for k in _XML_STATE], f"state {number}")


# --- the header comments -------------------------------------------------------------------

_NUMBER = r"-?\d+(?:\.\d+)?"
_MASS = re.compile(rf"MASS\s*=\s*({_NUMBER})")
_DRAG_AREA = re.compile(rf"DRAG_AREA\s*=\s*({_NUMBER})")
_NODE = re.compile(
    rf"(first|last) asc\. node\s*:\s*EPOCH\s*=\s*(\S+)\s*\$\s*ORBIT\s*=\s*(\d+)"
    rf"(?:\s*\$\s*LAN\(DEG\)\s*=\s*({_NUMBER}))?",
    re.IGNORECASE,
)
# ` GMT057 Reboost        057:01:37:00.000             0.4     423.8     409.1`: the ORB
# column is usually blank; the row below in parentheses is the same in ft/s and nmi.
_EVENT = re.compile(
    rf"\s*(?P<name>\S.*?)\s+(?P<day>\d{{3}}):(?P<h>\d{{2}}):(?P<m>\d{{2}}):(?P<s>\d{{2}}(?:\.\d+)?)"
    rf"(?:\s+\d+)??\s+(?P<dv>{_NUMBER})(?:\s+(?P<ha>{_NUMBER})\s+(?P<hp>{_NUMBER}))?\s*"
)


def _float(pattern: re.Pattern[str], comments: Iterable[str]) -> float | None:
    for comment in comments:
        if match := pattern.search(comment):
            value = float(match.group(1))
            return value if math.isfinite(value) else None
    return None


def _nodes(comments: Iterable[str]) -> dict[str, AscendingNode]:
    found: dict[str, AscendingNode] = {}
    for comment in comments:
        if match := _NODE.search(comment):
            which, epoch, orbit, lan = match.groups()
            found[which.lower()] = AscendingNode(
                parse_oem_epoch(epoch), int(orbit), float(lan) if lan is not None else None
            )
    return found


def parse_events(comments: Iterable[str], start: datetime) -> tuple[TrajectoryEvent, ...]:
    """The rows of the TRAJECTORY EVENT SUMMARY, between its two `=====` rules.

    Ignition times carry a day of the year and no year: the year is START_TIME's, or the next
    one when that day would fall more than half a year before the start (a file made in late
    December lists January's events)."""
    events: list[TrajectoryEvent] = []
    rules = 0
    for comment in comments:
        if comment.strip().startswith("===="):
            rules += 1
            continue
        if rules != 1:
            continue
        match = _EVENT.fullmatch(comment)
        if match is None:
            continue  # the units row in parentheses, blank rows
        if len(events) >= MAX_EVENTS:
            raise FeedError(f"more than {MAX_EVENTS} events in the summary")
        events.append(_event(match, start))
    return tuple(events)


def _event(match: re.Match[str], start: datetime) -> TrajectoryEvent:
    day = int(match["day"])
    if not 1 <= day <= 366:
        raise FeedError(f"event day {day} is not a day of the year")
    offset = timedelta(
        days=day - 1, hours=int(match["h"]), minutes=int(match["m"]), seconds=float(match["s"])
    )
    year = start.year
    ignition = datetime(year, 1, 1, tzinfo=UTC) + offset
    if ignition < start - timedelta(days=183):
        ignition = datetime(year + 1, 1, 1, tzinfo=UTC) + offset
    ha, hp = match["ha"], match["hp"]
    return TrajectoryEvent(
        name=clean_text(match["name"], _NAME_MAX_CHARS),
        ignition=ignition,
        delta_v_m_s=float(match["dv"]),
        apogee_km=float(ha) if ha is not None else None,
        perigee_km=float(hp) if hp is not None else None,
    )


# --- validation ----------------------------------------------------------------------------


def _validated(header_meta: dict[str, str], segments: list[_Segment], now: datetime | None) -> Oem:
    if not segments:
        raise FeedError("no segment (no metadata) in the OEM")
    metas = [_meta(s.meta) for s in segments]
    first = metas[0]
    for meta in metas:
        _check_identity(meta)
    created = None
    if creation := header_meta.get("CREATION_DATE"):
        created = parse_oem_epoch(creation)
        if now is not None and created > now + MAX_CREATED_AHEAD:
            raise FeedError(f"created {created:%Y-%m-%d}, in the future")
    states: list[StateVector] = []
    starts: list[datetime] = []
    for segment, meta in zip(segments, metas, strict=True):
        if segment.states and states:
            starts.append(segment.states[0].epoch)
        for state in segment.states:
            if not meta[5] - _SPAN_SLACK <= state.epoch <= meta[6] + _SPAN_SLACK:
                raise FeedError(f"state at {state.epoch:%Y-%m-%d %H:%M:%S} is outside its span")
        states.extend(segment.states)
    _check_states(states)
    if first[5] < ZARYA_LAUNCH:
        raise FeedError(f"starts {first[5]:%Y-%m-%d}, before the station was launched")
    comments = [c for s in segments for c in s.comments]
    nodes = _nodes(comments)
    return Oem(
        header=OemHeader(
            object_name=first[0],
            object_id=first[1],
            center_name=first[2],
            ref_frame=first[3],
            time_system=first[4],
            start=first[5],
            stop=metas[-1][6],
            created=created,
            originator=clean_text(header_meta.get("ORIGINATOR", ""), _NAME_MAX_CHARS),
        ),
        states=tuple(states),
        segment_starts=tuple(starts),
        mass_kg=_float(_MASS, comments),
        drag_area_m2=_float(_DRAG_AREA, comments),
        first_node=nodes.get("first"),
        last_node=nodes.get("last"),
        events=parse_events(comments, first[5]),
    )


_Meta = tuple[str, str, str, str, str, datetime, datetime]


def _meta(meta: dict[str, str]) -> _Meta:
    missing = [key for key in _XML_META if not meta.get(key)]
    if missing:
        raise FeedError(f"metadata without {missing[0]}")
    words = [clean_text(meta[key], _NAME_MAX_CHARS).upper() for key in _XML_META[:5]]
    start, stop = parse_oem_epoch(meta["START_TIME"]), parse_oem_epoch(meta["STOP_TIME"])
    if stop <= start:
        raise FeedError("STOP_TIME is not after START_TIME")
    return (words[0], words[1], words[2], words[3], words[4], start, stop)


def _check_identity(meta: _Meta) -> None:
    name, object_id, center, frame, time_system = meta[:5]
    if object_id.replace("-", "") != STATION_ID.replace("-", ""):
        raise FeedError(f"OBJECT_ID {object_id!r} is not the station's ({STATION_ID})")
    if name != STATION_NAME:
        raise FeedError(f"OBJECT_NAME {name!r} is not the station's ({STATION_NAME})")
    # Any other centre, frame or time scale would be read as if it were these.
    if center != "EARTH":
        raise FeedError(f"CENTER_NAME {center!r}, expected EARTH")
    if frame not in ("EME2000", "J2000"):
        raise FeedError(f"REF_FRAME {frame!r}, expected EME2000")
    if time_system != "UTC":
        raise FeedError(f"TIME_SYSTEM {time_system!r}, expected UTC")


def _check_states(states: list[StateVector]) -> None:
    if len(states) < 2:
        raise FeedError(f"{len(states)} state(s): not a trajectory")
    for previous, state in zip([None, *states], states, strict=False):
        when = f"{state.epoch:%Y-%m-%d %H:%M:%S}"
        values = (state.x_km, state.y_km, state.z_km, state.vx_km_s, state.vy_km_s, state.vz_km_s)
        if not all(math.isfinite(v) for v in values):
            raise FeedError(f"state at {when} is not finite")
        radius_km = math.sqrt(state.x_km**2 + state.y_km**2 + state.z_km**2)
        if not MIN_RADIUS_KM <= radius_km <= MAX_RADIUS_KM:
            raise FeedError(f"state at {when}: {radius_km:.0f} km from the centre, not the station")
        speed_km_s = math.sqrt(state.vx_km_s**2 + state.vy_km_s**2 + state.vz_km_s**2)
        if not MIN_SPEED_KM_S <= speed_km_s <= MAX_SPEED_KM_S:
            raise FeedError(f"state at {when}: {speed_km_s:.2f} km/s, not the station's speed")
        if previous is not None and state.epoch <= previous.epoch:
            raise FeedError(f"state at {when} is not after the one before it")
    span = states[-1].epoch - states[0].epoch
    if not MIN_SPAN <= span <= MAX_SPAN:
        raise FeedError(f"the states span {span.total_seconds() / 3600:.1f} h, not a trajectory")
