"""Which element set to trust, for which time, and how sure to be of it. No Textual here.

Three questions every user of elements asks, answered in one place:

- Is this set the station's, and physical? `band_problem` says why not when its orbit is not
  the station's (inclination, mean motion, eccentricity); `physical_problem` propagates it with
  SGP4 (the `sgp4` package, the same code skyfield runs) and says why not when the state it
  gives is not the station's kind.
- Which set for a time? `choose` picks, among every set available (feed, cache, history file,
  bundled, every set of a multi-set body), the one whose epoch is nearest the time, before or
  after it (SGP4 errs as much propagating backwards as forwards).
- How far off may the position be? `expected_error_km` turns the elements' age into an
  error from figures measured on the station's own element history (see `ERROR_TABLE`).
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

# The station's own band of orbits. It has flown at 51.64 deg since 1998 (a plane change would
# cost more propellant than it carries); 15.2-16.0 rev/day is 280-520 km, around the 330-430 km
# it has ever flown; a reboost changes the eccentricity by ten-thousandths. A set outside the
# band is another object's, whatever catalog number it carries (Hubble's set relabelled 25544,
# 28.5 deg and 15.1 rev/day, passed the physical checks below: it is a real low orbit).
INCLINATION_DEG = 51.6
INCLINATION_TOLERANCE_DEG = 0.6
MIN_MEAN_MOTION_REV_DAY = 15.2
MAX_MEAN_MOTION_REV_DAY = 16.0
MAX_ECCENTRICITY = 0.01

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


def band_problem(elements: ElementSet) -> str | None:
    """Why `elements` do not describe the station's orbit (inclination, mean motion or
    eccentricity outside its band), in words, or None."""
    low = INCLINATION_DEG - INCLINATION_TOLERANCE_DEG
    high = INCLINATION_DEG + INCLINATION_TOLERANCE_DEG
    inclination = elements.inclination_deg
    if not low <= inclination <= high:
        return (
            f"inclination {inclination:.2f} deg is outside the station's band "
            f"({low:.1f}-{high:.1f} deg): not the station's orbit"
        )
    mean_motion = elements.mean_motion_rev_day
    if not MIN_MEAN_MOTION_REV_DAY <= mean_motion <= MAX_MEAN_MOTION_REV_DAY:
        return (
            f"mean motion {mean_motion:.2f} rev/day is outside the station's band "
            f"({MIN_MEAN_MOTION_REV_DAY:.1f}-{MAX_MEAN_MOTION_REV_DAY:.1f}): "
            "not the station's orbit"
        )
    if not elements.eccentricity < MAX_ECCENTRICITY:
        return (
            f"eccentricity {elements.eccentricity:.4f} is outside the station's band "
            f"(below {MAX_ECCENTRICITY}): not the station's orbit"
        )
    return None


def _minute_words(at: datetime) -> str:
    """`at` to the minute, as a problem says it ("2025-04-08 05:44Z"). Formatted only for a
    problem: for the sound state (every check, twice a tick) it was most of a check's cost."""
    return f"{at:%Y-%m-%d %H:%M}Z"


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
    if error:
        return f"SGP4 error {error} at {_minute_words(at)}: {SGP4_ERRORS.get(error, 'unknown')}"
    if not all(math.isfinite(x) for x in (*r, *v)):
        return f"propagates to non-finite numbers at {_minute_words(at)}"
    altitude_km = math.sqrt(r[0] ** 2 + r[1] ** 2 + r[2] ** 2) - _MEAN_EARTH_RADIUS_KM
    speed_km_s = math.sqrt(v[0] ** 2 + v[1] ** 2 + v[2] ** 2)
    if not MIN_ALTITUDE_KM <= altitude_km <= MAX_ALTITUDE_KM:
        return (
            f"altitude {altitude_km:,.0f} km at {_minute_words(at)} is outside the station's band "
            f"({MIN_ALTITUDE_KM:.0f}-{MAX_ALTITUDE_KM:.0f} km)"
        )
    if not MIN_SPEED_KM_S <= speed_km_s <= MAX_SPEED_KM_S:
        return (
            f"speed {speed_km_s:.2f} km/s at {_minute_words(at)} is outside the station's band "
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
        """The set whose epoch is nearest `at`, before or after it (the earlier on a tie)."""
        return self.sets[nearest_first([s.epoch for s in self.sets], ensure_utc(at))[0]]


@dataclass(frozen=True, slots=True)
class ElementsInfo:
    """One element set available to the dashboard, and where it came from."""

    elements: ElementSet
    origin: ElementsOrigin
    received_at: datetime


@dataclass(frozen=True, slots=True)
class ElementsChoice:
    """The set chosen for a time. `after_time`: its epoch is after that time (the nearest set
    is later than it); `problem`: why even the best set cannot be propagated to that time."""

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
                "shown: the position is propagated backwards from the nearest set"
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


def nearest_first(epochs: Sequence[datetime], at: datetime, limit: int | None = None) -> list[int]:
    """Indexes of `epochs` (sorted) by distance from `at`, nearest first; on a tie the earlier
    epoch first (propagated forwards, as elements are meant to be). Only the `limit` nearest
    when given: a merge outwards from `at`, never a sort of a long history."""
    split = bisect.bisect_right(epochs, at)
    before, after = split - 1, split
    order: list[int] = []
    wanted = len(epochs) if limit is None else min(limit, len(epochs))
    while len(order) < wanted:
        if after >= len(epochs) or (before >= 0 and at - epochs[before] <= epochs[after] - at):
            order.append(before)
            before -= 1
        else:
            order.append(after)
            after += 1
    return order


def choose(candidates: Sequence[ElementsInfo], at: datetime) -> ElementsChoice | None:
    """The set to use at `at` among `candidates` (sorted as `merge` sorts them).

    Preference: the epoch nearest `at`, before or after it, then the next nearest. Across a
    reboost the newest set before a past time can be a day and a thrust away from it while the
    next set, an hour after, already flies the new orbit: nearest in time is nearest in error
    (`expected_error_km` is the same for an age either side). A set that does not propagate to
    a physical state at `at` is passed over; if none does, the nearest is returned with the
    reason. `after_time` says that the set chosen is dated after `at`.
    """
    if not candidates:
        return None
    at = ensure_utc(at)
    epochs = [c.elements.epoch for c in candidates]
    first: ElementsChoice | None = None
    for i in nearest_first(epochs, at, _MAX_CHECKED):
        info = candidates[i]
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

# Past 3 days one prediction in ten is 600+ km (over a minute) along the track: the marker and
# the pass times are approximate. Past 14 days the typical error (1,700 km, ~4 minutes) is
# most of the way to a footprint radius (~2,200 km): a dot would claim a certainty nobody has,
# and a pass may not happen at all.
APPROXIMATE_AFTER_H = 3 * 24.0
UNCERTAIN_AFTER_H = 14 * 24.0

# (age in days, median km, 90th percentile km): the distance between the station propagated
# with SGP4 from a set and where a later set puts it at its own epoch, for every CelesTrak ISS
# set of September 2024 - March 2025 (499 sets, 27,978 pairs) against the sets that followed
# it. Made by scripts/fit_expected_error.py, which says how the windows of age are chosen;
# the table and the fit are in docs/expected-error.md.
ERROR_TABLE: tuple[tuple[float, float, float], ...] = (
    (0.25, 1.0, 4.8),
    (0.5, 1.4, 8.3),
    (1.0, 3.3, 31.1),
    (1.5, 6.1, 75.1),
    (2.0, 11.3, 177.9),
    (3.0, 25.3, 599.2),
    (4.0, 50.9, 1006.3),
    (5.0, 91.9, 1458.4),
    (6.0, 153.3, 2015.2),
    (7.0, 219.9, 2531.7),
    (8.0, 324.5, 2897.1),
    (9.0, 473.5, 3412.7),
    (10.0, 600.8, 3973.3),
    (11.0, 794.6, 4502.1),
    (12.0, 1144.1, 5174.4),
    (13.0, 1434.2, 5727.0),
    (14.0, 1674.9, 6188.2),
    (15.0, 2200.9, 7113.6),
    (16.0, 2690.1, 7776.8),
    (17.0, 3178.3, 8400.2),
    (18.0, 3567.7, 9038.0),
    (19.0, 4008.6, 9668.5),
    (20.0, 4206.2, 10088.0),
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

    @property
    def position_known(self) -> bool:
        """Whether a position from these elements may be shown as a place at all: the one
        rule for every panel. Past `UNCERTAIN_AFTER_H` the map draws a stretch of track
        ("somewhere here") instead of a marker, and no panel prints a position, altitude,
        light timing or orbit number from them as if it were known."""
        return self.level != "uncertain"

    def describe(self) -> str:
        if self.median_km >= MAX_ERROR_KM:
            return "the station may be anywhere along its orbit"
        return (
            f"the position may be off by {self.median_km:,.0f} km (1 in 10: {self.p90_km:,.0f} km)"
        )


def _interpolated(days: float, column: int) -> float:
    """One column of `ERROR_TABLE` at `days`: log-log between rows (the error grows like a
    power of the age), linear from `MIN_ERROR_KM` at the epoch to the first row, and the last
    segment's power law beyond the last row."""
    first = ERROR_TABLE[0]
    if days <= first[0]:
        return MIN_ERROR_KM + (first[column] - MIN_ERROR_KM) * days / first[0]
    # The segment holding `days`; past the last row, the last segment.
    i = min(bisect.bisect_left([row[0] for row in ERROR_TABLE], days), len(ERROR_TABLE) - 1)
    lo, hi = ERROR_TABLE[i - 1], ERROR_TABLE[i]
    slope = math.log(hi[column] / lo[column]) / math.log(hi[0] / lo[0])
    return lo[column] * math.exp(slope * math.log(days / lo[0]))


def expected_error_km(age_h: float) -> ExpectedError:
    """Expected error of a position propagated `age_h` hours from the epoch: `ERROR_TABLE`
    interpolated, with a floor of 1 km (SGP4's own accuracy at the epoch) and a ceiling of half
    an orbit's length. Elements used before their epoch (propagated backwards) are taken to
    err as much as for the same age forwards."""
    days = abs(age_h) / 24.0
    level: Level = (
        "uncertain"
        if abs(age_h) > UNCERTAIN_AFTER_H
        else "approximate"
        if abs(age_h) > APPROXIMATE_AFTER_H
        else "good"
    )
    if not days > 0:  # also NaN
        return ExpectedError(MIN_ERROR_KM, MIN_ERROR_KM, level)
    median, p90 = (
        min(MAX_ERROR_KM, max(MIN_ERROR_KM, _interpolated(days, column))) for column in (1, 2)
    )
    return ExpectedError(median, p90, level)


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
