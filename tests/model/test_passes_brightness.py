"""The brightness model (issdash.model.passes.brightness) against worked examples computed by hand,
and its properties for any geometry."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from issdash.model.passes.brightness import ISS_STANDARD_MAGNITUDE, phase_function, visual_magnitude
from issdash.model.passes.upcoming import brightness_words


def test_standard_magnitude_is_the_iss_value_documented() -> None:
    assert ISS_STANDARD_MAGNITUDE == -1.8


def test_at_the_standard_distance_and_phase_it_is_the_standard_magnitude() -> None:
    # range 1000 km: 5 * log10(1000 / 1000) = 5 * 0 = 0
    # phase 90:  F = sin(90) + (pi - pi/2) * cos(90) = 1 + 1.5708 * 0 = 1; -2.5 * log10(1) = 0
    # m = -1.8 + 0 + 0 = -1.8
    assert visual_magnitude(1000.0, 90.0) == pytest.approx(-1.8, abs=1e-9)


def test_half_the_distance_is_a_quarter_of_the_area_brighter() -> None:
    # range 500 km: 5 * log10(0.5) = 5 * (-0.30103) = -1.50515
    # phase 90: F = 1, no phase term
    # m = -1.8 - 1.50515 = -3.30515
    assert visual_magnitude(500.0, 90.0) == pytest.approx(-3.30515, abs=1e-4)


def test_full_phase_is_pi_times_brighter_than_half_phase() -> None:
    # phase 0: F = sin(0) + (pi - 0) * cos(0) = 0 + 3.14159 * 1 = 3.14159
    # -2.5 * log10(3.14159) = -2.5 * 0.49715 = -1.24287
    # m = -1.8 + 0 - 1.24287 = -3.04287
    assert phase_function(0.0) == pytest.approx(math.pi, abs=1e-12)
    assert visual_magnitude(1000.0, 0.0) == pytest.approx(-3.04287, abs=1e-4)


def test_far_and_partly_lit() -> None:
    # range 2000 km: 5 * log10(2) = 5 * 0.30103 = +1.50515
    # phase 60: F = sin(60) + (pi - pi/3) * cos(60) = 0.86603 + 2.09440 * 0.5 = 1.91322
    #           -2.5 * log10(1.91322) = -2.5 * 0.28177 = -0.70442
    # m = -1.8 + 1.50515 - 0.70442 = -0.99927
    assert visual_magnitude(2000.0, 60.0) == pytest.approx(-0.99927, abs=1e-4)


def test_overhead_at_dusk_with_the_sun_behind_the_station() -> None:
    # range 420 km: 5 * log10(0.42) = 5 * (-0.37675) = -1.88375
    # phase 120: F = sin(120) + (pi - 2pi/3) * cos(120) = 0.86603 + 1.04720 * (-0.5) = 0.34243
    #            -2.5 * log10(0.34243) = -2.5 * (-0.46543) = +1.16358
    # m = -1.8 - 1.88375 + 1.16358 = -2.52017
    assert visual_magnitude(420.0, 120.0) == pytest.approx(-2.52017, abs=1e-4)


def test_dark_side_towards_the_observer_is_floored_not_infinite() -> None:
    # phase 180: F = sin(180) + 0 * cos(180) = 0, floored at 0.01: -2.5 * log10(0.01) = +5
    # m = -1.8 + 0 + 5 = +3.2
    assert visual_magnitude(1000.0, 180.0) == pytest.approx(3.2, abs=1e-9)


@pytest.mark.parametrize(
    ("range_km", "phase_deg"),
    [(None, 90.0), (1000.0, None), (None, None), (math.nan, 90.0), (1000.0, math.inf),
     (0.0, 90.0), (-5.0, 90.0)],
)  # fmt: skip
def test_unknown_or_impossible_geometry_is_none(
    range_km: float | None, phase_deg: float | None
) -> None:
    assert visual_magnitude(range_km, phase_deg) is None


@given(
    st.floats(min_value=1e-3, max_value=1e9),
    st.floats(min_value=1e-3, max_value=1e9),
    st.floats(min_value=-720.0, max_value=720.0),
)
def test_fainter_the_farther_away(near_km: float, far_km: float, phase_deg: float) -> None:
    near_km, far_km = sorted((near_km, far_km))
    near, far = visual_magnitude(near_km, phase_deg), visual_magnitude(far_km, phase_deg)
    assert near is not None and far is not None
    assert near <= far


@given(
    st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
    st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
)
def test_finite_or_none_for_any_geometry(range_km: float | None, phase_deg: float | None) -> None:
    m = visual_magnitude(range_km, phase_deg)
    assert m is None or math.isfinite(m)
    if (
        range_km is not None
        and phase_deg is not None
        and math.isfinite(range_km)
        and math.isfinite(phase_deg)
        and range_km > 0
    ):
        assert m is not None
    words = brightness_words(m)
    assert words in ("very bright", "bright", "easy", "faint", "not visible")


@given(st.floats(min_value=0.0, max_value=180.0), st.floats(min_value=0.0, max_value=180.0))
def test_fuller_phase_is_never_fainter(a_deg: float, b_deg: float) -> None:
    fuller, thinner = sorted((a_deg, b_deg))
    assert phase_function(fuller) >= phase_function(thinner)


def test_brightness_words() -> None:
    assert brightness_words(-3.5) == "very bright"
    assert brightness_words(-3.0) == "very bright"
    assert brightness_words(-2.0) == "bright"
    assert brightness_words(-0.5) == "easy"
    assert brightness_words(1.2) == "faint"
    assert brightness_words(None) == "not visible"


def test_a_subnormal_range_is_a_magnitude_not_a_domain_error() -> None:
    # Found by the property above with another seed: 5e-324 / 1000 underflows to 0.0.
    m = visual_magnitude(5e-324, 90.0)
    assert m is not None and math.isfinite(m)
