"""The expected error of the station's elements is the table measured on its own history, said
the same in the code and in the docs (issue 24, case 9). The history itself is read only by
scripts/fit_expected_error.py, never here."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from issdash.feeds.elements import ERROR_TABLE, MAX_ERROR_KM, MIN_ERROR_KM, expected_error_km

ROOT = Path(__file__).resolve().parent.parent.parent
ROW = re.compile(r"^\| (\d+) (h|days) \| ([\d,.]+) \| ([\d,.]+) \|", re.MULTILINE)


def documented(path: Path) -> list[tuple[float, float, float]]:
    """(age in days, median km, 90th percentile km) of every table row in `path`."""
    rows = []
    for number, unit, median, p90 in ROW.findall(path.read_text(encoding="utf-8")):
        days = int(number) / 24.0 if unit == "h" else float(number)
        rows.append((days, float(median.replace(",", "")), float(p90.replace(",", ""))))
    return rows


def test_the_docs_table_is_the_code_table() -> None:
    assert documented(ROOT / "docs" / "expected-error.md") == list(ERROR_TABLE)
    # The README's excerpt: rows of the same table.
    excerpt = documented(ROOT / "README.md")
    assert len(excerpt) >= 4 and set(excerpt) <= set(ERROR_TABLE)


def test_the_table_covers_0_to_20_days_and_grows_with_age() -> None:
    ages = [row[0] for row in ERROR_TABLE]
    assert ages == sorted(ages) and ages[0] <= 0.25 and ages[-1] >= 20.0
    for column in (1, 2):
        values = [row[column] for row in ERROR_TABLE]
        assert values == sorted(values)
    assert all(median <= p90 for _, median, p90 in ERROR_TABLE)


@pytest.mark.parametrize(
    ("age_h", "median_km", "p90_km"),
    [(12.0, 1.4, 8.3), (24.0, 3.3, 31.0), (48.0, 11.3, 178.0)],
)
def test_the_figures_measured_for_issue_24_are_what_is_said(
    age_h: float, median_km: float, p90_km: float
) -> None:
    # The old curve said 1.0/27, 1.5/88 and 8.5/285 km: off by 25-300 %.
    error = expected_error_km(age_h)
    assert error.median_km == pytest.approx(median_km, rel=0.05)
    assert error.p90_km == pytest.approx(p90_km, rel=0.05)


@settings(max_examples=150, deadline=None)
@given(age_h=st.floats(0.0, 30 * 24.0), later_h=st.floats(0.0, 30 * 24.0))
def test_the_error_never_shrinks_with_age_and_is_the_same_either_side(
    age_h: float, later_h: float
) -> None:
    error, later = expected_error_km(age_h), expected_error_km(age_h + later_h)
    assert MIN_ERROR_KM <= error.median_km <= later.median_km <= MAX_ERROR_KM
    assert MIN_ERROR_KM <= error.p90_km <= later.p90_km <= MAX_ERROR_KM
    assert error.median_km <= error.p90_km
    assert expected_error_km(-age_h) == error


def test_between_rows_the_error_lies_between_them() -> None:
    for lo, hi in itertools.pairwise(ERROR_TABLE):
        (lo_days, lo_median, lo_p90), (hi_days, hi_median, hi_p90) = lo, hi
        middle = expected_error_km((lo_days + hi_days) / 2 * 24.0)
        assert lo_median <= middle.median_km <= hi_median
        assert lo_p90 <= middle.p90_km <= hi_p90
        assert expected_error_km(hi_days * 24.0).median_km == pytest.approx(hi_median)
