"""NASA's public ISS telemetry (ISSLIVE): the items we show, their units, and how to read them.

Pure: no I/O, no Textual. Every value arrives as a string from an untrusted server; `parse_update`
turns one Lightstreamer update into a `Reading` or says why it was ignored (unknown item, not
a number, out of range, not a known code). Units follow the item descriptions checked against
real recordings, not the catalogue's UNITS column (which is often wrong): pressures are mmHg,
angles degrees, tanks percent.

TimeStamp is decimal hours since 00:00 UTC on 31 December of the previous year (1 January
00:00 UTC = 24.0); the year is not sent, so it is taken from the clock, with care near New Year.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from issdash.feeds.text import clean_text

FEED = "telemetry"
DEFAULT_SERVER = "https://push.lightstreamer.com"
DEFAULT_ADAPTER_SET = "ISSLIVE"
FIELDS = ("Value", "TimeStamp", "Status.Class")

# The status class that goes with acquisition of signal on TIME_000001.
AOS_STATUS_CLASS = "24"

MMHG_TO_KPA = 0.133322387415
KPA_TO_PSI = 0.1450377377

Kind = Literal["number", "enum", "signal"]


@dataclass(frozen=True, slots=True)
class Item:
    """One ISSLIVE item we subscribe to: what it means, its unit and what values are sane."""

    id: str
    label: str
    kind: Kind
    unit: str = ""
    low: float = -math.inf
    high: float = math.inf
    codes: Mapping[int, str] | None = None


def _num(id_: str, label: str, unit: str, low: float, high: float) -> Item:
    return Item(id_, label, "number", unit, low, high)


def _enum(id_: str, label: str, codes: Mapping[int, str]) -> Item:
    return Item(id_, label, "enum", codes=codes)


_YES = {0: "undetermined", 1: "yes"}
_SARJ_MODES = {
    1: "Standby",
    2: "Restart",
    3: "Checkout",
    4: "Directed",
    5: "Autotrack",
    6: "Blind",
    7: "Shutdown",
    8: "Switchover",
}

# Ranges are generous physical limits (a value outside is a broken feed, not an alarm).
CATALOGUE: dict[str, Item] = {
    item.id: item
    for item in (
        Item("TIME_000001", "signal", "signal"),
        _num("USLAB000018", "attitude q0", "", -1.0001, 1.0001),
        _num("USLAB000019", "attitude q1", "", -1.0001, 1.0001),
        _num("USLAB000020", "attitude q2", "", -1.0001, 1.0001),
        _num("USLAB000021", "attitude q3", "", -1.0001, 1.0001),
        _enum("USLAB000016", "controller", {0: "ATT HOLD", 1: "TEA"}),
        _enum("USLAB000081", "maneuver", {0: "no", 1: "yes"}),
        _enum(
            "USLAB000012",
            "GNC mode",
            {
                i: n
                for i, n in enumerate(("0", "1", "2", "Standby", "CMG", "CMG+thr", "6", "Drift"))
            },
        ),
        _num("USLAB000009", "CMG momentum", "Nms", 0, 100000),
        _num("USLAB000038", "CMG capacity", "Nms", 0, 100000),
        _num("USLAB000010", "CMG momentum", "%", 0, 200),
        _enum("USLAB000001", "CMG 1", {0: "off", 1: "in use"}),
        _enum("USLAB000002", "CMG 2", {0: "off", 1: "in use"}),
        _enum("USLAB000003", "CMG 3", {0: "off", 1: "in use"}),
        _enum("USLAB000004", "CMG 4", {0: "off", 1: "in use"}),
        _num("USLAB000005", "CMGs online", "", 0, 4),
        _num("USLAB000040", "solar beta", "°", -90, 90),
        _num("S0000004", "port SARJ", "°", -360, 360),
        _num("S0000003", "stbd SARJ", "°", -360, 360),
        _enum("S0000008", "port SARJ mode", _SARJ_MODES),
        _enum("S0000009", "stbd SARJ mode", _SARJ_MODES),
        _num("S4000007", "BGA 1A", "°", -360, 360),
        _num("S6000008", "BGA 1B", "°", -360, 360),
        _num("P4000007", "BGA 2A", "°", -360, 360),
        _num("P6000008", "BGA 2B", "°", -360, 360),
        _num("S4000008", "BGA 3A", "°", -360, 360),
        _num("S6000007", "BGA 3B", "°", -360, 360),
        _num("P4000008", "BGA 4A", "°", -360, 360),
        _num("P6000007", "BGA 4B", "°", -360, 360),
        _num("USLAB000058", "cabin pressure", "mmHg", 0, 1000),
        _num("USLAB000053", "ppO2", "mmHg", 0, 1000),
        _num("USLAB000054", "ppN2", "mmHg", 0, 1000),
        _num("USLAB000055", "ppCO2", "mmHg", 0, 100),
        _num("USLAB000059", "cabin temperature", "°C", -50, 100),
        _num("AIRLOCK000049", "crewlock pressure", "mmHg", 0, 1000),
        _num("NODE3000005", "urine tank", "%", 0, 100),
        _num("NODE3000008", "waste water tank", "%", 0, 100),
        _num("NODE3000009", "clean water tank", "%", 0, 100),
        _enum("RUSSEG000002", "Kurs set 1", _YES),
        _enum("RUSSEG000003", "Kurs set 2", _YES),
        _num("RUSSEG000005", "Kurs range", "m", -1_000_000, 1_000_000),
        _num("RUSSEG000006", "Kurs range rate", "m/s", -10_000, 10_000),
        _enum("RUSSEG000008", "Kurs-P capture", _YES),
        _enum("RUSSEG000009", "Kurs-P target acquired", _YES),
        _enum("RUSSEG000012", "docking contact", _YES),
    )
}
ITEMS: tuple[str, ...] = tuple(CATALOGUE)

QUATERNION_ITEMS = ("USLAB000018", "USLAB000019", "USLAB000020", "USLAB000021")


@dataclass(frozen=True, slots=True)
class Reading:
    """One validated update of one item."""

    item: str
    value: float | None  # None for the signal item, whose value format is not known
    timestamp: datetime | None  # when NASA says it happened (None: not sent)
    status_class: str | None


class Ignored(ValueError):
    """An update we cannot use; the message says why, safe to log."""


def timestamp_to_utc(hours: float, now: datetime) -> datetime:
    """TimeStamp (hours since 31 Dec 00:00 UTC of the previous year) as UTC, the year taken
    from `now`; a value that would lie more than two days ahead belongs to last year (a stale
    December value seen just after New Year)."""
    # To the millisecond: float hours carry noise below that.
    offset = timedelta(milliseconds=round(hours * 3_600_000))
    at = datetime(now.year - 1, 12, 31, tzinfo=UTC) + offset
    if at - now > timedelta(days=2):
        at = datetime(now.year - 2, 12, 31, tzinfo=UTC) + offset
    return at


def utc_to_timestamp(at: datetime) -> float:
    """The inverse of `timestamp_to_utc` (for building recordings and test fixtures)."""
    epoch = datetime(at.year - 1, 12, 31, tzinfo=UTC)
    return (at - epoch).total_seconds() / 3600.0


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise Ignored(f"{what} is not a number: {clean_text(text, 20)!r}") from None
    if not math.isfinite(value):
        raise Ignored(f"{what} is not finite")
    return value


def parse_update(item_id: str, fields: Mapping[str, str | None], now: datetime) -> Reading:
    """Validate one update; raises `Ignored` saying why it cannot be used."""
    item = CATALOGUE.get(item_id)
    if item is None:
        raise Ignored(f"unknown item {clean_text(item_id, 20)!r}")
    raw_ts = fields.get("TimeStamp")
    timestamp = None
    if raw_ts not in (None, ""):
        hours = _number(str(raw_ts), "TimeStamp")
        # 366 days and a bit: anything else is not a time of this or last year.
        if not 0 <= hours <= 8832:
            raise Ignored(f"TimeStamp {hours:g} h out of range")
        timestamp = timestamp_to_utc(hours, now)
    status = fields.get("Status.Class")
    status_class = clean_text(status, 8) if status is not None else None
    if item.kind == "signal":
        return Reading(item_id, None, timestamp, status_class)
    raw = fields.get("Value")
    if raw is None or raw == "":
        raise Ignored(f"{item_id}: no value")
    value = _number(str(raw), f"{item_id} value")
    if item.kind == "enum":
        assert item.codes is not None
        if value != int(value) or int(value) not in item.codes:
            raise Ignored(f"{item_id}: unknown code {value:g}")
    elif not item.low <= value <= item.high:
        raise Ignored(f"{item_id}: {value:g} {item.unit} out of range")
    return Reading(item_id, value, timestamp, status_class)


# ---- conversions ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attitude:
    """Yaw, then pitch, then roll (3-2-1) of the body frame relative to LVLH, in degrees."""

    yaw_deg: float
    pitch_deg: float
    roll_deg: float


def quaternion_to_ypr(q0: float, q1: float, q2: float, q3: float) -> Attitude:
    """LVLH→body quaternion (q0 scalar) to yaw/pitch/roll, renormalised first; q and −q give
    the same angles."""
    norm = math.sqrt(q0 * q0 + q1 * q1 + q2 * q2 + q3 * q3)
    if not math.isfinite(norm) or norm < 1e-9:
        raise ValueError("not a rotation quaternion")
    q0, q1, q2, q3 = q0 / norm, q1 / norm, q2 / norm, q3 / norm
    c11 = q0 * q0 + q1 * q1 - q2 * q2 - q3 * q3
    c12 = 2 * (q1 * q2 + q0 * q3)
    c13 = 2 * (q1 * q3 - q0 * q2)
    c21 = 2 * (q1 * q2 - q0 * q3)
    c22 = q0 * q0 - q1 * q1 + q2 * q2 - q3 * q3
    c23 = 2 * (q2 * q3 + q0 * q1)
    c33 = q0 * q0 - q1 * q1 - q2 * q2 + q3 * q3
    if abs(c13) >= 1.0:
        # Pitch ±90°: yaw and roll are one degree of freedom; roll is set to 0.
        return Attitude(math.degrees(math.atan2(-c21, c22)), -math.copysign(90.0, c13), 0.0)
    return Attitude(
        math.degrees(math.atan2(c12, c11)),
        math.degrees(-math.asin(c13)),
        math.degrees(math.atan2(c23, c33)),
    )


def mmhg_to_kpa(mmhg: float) -> float:
    return mmhg * MMHG_TO_KPA


def kpa_to_psi(kpa: float) -> float:
    return kpa * KPA_TO_PSI


def describe(item_id: str, value: float) -> str:
    """An enumeration's name for its code (the number itself for other items)."""
    item = CATALOGUE.get(item_id)
    if item is not None and item.codes is not None:
        return item.codes.get(int(value), f"{value:g}")
    return f"{value:g}"
