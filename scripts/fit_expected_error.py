"""Fit the expected position error of ISS elements against their age, from a history of sets.

Input: CelesTrak GP records (OMM JSON, a list) for the station, such as
`../shared/reference/celestrak_omm_iss_history_2024-09_to_2025-03.json` (499 records fetched
every 6 h, Sept 2024 - March 2025). Each distinct set is propagated with SGP4 to the epoch of
every later set up to `MAX_AGE_DAYS` after it; the later set's own position at its epoch is
taken as the truth (a fresh set is good to about a kilometre there, far below the errors
measured), and the distance between the two positions is the error at that age. The errors are
grouped in age bins, and each bin's median and 90th percentile are printed as a table, with the
Python tuple that `issdash.feeds.elements.ERROR_TABLE` holds.

Each row is a window centred on its age: +-3 h at 6 h, +-6 h from 12 h to 36 h, +-12 h from 2
days on (the windows of 36 h and 2 days overlap: a moving window, not a partition). The sets
come about every 6 h, so a narrower window holds too few pairs to say a 90th percentile, and
a wider one smears the fast growth of the first days. These are the windows behind the
figures quoted in issue 24 (12 h: 1.4 / 8.3 km, 24 h: 3.3 / 31 km, 48 h: 11.3 / 178 km).

    python scripts/fit_expected_error.py [HISTORY_JSON]

Only this script reads the history (the tests check the table in the code against the docs).
"""

from __future__ import annotations

import json
import math
import statistics
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sgp4 import omm
from sgp4.api import Satrec, jday

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HISTORY = (
    ROOT.parent / "shared" / "reference" / "celestrak_omm_iss_history_2024-09_to_2025-03.json"
)
MAX_AGE_DAYS = 20.0
# (centre in days, half-width in days): fine where the error changes fastest, coarser later.
BINS: tuple[tuple[float, float], ...] = (
    (0.25, 0.125),
    (0.5, 0.25),
    (1.0, 0.25),
    (1.5, 0.25),
    (2.0, 0.5),
    (3.0, 0.5),
    *((float(day), 0.5) for day in range(4, 21)),
)


@dataclass(frozen=True, slots=True)
class Sample:
    age_days: float
    error_km: float


def _epoch(record: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(record["EPOCH"]).replace("Z", "")).replace(tzinfo=None)


def _satrec(record: dict[str, Any]) -> Satrec:
    sat = Satrec()
    omm.initialize(sat, {key: str(value) for key, value in record.items()})
    return sat


def _position_km(sat: Satrec, at: datetime) -> tuple[float, float, float] | None:
    jd, fr = jday(at.year, at.month, at.day, at.hour, at.minute, at.second + at.microsecond / 1e6)
    error, r, _v = sat.sgp4(jd, fr)
    if error or not all(math.isfinite(x) for x in r):
        return None
    return float(r[0]), float(r[1]), float(r[2])


def samples(records: list[dict[str, Any]]) -> list[Sample]:
    """Every (age, error) pair of the history: each set against each later one."""
    by_epoch = {_epoch(r): r for r in records if int(r.get("NORAD_CAT_ID", 0)) == 25544}
    epochs = sorted(by_epoch)
    sats = {e: _satrec(by_epoch[e]) for e in epochs}
    truth = {e: _position_km(sats[e], e) for e in epochs}
    found: list[Sample] = []
    for i, start in enumerate(epochs):
        for later in epochs[i + 1 :]:
            age_days = (later - start).total_seconds() / 86400.0
            if age_days > MAX_AGE_DAYS + 0.5:
                break
            true_km = truth[later]
            predicted_km = _position_km(sats[start], later)
            if true_km is None or predicted_km is None:
                continue
            found.append(Sample(age_days, math.dist(true_km, predicted_km)))
    return found


def percentile(values: list[float], fraction: float) -> float:
    """The `fraction` quantile, linearly interpolated between ranks (numpy's default)."""
    ordered = sorted(values)
    rank = fraction * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def fit(found: list[Sample]) -> list[tuple[float, float, float, int]]:
    """(age in days, median km, 90th percentile km, pairs) per bin, ages ascending."""
    table = []
    for centre, half in BINS:
        errors = [s.error_km for s in found if centre - half <= s.age_days < centre + half]
        if len(errors) < 10:
            continue
        table.append((centre, statistics.median(errors), percentile(errors, 0.9), len(errors)))
    return table


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT_HISTORY
    records = json.loads(path.read_text(encoding="utf-8"))
    found = samples(records)
    table = fit(found)
    distinct = len({_epoch(r) for r in records})
    print(f"{path.name}: {len(records)} records, {distinct} distinct sets, {len(found)} pairs")
    print(f"{'age':>8}  {'median':>9}  {'90th pct':>9}  {'pairs':>6}")
    for age, median, p90, count in table:
        print(f"{age:>6.2f} d  {median:>6.1f} km  {p90:>6.1f} km  {count:>6}")
    print("\nERROR_TABLE = (")
    for age, median, p90, _count in table:
        print(f"    ({age}, {median:.1f}, {p90:.1f}),")
    print(")")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
