"""The sky chart (issue 17): the azimuthal projection as properties, and the raster: horizon,
compass points, rings, the path solid while sunlit and dotted in shadow, minute ticks, the
station now."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from issdash.model.map.glyphs import BRAILLE_BASE
from issdash.model.passes.sky_chart import (
    STATION_GLYPH,
    SkyLayer,
    chart_size_for,
    compose_sky,
    position_at,
    project,
    sky_cell,
)

azimuths = st.floats(min_value=0.0, max_value=360.0, allow_nan=False)
elevations = st.floats(min_value=0.0, max_value=90.0, allow_nan=False)
T0 = datetime(2025, 4, 8, 9, 25, tzinfo=UTC)


@dataclass(frozen=True)
class Sample:
    time: datetime
    azimuth_deg: float
    elevation_deg: float
    sunlit: bool


@given(azimuths)
def test_zenith_is_the_centre(azimuth: float) -> None:
    x, y = project(azimuth, 90.0)
    assert math.hypot(x, y) < 1e-12


@given(azimuths)
def test_horizon_is_the_unit_circle(azimuth: float) -> None:
    assert math.isclose(math.hypot(*project(azimuth, 0.0)), 1.0)


@given(azimuths, elevations)
def test_radius_is_proportional_to_the_zenith_distance(azimuth: float, elevation: float) -> None:
    assert math.isclose(math.hypot(*project(azimuth, elevation)), (90 - elevation) / 90)


@given(elevations.filter(lambda e: e < 89.9))
def test_north_is_up_east_left_south_down_west_right(elevation: float) -> None:
    nx, ny = project(0.0, elevation)
    ex, ey = project(90.0, elevation)
    sx, sy = project(180.0, elevation)
    wx, wy = project(270.0, elevation)
    assert ny > 0 and abs(nx) < 1e-9
    assert ex < 0 and abs(ey) < 1e-9  # east on the LEFT: a chart held overhead facing south
    assert sy < 0 and abs(sx) < 1e-9
    assert wx > 0 and abs(wy) < 1e-9


@given(azimuths, elevations, st.integers(min_value=5, max_value=30))
def test_cells_of_directions_lie_inside_the_chart(
    azimuth: float, elevation: float, rows: int
) -> None:
    width, height = chart_size_for(rows * 2, rows)
    col, row = sky_cell(azimuth, elevation, width, height)
    assert 0 <= col < width and 0 <= row < height


def test_chart_is_twice_as_wide_as_tall_to_look_round() -> None:
    assert chart_size_for(44, 30) == (44, 22)
    assert chart_size_for(100, 11) == (22, 11)
    assert chart_size_for(0, 10) == (0, 0)


def _pass_path(shadow_after_s: int, offset_s: int = 0) -> list[Sample]:
    """A pass rising NW, culminating high in the NE, setting SE, a sample every 10 s from a
    whole minute (plus `offset_s`: then no sample is on a minute, and no tick drawn); in
    Earth's shadow from `shadow_after_s`."""
    path = []
    for i in range(0, 361, 10):
        f = i / 360
        path.append(
            Sample(
                T0 + timedelta(seconds=i + offset_s),
                (315 + 180 * f) % 360,
                10 + 60 * math.sin(math.pi * f),
                i < shadow_after_s,
            )
        )
    return path


def _bits_in(frame_codes: np.ndarray, frame_styles: np.ndarray, layer: SkyLayer) -> int:
    cells = frame_codes[frame_styles == layer]
    braille = cells[(cells > BRAILLE_BASE) & (cells <= BRAILLE_BASE + 0xFF)] - BRAILLE_BASE
    return int(sum(bin(int(c)).count("1") for c in braille))


def test_compass_points_and_horizon() -> None:
    frame = compose_sky((), 44, 22)
    text = frame.lines()
    assert text[0].strip().count("N") == 1 and text[0].index("N") in (21, 22)
    assert text[-1].index("S") in (21, 22)
    middle = [row for row in text if row.startswith("E")]
    assert len(middle) == 1 and middle[0].endswith("W")  # east on the left, west on the right
    # The horizon crosses every row, symmetric about the centre: a circle, not an ellipse
    # (its widest row spans the chart, and so does its height).
    assert all(row.strip() for row in text)
    for row in text:
        left, right = len(row) - len(row.lstrip()), len(row) - len(row.rstrip())
        assert abs(left - right) <= 1
    assert max(len(row.strip()) for row in text) == 44


def test_sunlit_path_is_solid_and_shadow_dotted() -> None:
    lit = compose_sky(_pass_path(shadow_after_s=1000, offset_s=5), 44, 22)
    dark = compose_sky(_pass_path(shadow_after_s=0, offset_s=5), 44, 22)
    assert (lit.styles == SkyLayer.SUNLIT).any() and not (lit.styles == SkyLayer.SHADOW).any()
    assert (dark.styles == SkyLayer.SHADOW).any() and not (dark.styles == SkyLayer.SUNLIT).any()
    # The same path (no minute ticks): in shadow it has far fewer dots (dotted, not solid).
    lit_dots = _bits_in(lit.codes, lit.styles, SkyLayer.SUNLIT)
    dark_dots = _bits_in(dark.codes, dark.styles, SkyLayer.SHADOW)
    assert dark_dots < lit_dots * 0.7  # every other dot, give or take rounding


def test_a_pass_that_fades_has_both_parts_in_order() -> None:
    path = _pass_path(shadow_after_s=200)
    frame = compose_sky(path, 44, 22)
    rise = sky_cell(path[0].azimuth_deg, path[0].elevation_deg, 44, 22)
    last = sky_cell(path[-1].azimuth_deg, path[-1].elevation_deg, 44, 22)
    near = frame.styles[rise[1] - 1 : rise[1] + 2, rise[0] - 1 : rise[0] + 2]
    assert (near == SkyLayer.SUNLIT).any() or (near == SkyLayer.TICK).any()
    near = frame.styles[last[1] - 1 : last[1] + 2, last[0] - 1 : last[0] + 2]
    assert (near == SkyLayer.SHADOW).any()


def test_minute_ticks_on_whole_minutes_only() -> None:
    path = _pass_path(shadow_after_s=1000)
    with_ticks = compose_sky(path, 44, 22)
    shifted = [
        Sample(p.time + timedelta(seconds=5), p.azimuth_deg, p.elevation_deg, p.sunlit)
        for p in path
    ]
    without = compose_sky(shifted, 44, 22)
    assert (with_ticks.styles == SkyLayer.TICK).sum() >= 5  # minutes 0..6
    # In shadow the ticks are drawn dim, as the path there is.
    dark = compose_sky(_pass_path(shadow_after_s=0), 44, 22)
    assert not (dark.styles == SkyLayer.TICK).any()
    assert not (without.styles == SkyLayer.TICK).any()


def test_station_now_is_drawn_where_the_projection_puts_it() -> None:
    frame = compose_sky(_pass_path(1000), 44, 22, now_position=(20.0, 55.0))
    col, row = sky_cell(20.0, 55.0, 44, 22)
    assert frame.codes[row, col] == STATION_GLYPH
    assert frame.styles[row, col] == SkyLayer.STATION
    below = compose_sky(_pass_path(1000), 44, 22, now_position=(20.0, -3.0))
    assert not (below.codes == STATION_GLYPH).any()  # not drawn below the horizon


def test_position_now_interpolates_between_samples_and_across_north() -> None:
    path = [
        Sample(T0, 350.0, 40.0, True),
        Sample(T0 + timedelta(seconds=10), 10.0, 50.0, True),
    ]
    az, el = position_at(path, T0 + timedelta(seconds=5)) or (math.nan, math.nan)
    assert math.isclose(az % 360, 0.0, abs_tol=1e-9) and math.isclose(el, 45.0)
    assert position_at(path, T0 - timedelta(seconds=1)) is None
    assert position_at(path, T0 + timedelta(seconds=11)) is None
    assert position_at((), T0) is None


def test_on_the_linux_console_the_chart_uses_the_maps_console_glyphs() -> None:
    from issdash.model.map.glyphs import CONSOLE
    from issdash.model.terminal.console_font import CONSOLE_CHARS

    frame = compose_sky(_pass_path(200), 44, 22, now_position=(20.0, 55.0), glyphs=CONSOLE)
    text = frame.text()
    assert all(c in CONSOLE_CHARS for c in text)  # no braille, nothing the font lacks
    col, row = sky_cell(20.0, 55.0, 44, 22)
    assert frame.codes[row, col] == CONSOLE.station
    assert (frame.styles == SkyLayer.SHADOW).any() and (frame.styles == SkyLayer.SUNLIT).any()
