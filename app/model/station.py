"""What the station reports about itself: the model behind the Station panel and `status`.

Pure (no Textual, no I/O, no wall clock): `apply()` takes validated readings in the order they
were received, `view(now)` says what is known at `now`. Signal follows ISSLIVE's own rule:
TIME_000001 with status class 24 and a TimeStamp no older than a few seconds is acquisition
(AOS); another class, or silence, is loss (LOS). Recordings without TIME_000001 fall back to
the age of the newest value of any item. On LOS every value is kept and marked stale, never
shown as current. An update whose TimeStamp is later than its arrival (beyond the skew of
`issdash.feeds.source_time`) is set aside, counted and said (`future_notice`): it never makes
AOS, never holds a value, and never blocks the real updates that follow it. The last hour of
the values that move is kept for sparklines, one point a minute, so memory is bounded however
fast updates come.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from issdash.feeds.clock import iso_z
from issdash.feeds.isslive import (
    AOS_STATUS_CLASS,
    FEED,
    QUATERNION_ITEMS,
    Attitude,
    Ignored,
    Reading,
    describe,
    mmhg_to_kpa,
    parse_update,
    quaternion_to_ypr,
)
from issdash.feeds.source_time import (
    SAID_FOR_S,
    ahead_s,
    ahead_words,
    effective_time,
    from_future,
    said_at,
)

log = logging.getLogger(__name__)

Signal = Literal["AOS", "LOS"]

# TIME_000001 ticks every second during AOS; ISS-Mimic allows ~5 s. A little more here, for
# latency and the TimeStamps that step back a few seconds.
SIGNAL_FRESH_S = 10.0
# Without TIME_000001 (older recordings), the newest value of any item: the quaternion and
# CMG items tick about once a second during AOS, so 20 s of silence from all of them is LOS.
ANY_ITEM_FRESH_S = 20.0
# Quaternion components are pushed separately; combine only those this close in time.
QUATERNION_SKEW_S = 2.0

# A future-dated update is said for this long after it arrived (then only counted).
FUTURE_NOTICE_S = SAID_FOR_S

HISTORY_SPAN = timedelta(hours=1)
HISTORY_STEP_S = 60
# Values that move and get a sparkline.
SPARK_SERIES = ("cmg_momentum_pct", "cabin_pressure_kpa", "ppo2_kpa", "ppco2_kpa", "yaw_deg")


@dataclass(frozen=True, slots=True)
class Held:
    """The latest value of one item and when it happened."""

    value: float | None
    timestamp: datetime | None
    received_at: datetime

    @property
    def at(self) -> datetime:
        """When it was true at the latest: its TimeStamp, never after it arrived."""
        return effective_time(self.timestamp, self.received_at)


@dataclass(frozen=True, slots=True)
class FutureDated:
    """The latest update set aside because its TimeStamp was ahead of its arrival."""

    item: str
    timestamp: datetime
    received_at: datetime

    @property
    def ahead_s(self) -> float:
        return ahead_s(self.timestamp, self.received_at)


@dataclass
class StationModel:
    items: dict[str, Held] = field(default_factory=dict)
    attitude: Attitude | None = None
    attitude_at: datetime | None = None
    ignored: int = 0
    # Updates set aside because they were dated in the future, and the latest of them.
    future_dated: int = 0
    future_latest: FutureDated | None = None
    _signal_ok: bool = False
    _signal_at: datetime | None = None  # latest TIME_000001: its TimeStamp, at most its arrival
    _explicit_los_at: datetime | None = None
    _newest: datetime | None = None  # newest TimeStamp (or receipt time) of any item
    _aos_since: datetime | None = None
    _history: dict[str, deque[tuple[datetime, float]]] = field(default_factory=dict)

    # ---- input -----------------------------------------------------------------------------

    def apply_raw(self, item: str, fields: Mapping[str, str | None], received_at: datetime) -> bool:
        """Validate and apply one update as received; False (and logged) if it was ignored."""
        try:
            reading = parse_update(item, fields, received_at)
        except Ignored as exc:
            self.ignored += 1
            log.info("telemetry update ignored: %s", exc)
            return False
        self.apply(reading, received_at)
        return True

    def apply(self, reading: Reading, received_at: datetime) -> None:
        if from_future(reading.timestamp, received_at):
            # Not news: a clock is wrong somewhere. Kept, the value would freeze the item (every
            # real update after it "older") and a status class 24 would claim AOS for hours.
            assert reading.timestamp is not None
            self.future_dated += 1
            self.future_latest = FutureDated(reading.item, reading.timestamp, received_at)
            log.info(
                "telemetry: %s dated %s ahead of its arrival; set aside",
                reading.item,
                ahead_words(ahead_s(reading.timestamp, received_at)),
            )
            return
        at = effective_time(reading.timestamp, received_at)
        # Asked at the newest time known: a TimeStamp stepping back a few seconds does not
        # end AOS.
        was_aos = self.signal(max(at, self._newest or at))[0] == "AOS"
        if reading.item == "TIME_000001":
            if self._signal_at is not None and at < self._signal_at:
                return
            ok = reading.status_class == AOS_STATUS_CLASS
            if ok and not was_aos:
                self._aos_since = at
            if not ok and (self._signal_ok or self._explicit_los_at is None):
                self._explicit_los_at = at
            self._signal_ok, self._signal_at = ok, at
        else:
            previous = self.items.get(reading.item)
            # TimeStamps can step back a few seconds: an older value never replaces a newer.
            if previous is not None and at < previous.at:
                return
            self.items[reading.item] = Held(reading.value, reading.timestamp, received_at)
            if self._signal_at is None and not was_aos:
                self._aos_since = at
        self._newest = at if self._newest is None else max(self._newest, at)
        if reading.item in QUATERNION_ITEMS:
            self._combine_quaternion()
        self._record_history(at)

    def _combine_quaternion(self) -> None:
        parts = [self.items.get(i) for i in QUATERNION_ITEMS]
        if any(p is None or p.value is None for p in parts):
            return
        times = [p.at for p in parts if p is not None]
        if (max(times) - min(times)).total_seconds() > QUATERNION_SKEW_S:
            return
        values = [float(p.value) for p in parts if p is not None and p.value is not None]
        norm = math.sqrt(sum(v * v for v in values))
        if abs(norm - 1.0) > 0.01:
            log.info("telemetry: attitude quaternion |q| = %.4f, not a rotation; ignored", norm)
            return
        self.attitude = quaternion_to_ypr(*values)
        self.attitude_at = max(times)

    # ---- derived values --------------------------------------------------------------------

    def value(self, item: str) -> float | None:
        held = self.items.get(item)
        return None if held is None else held.value

    def _kpa(self, item: str) -> float | None:
        mmhg = self.value(item)
        return None if mmhg is None else mmhg_to_kpa(mmhg)

    def scalars(self) -> dict[str, float | None]:
        att = self.attitude
        return {
            "cmg_momentum_pct": self.value("USLAB000010"),
            "solar_beta_deg": self.value("USLAB000040"),
            "cabin_pressure_kpa": self._kpa("USLAB000058"),
            "ppo2_kpa": self._kpa("USLAB000053"),
            "ppco2_kpa": self._kpa("USLAB000055"),
            "water_tank_pct": self.value("NODE3000009"),
            "urine_tank_pct": self.value("NODE3000005"),
            "yaw_deg": att.yaw_deg if att else None,
        }

    def _record_history(self, at: datetime) -> None:
        minute = at.replace(second=0, microsecond=0)
        for name, value in self.scalars().items():
            if name not in SPARK_SERIES or value is None:
                continue
            series = self._history.setdefault(name, deque(maxlen=HISTORY_SPAN.seconds // 60 + 1))
            if series and series[-1][0] == minute:
                series[-1] = (minute, value)
            elif not series or minute > series[-1][0]:
                series.append((minute, value))

    def history(self, name: str, now: datetime) -> list[float]:
        """The last hour of `name`, one value a minute (oldest first)."""
        cutoff = now - HISTORY_SPAN
        return [v for t, v in self._history.get(name, ()) if t >= cutoff]

    def signal(self, now: datetime) -> tuple[Signal | None, datetime | None]:
        """AOS or LOS at `now` and since when (None: nothing received yet)."""
        if self._signal_at is not None:
            # A negative age (asked about a time before it was heard) is not fresh either.
            fresh = 0.0 <= (now - self._signal_at).total_seconds() <= SIGNAL_FRESH_S
            if self._signal_ok and fresh:
                return "AOS", self._aos_since
            # Said LOS: since it was first said. Silence: since it was last heard.
            return "LOS", self._signal_at if self._signal_ok else self._explicit_los_at
        if self._newest is None:
            return None, None
        if 0.0 <= (now - self._newest).total_seconds() <= ANY_ITEM_FRESH_S:
            return "AOS", self._aos_since
        return "LOS", self._newest

    def radar(self, now: datetime) -> tuple[float, float] | None:
        """Kurs range (m) and closing rate (m/s) while the radar has its target and the
        signal is up, else None."""
        signal, _ = self.signal(now)
        if signal != "AOS" or self.value("RUSSEG000009") != 1:
            return None
        range_m, rate = self.value("RUSSEG000005"), self.value("RUSSEG000006")
        if range_m is None or rate is None:
            return None
        return range_m, rate

    def newest_age_s(self, now: datetime) -> float | None:
        if self._newest is None:
            return None
        return max(0.0, (now - self._newest).total_seconds())

    def future_words(self, now: datetime) -> str | None:
        """In words, the latest update set aside as dated in the future, while it is said
        (`FUTURE_NOTICE_S` after it arrived); None otherwise."""
        latest = self.future_latest
        if latest is None or not said_at(latest.received_at, now):
            return None
        count = self.future_dated
        what = "1 update" if count == 1 else f"{count} updates"
        return (
            f"{what} dated in the future set aside (latest {latest.item} dated"
            f" {iso_z(latest.timestamp)}, {ahead_words(latest.ahead_s)} after it arrived):"
            " a clock is wrong, ISSLIVE's or this computer's"
        )

    def future_notice(self, now: datetime) -> str | None:
        """`future_words` as a notice naming the feed."""
        words = self.future_words(now)
        return None if words is None else f"{FEED}: {words}"

    def to_json(self, now: datetime) -> dict[str, Any]:
        """The `station` object of `status --json` (null where unknown)."""
        signal, since = self.signal(now)
        stale = signal != "AOS"
        scalars = self.scalars()
        att = self.attitude

        def rounded(value: float | None, digits: int = 3) -> float | None:
            return None if value is None else round(value, digits)

        future = self.future_latest
        return {
            "signal": signal,
            "signal_since": iso_z(since) if since else None,
            # Updates set aside because their TimeStamp was ahead of their arrival.
            "future_dated": None
            if future is None
            else {
                "count": self.future_dated,
                "latest_item": future.item,
                "latest_timestamp": iso_z(future.timestamp),
                "latest_received_at": iso_z(future.received_at),
                "ahead_s": round(future.ahead_s, 1),
                "notice": self.future_notice(now),
            },
            "attitude": {
                "yaw_deg": rounded(att.yaw_deg if att else None, 2),
                "pitch_deg": rounded(att.pitch_deg if att else None, 2),
                "roll_deg": rounded(att.roll_deg if att else None, 2),
            },
            "cmg_momentum_pct": rounded(scalars["cmg_momentum_pct"], 2),
            "solar_beta_deg": rounded(scalars["solar_beta_deg"], 2),
            "cabin_pressure_kpa": rounded(scalars["cabin_pressure_kpa"]),
            "ppo2_kpa": rounded(scalars["ppo2_kpa"]),
            "ppco2_kpa": rounded(scalars["ppco2_kpa"]),
            "water_tank_pct": rounded(scalars["water_tank_pct"], 2),
            "urine_tank_pct": rounded(scalars["urine_tank_pct"], 2),
            "items": {
                item: {
                    "value": held.value,
                    "timestamp": iso_z(held.timestamp) if held.timestamp else None,
                    "stale": stale,
                }
                for item, held in sorted(self.items.items())
            },
        }

    def label(self, item: str) -> str | None:
        value = self.value(item)
        return None if value is None else describe(item, value)


def radar_text(range_m: float, rate_m_s: float) -> str:
    """Kurs range and closing rate, e.g. "1.24 km  closing 2.1 m/s"."""
    distance = f"{range_m / 1000:.2f} km" if abs(range_m) >= 1000 else f"{range_m:.0f} m"
    # The sign convention of the range rate is not documented: say what the number is.
    return f"{distance}  rate {rate_m_s:+.1f} m/s"
