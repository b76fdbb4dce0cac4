"""The sky chart of one pass, rasterised into braille cells: pure numpy, no Textual.

An azimuthal chart of the observer's sky: the zenith at the centre, the horizon the outer
circle, the radius proportional to 90 - elevation. It is drawn as star charts are, to be held
overhead while facing south: north at the top and east on the LEFT (the mirror image of a map,
because it shows the sky from below). Braille cells hold 2 x 4 dots and a terminal cell is
about twice as tall as it is wide, so the dots are near square and a circle `2R` dots across
takes `R` columns and `R / 2` rows.

The drawing reuses the map's braille folding (`issdash.model.map.raster.dots_to_bits`), its
encoders (`issdash.model.map.glyphs`: braille, or line glyphs on the Linux console) and its
frame of cells (`issdash.model.map.frame.CellFrame`); it draws on a small dot grid of its own
because the map's line helpers work in latitude/longitude.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from issdash.model.map.frame import CellFrame
from issdash.model.map.glyphs import BRAILLE, MapGlyphs
from issdash.model.map.raster import dots_to_bits

STATION_GLYPH = BRAILLE.station
# Ring radii as fractions of the horizon's: elevation 30 and 60 degrees.
RING_ELEVATIONS_DEG = (30.0, 60.0)
CARDINALS = (("N", 0.0), ("E", 90.0), ("S", 180.0), ("W", 270.0))
LEGEND = "N up, E left: hold it overhead facing south"


class SkyLayer(IntEnum):
    """What a cell shows, lowest priority first (the style id of the cell)."""

    EMPTY = 0
    RING = 1
    SHADOW = 2  # the path while the station is in Earth's shadow (dotted, dim)
    SUNLIT = 3  # the path while sunlit (solid, bright)
    TICK = 4  # a minute tick across the sunlit path (in shadow, ticks are SHADOW)
    LABEL = 5  # N, E, S, W
    STATION = 6  # the station now


class SkySample(Protocol):
    """One point of a topocentric track (`issdash.model.passes.finder.SkyPoint` is one)."""

    @property
    def time(self) -> datetime: ...
    @property
    def azimuth_deg(self) -> float: ...
    @property
    def elevation_deg(self) -> float: ...
    @property
    def sunlit(self) -> bool: ...


def project(azimuth_deg: float, elevation_deg: float) -> tuple[float, float]:
    """A direction in the sky as (x, y) on the unit disc: x to the right, y up; the zenith at
    (0, 0), the horizon on the unit circle, north up and east LEFT. Below the horizon the
    radius goes past 1 (those points are not drawn)."""
    r = (90.0 - min(elevation_deg, 90.0)) / 90.0
    az = math.radians(azimuth_deg)
    return -r * math.sin(az), r * math.cos(az)


def chart_size_for(width: int, height: int) -> tuple[int, int]:
    """The largest round chart (columns, rows) that fits `width` x `height` cells: twice as
    many columns as rows, so that it is a circle on screen."""
    if width <= 0 or height <= 0:
        return 0, 0
    rows = min(height, width // 2)
    return rows * 2, rows


@dataclass(frozen=True)
class _Grid:
    """Where the unit disc lies on the dot grid."""

    dots_x: int
    dots_y: int
    cx: float
    cy: float
    radius: float

    @classmethod
    def for_cells(cls, width: int, height: int) -> _Grid:
        dots_x, dots_y = width * 2, height * 4
        return cls(
            dots_x,
            dots_y,
            (dots_x - 1) / 2,
            (dots_y - 1) / 2,
            (min(dots_x, dots_y) - 1) / 2,
        )

    def to_dots(self, x: float, y: float) -> tuple[float, float]:
        return self.cx + x * self.radius, self.cy - y * self.radius

    def cell_of(self, x: float, y: float) -> tuple[int, int]:
        dx, dy = self.to_dots(x, y)
        col = min(self.dots_x // 2 - 1, max(0, round(dx) // 2))
        row = min(self.dots_y // 4 - 1, max(0, round(dy) // 4))
        return col, row


def sky_cell(azimuth_deg: float, elevation_deg: float, width: int, height: int) -> tuple[int, int]:
    """The (column, row) cell of a direction on a chart of `width` x `height` cells."""
    grid = _Grid.for_cells(width, height)
    return grid.cell_of(*project(azimuth_deg, elevation_deg))


def _circle(grid: _Grid, r: float, every: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    steps = max(16, math.ceil(2 * math.pi * r * grid.radius * 1.5))
    angles = np.linspace(0.0, 2 * math.pi, steps, endpoint=False)[::every]
    return grid.cx + r * grid.radius * np.sin(angles), grid.cy - r * grid.radius * np.cos(angles)


def _set_dots(dots: NDArray[np.bool_], xs: NDArray[np.float64], ys: NDArray[np.float64]) -> None:
    xi = np.rint(xs).astype(np.int64)
    yi = np.rint(ys).astype(np.int64)
    inside = (xi >= 0) & (xi < dots.shape[1]) & (yi >= 0) & (yi < dots.shape[0])
    dots[yi[inside], xi[inside]] = True


def _segment(
    grid: _Grid, a: tuple[float, float], b: tuple[float, float]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Dots from `a` to `b`, one per dot step, `b` excluded (the next segment starts there)."""
    (x0, y0), (x1, y1) = grid.to_dots(*a), grid.to_dots(*b)
    n = max(1, math.ceil(max(abs(x1 - x0), abs(y1 - y0))))
    frac = np.arange(n) / n
    return x0 + (x1 - x0) * frac, y0 + (y1 - y0) * frac


def _is_minute(t: datetime) -> bool:
    return t.second == 0 and t.microsecond == 0


def compose_sky(
    path: Sequence[SkySample],
    width: int,
    height: int,
    now_position: tuple[float, float] | None = None,
    glyphs: MapGlyphs = BRAILLE,
) -> CellFrame:
    """The chart of `path` on `width` x `height` cells (see `chart_size_for`).

    The sunlit part of the path is solid, the part in Earth's shadow dotted (and styled
    apart); samples on a whole minute get a short tick across the path; `now_position`
    (azimuth, elevation), when given and above the horizon, is the station now.
    """
    grid = _Grid.for_cells(width, height)
    shape = (grid.dots_y, grid.dots_x)
    layers: dict[SkyLayer, NDArray[np.bool_]] = {
        layer: np.zeros(shape, dtype=bool)
        for layer in (SkyLayer.RING, SkyLayer.SHADOW, SkyLayer.SUNLIT, SkyLayer.TICK)
    }
    _set_dots(layers[SkyLayer.RING], *_circle(grid, 1.0, 1))
    for elevation in RING_ELEVATIONS_DEG:
        _set_dots(layers[SkyLayer.RING], *_circle(grid, (90.0 - elevation) / 90.0, 5))
    above = [p for p in path if p.elevation_deg >= 0.0]
    points = [project(p.azimuth_deg, p.elevation_deg) for p in above]
    # The path in runs of one light: solid while sunlit, every other dot while in shadow
    # (counted along the run, so the dotting is even at any angle and segment length).
    run_start = 0
    for i in range(1, len(above) + 1):
        if i < len(above) and above[i].sunlit == above[run_start].sunlit:
            continue
        lit = above[run_start].sunlit
        # A run ends where the next begins: the change is within one sample step.
        end = min(i, len(above) - 1)
        pieces = [_segment(grid, points[j], points[j + 1]) for j in range(run_start, end)]
        last = grid.to_dots(*points[end])
        xs = np.concatenate([p[0] for p in pieces] + [np.array([last[0]])])
        ys = np.concatenate([p[1] for p in pieces] + [np.array([last[1]])])
        if not lit:
            xs, ys = xs[::2], ys[::2]
        _set_dots(layers[SkyLayer.SUNLIT if lit else SkyLayer.SHADOW], xs, ys)
        run_start = i
    for i, sample in enumerate(above):
        if _is_minute(sample.time):
            # A tick takes the light of the path it is on: in shadow it is dim too.
            layer = SkyLayer.TICK if sample.sunlit else SkyLayer.SHADOW
            _set_dots(layers[layer], *_tick(grid, points, i))
    bits = np.zeros((height, width), dtype=np.uint8)
    styles = np.zeros((height, width), dtype=np.uint8)
    for layer, dots in layers.items():  # in priority order: the later wins a shared cell
        cells = dots_to_bits(dots, width, height)
        bits |= cells
        styles[cells > 0] = layer
    codes = glyphs.encode(bits, np.zeros(bits.shape, dtype=bool))  # lines, no areas
    for letter, azimuth in CARDINALS:
        col, row = grid.cell_of(*project(azimuth, 0.0))
        codes[row, col] = ord(letter)
        styles[row, col] = SkyLayer.LABEL
    if now_position is not None and now_position[1] >= 0.0:
        col, row = grid.cell_of(*project(*now_position))
        codes[row, col] = glyphs.station
        styles[row, col] = SkyLayer.STATION
    return CellFrame(codes=codes, styles=styles)


def _tick(
    grid: _Grid, points: list[tuple[float, float]], i: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """A bar two dots either side of point `i`, across the path's direction there."""
    before = points[max(0, i - 1)]
    after = points[min(len(points) - 1, i + 1)]
    (bx, by), (ax, ay) = grid.to_dots(*before), grid.to_dots(*after)
    dx, dy = ax - bx, ay - by
    length = math.hypot(dx, dy)
    if length == 0:
        return np.array([]), np.array([])
    nx, ny = -dy / length, dx / length  # the normal, in dots
    px, py = grid.to_dots(*points[i])
    offsets = np.array([-2.0, -1.0, 1.0, 2.0])
    return px + nx * offsets, py + ny * offsets


def position_at(path: Sequence[SkySample], at: datetime) -> tuple[float, float] | None:
    """(azimuth, elevation) at `at`, interpolated between the path's samples (10 s apart,
    so a straight line between them is well under a dot off); None outside the path."""
    if not path or not path[0].time <= at <= path[-1].time:
        return None
    for a, b in itertools.pairwise(path):
        if a.time <= at <= b.time:
            span = (b.time - a.time).total_seconds()
            f = (at - a.time).total_seconds() / span if span > 0 else 0.0
            turn = (b.azimuth_deg - a.azimuth_deg + 180.0) % 360.0 - 180.0  # across north
            azimuth = (a.azimuth_deg + turn * f) % 360.0
            return azimuth, a.elevation_deg + (b.elevation_deg - a.elevation_deg) * f
    return path[-1].azimuth_deg, path[-1].elevation_deg
