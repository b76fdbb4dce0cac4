"""Which element set to trust, for which time, and how sure to be of it. No Textual here.

Three questions every user of elements asks, answered in one place:

- Is this set physical? `physical_problem` propagates it with SGP4 (the `sgp4` package, the
  same code skyfield runs) and says why not when it is not the station's kind of orbit.
- Which set for a time? `choose` picks, among every set available (feed, cache, history file,
  bundled, every set of a multi-set body), the newest whose epoch is not after the time; a
  later one only when nothing earlier exists, and then it says so.
- How far off may the position be? `expected_error_km` turns the elements' age into an
  along-track error from measured figures (see its docstring for the table and the source).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Literal

from sgp4.api import SGP4_ERRORS, Satrec, jday

from issdash.feeds.clock import ensure_utc
from issdash.feeds.values import ElementSet

# The plausibility band. The ISS has flown between about 330 km (before the 2011 reboosts) and
# 430 km; below ~150 km anything re-enters within hours and above ~1000 km is a different kind of
# orbit altogether, so a set that puts "the station" outside 150-1000 km is not its set, or not a
# usable one, whatever it says. The margins are wide on purpose: a real ISS set propagated weeks
# from its epoch still lands inside (SGP4's decay model drifts by kilometres, not hundreds), while
# the nonsense seen upstream (a geostationary set labelled 25544 at 35,792 km, a mean motion of
# 19.9 rev/day at -610 km) is far outside.
MIN_ALTITUDE_KM = 150.0
MAX_ALTITUDE_KM = 1000.0
# Circular speed is 7.81 km/s at 150 km and 7.35 km/s at 1000 km; 7.0-8.0 leaves room for a
# small eccentricity and nothing for an escape or a ballistic arc.
MIN_SPEED_KM_S = 7.0
MAX_SPEED_KM_S = 8.0
# Only for the plausibility band (not for display): the geocentric radius minus the mean Earth
# radius differs from the WGS84 height by up to ~21 km, far inside the margins above.
_MEAN_EARTH_RADIUS_KM = 6371.0

ElementsOrigin = Literal["feed", "cache", "history", "bundled"]
# Equal epochs: the better provenance wins (what the feed says now beats what it said before).
ORIGIN_RANK: dict[str, int] = {"bundled": 0, "history": 1, "cache": 2, "feed": 3}


@lru_cache(maxsize=256)
def _satrec_tle(line1: str, line2: str) -> Satrec:
    return Satrec.twoline2rv(line1, line2)


@lru_cache(maxsize=256)
def _satrec_omm(fields: tuple[tuple[str, str], ...]) -> Satrec:
    from sgp4 import omm

    sat = Satrec()
    omm.initialize(sat, dict(fields))
    return sat


def satrec(elements: ElementSet) -> Satrec:
    """The SGP4 record of a set (kept: a tick checks the set in use every second)."""
    if elements.tle_line1 is not None and elements.tle_line2 is not None:
        return _satrec_tle(elements.tle_line1, elements.tle_line2)
    assert elements.omm is not None  # guaranteed by the model's validator
    return _satrec_omm(tuple(sorted(elements.omm.items())))


def physical_problem(elements: ElementSet, at: datetime) -> str | None:
    """Why propagating `elements` to `at` does not give the station's kind of state (an SGP4
    error code, a non-finite number, an altitude or speed outside the band), or None."""
    at = ensure_utc(at)
    try:
        sat = satrec(elements)
        jd, fr = jday(
            at.year, at.month, at.day, at.hour, at.minute, at.second + at.microsecond / 1e6
        )
        error, r, v = sat.sgp4(jd, fr)
    except (ValueError, ArithmeticError, KeyError) as exc:
        return f"SGP4 failed ({type(exc).__name__})"
    when = f"{at:%Y-%m-%d %H:%M}Z"
    if error:
        return f"SGP4 error {error} at {when}: {SGP4_ERRORS.get(error, 'unknown')}"
    if not all(math.isfinite(x) for x in (*r, *v)):
        return f"propagates to non-finite numbers at {when}"
    altitude_km = math.sqrt(r[0] ** 2 + r[1] ** 2 + r[2] ** 2) - _MEAN_EARTH_RADIUS_KM
    speed_km_s = math.sqrt(v[0] ** 2 + v[1] ** 2 + v[2] ** 2)
    if not MIN_ALTITUDE_KM <= altitude_km <= MAX_ALTITUDE_KM:
        return (
            f"altitude {altitude_km:,.0f} km at {when} is outside the station's band "
            f"({MIN_ALTITUDE_KM:.0f}-{MAX_ALTITUDE_KM:.0f} km)"
        )
    if not MIN_SPEED_KM_S <= speed_km_s <= MAX_SPEED_KM_S:
        return (
            f"speed {speed_km_s:.2f} km/s at {when} is outside the station's band "
            f"({MIN_SPEED_KM_S:.1f}-{MAX_SPEED_KM_S:.1f} km/s)"
        )
    return None


@dataclass(frozen=True, slots=True)
class ElementSets:
    """Every usable set of the station in one body, oldest epoch first (never empty), and
    why the others were left out."""

    sets: tuple[ElementSet, ...]
    rejected: tuple[str, ...] = ()  # the first few reasons
    rejected_count: int = 0

    def for_time(self, at: datetime) -> ElementSet:
        """The newest set whose epoch is not after `at`, else the earliest one."""
        epochs = [s.epoch for s in self.sets]
        i = bisect.bisect_right(epochs, ensure_utc(at))
        return self.sets[i - 1] if i else self.sets[0]


@dataclass(frozen=True, slots=True)
class ElementsInfo:
    """One element set available to the dashboard, and where it came from."""

    elements: ElementSet
    origin: ElementsOrigin
    received_at: datetime


@dataclass(frozen=True, slots=True)
class ElementsChoice:
    """The set chosen for a time. `after_time`: its epoch is after that time (nothing earlier
    was available); `problem`: why even the best set cannot be propagated to that time."""

    info: ElementsInfo
    at: datetime
    after_time: bool
    problem: str | None = None

    @property
    def elements(self) -> ElementSet:
        return self.info.elements

    @property
    def age_h(self) -> float:
        """Hours from the epoch to the time (negative when the epoch is after it)."""
        return (self.at - self.info.elements.epoch).total_seconds() / 3600.0

    @property
    def error(self) -> ExpectedError:
        return expected_error_km(self.age_h)

    def notices(self) -> list[str]:
        """What a person should be told about this choice, most serious first."""
        notices: list[str] = []
        if self.problem is not None:
            notices.append(f"elements unusable at this time: {self.problem}")
        if self.after_time:
            notices.append(
                f"elements epoch {self.elements.epoch:%Y-%m-%d %H:%M}Z is after the time "
                "shown: no earlier set is available, the position is propagated backwards"
            )
        error = self.error
        if error.level == "uncertain":
            notices.append(f"elements {describe_age(self.age_h)}: {error.describe()}")
        elif error.level == "approximate":
            notices.append(
                f"elements {describe_age(self.age_h)}: position approximate "
                f"(typically {error.median_km:,.0f} km off, 1 in 10: {error.p90_km:,.0f} km)"
            )
        return notices


def sort_key(info: ElementsInfo) -> tuple[datetime, int]:
    return info.elements.epoch, ORIGIN_RANK[info.origin]


def merge(current: Sequence[ElementsInfo], new: Iterable[ElementsInfo]) -> tuple[ElementsInfo, ...]:
    """`current` with `new` added, sorted by epoch then provenance, one entry per epoch."""
    by_epoch: dict[datetime, ElementsInfo] = {}
    for info in (*current, *new):
        held = by_epoch.get(info.elements.epoch)
        if held is None or ORIGIN_RANK[info.origin] >= ORIGIN_RANK[held.origin]:
            by_epoch[info.elements.epoch] = info
    return tuple(sorted(by_epoch.values(), key=sort_key))


# A tick checks sets in order of preference until one propagates; past this many the best one
# is returned with its problem rather than walking a long history every second.
_MAX_CHECKED = 16


def choose(candidates: Sequence[ElementsInfo], at: datetime) -> ElementsChoice | None:
    """The set to use at `at` among `candidates` (sorted as `merge` sorts them).

    Preference: the newest epoch not after `at`, then older ones; only when none of those
    propagates to a physical state at `at`, the earliest later one (labelled `after_time`).
    A set that does not propagate at `at` is passed over; if none does, the preferred one is
    returned with the reason.
    """
    if not candidates:
        return None
    at = ensure_utc(at)
    split = bisect.bisect_right([c.elements.epoch for c in candidates], at)
    order = [*reversed(candidates[:split]), *candidates[split:]]
    first: ElementsChoice | None = None
    for info in order[:_MAX_CHECKED]:
        after = info.elements.epoch > at
        problem = physical_problem(info.elements, at)
        if problem is None:
            return ElementsChoice(info, at, after)
        if first is None:
            first = ElementsChoice(info, at, after, problem)
    assert first is not None
    return first


# -- uncertainty from age ---------------------------------------------------------------------

Level = Literal["good", "approximate", "uncertain"]

# Past 3 days one prediction in ten is 570+ km (over a minute) along the track: the marker and
# the pass times are approximate. Past 14 days the typical error (1,700 km, ~4 minutes) is
# most of the way to a footprint radius (~2,200 km): a dot would claim a certainty nobody has,
# and a pass may not happen at all.
APPROXIMATE_AFTER_H = 3 * 24.0
UNCERTAIN_AFTER_H = 14 * 24.0

# (age in days, median km, 90th percentile km): along-track error of ISS elements propagated
# with SGP4, measured against later precise positions (the figures quoted in issue 14 of this
# project, from comparing each CelesTrak ISS set of Sept 2024 - March 2025 with the sets that
# followed it).
ERROR_TABLE: tuple[tuple[float, float, float], ...] = (
    (3.0, 24.0, 568.0),
    (7.0, 209.0, 2400.0),
    (14.0, 1700.0, 6400.0),
)
# SGP4 itself is good to about a kilometre at its epoch.
MIN_ERROR_KM = 1.0
# An along-track error cannot exceed half an orbit (the station is somewhere on its track).
MAX_ERROR_KM = math.pi * (_MEAN_EARTH_RADIUS_KM + 420.0)


@dataclass(frozen=True, slots=True)
class ExpectedError:
    median_km: float
    p90_km: float
    level: Level

    def describe(self) -> str:
        if self.median_km >= MAX_ERROR_KM:
            return "the station may be anywhere along its orbit"
        return (
            f"the position may be off by {self.median_km:,.0f} km (1 in 10: {self.p90_km:,.0f} km)"
        )


def expected_error_km(age_h: float) -> ExpectedError:
    """Expected along-track error of a position propagated `age_h` hours from the epoch.

    Measured figures for ISS elements (median / 90th percentile along-track):

        age       median     90th percentile
        3 days     24 km        568 km
        7 days    209 km      2,400 km
        14 days 1,700 km      6,400 km

    Between the points the error is interpolated on log-log axes (errors grow like a power of
    the age: drag misjudged at the epoch accumulates quadratically along the track). Below 3
    days and above 14 the nearest segment's power law is extended, with a floor of 1 km (SGP4's
    own accuracy at the epoch) and a ceiling of half an orbit's length. Elements used before
    their epoch (propagated backwards) are taken to err as much as for the same age forwards.
    """
    days = abs(age_h) / 24.0
    level: Level = (
        "uncertain"
        if abs(age_h) > UNCERTAIN_AFTER_H
        else "approximate"
        if abs(age_h) > APPROXIMATE_AFTER_H
        else "good"
    )
    if days <= 0:
        return ExpectedError(MIN_ERROR_KM, MIN_ERROR_KM, level)
    if days <= ERROR_TABLE[1][0]:
        lo, hi = ERROR_TABLE[0], ERROR_TABLE[1]
    else:
        lo, hi = ERROR_TABLE[1], ERROR_TABLE[2]
    values = []
    for column in (1, 2):
        slope = math.log(hi[column] / lo[column]) / math.log(hi[0] / lo[0])
        km = lo[column] * math.exp(slope * math.log(days / lo[0]))
        values.append(min(MAX_ERROR_KM, max(MIN_ERROR_KM, km)))
    return ExpectedError(values[0], values[1], level)


def describe_age(age_h: float) -> str:
    """ "3d 4h old", or "epoch 1d 23h in the future" (never an "old" for a future epoch)."""
    total_h = abs(age_h)
    days, hours = int(total_h // 24), int(total_h % 24)
    if days:
        span = f"{days}d {hours}h"
    elif hours:
        span = f"{hours}h {int(total_h * 60 % 60)}m"
    else:
        span = f"{int(total_h * 60)}m"
    return f"epoch {span} in the future" if age_h < 0 else f"{span} old"
