"""Rasterising the ground-track map into cells: pure numpy, no Textual.

The map is an equirectangular world of dots, each terminal cell holding a 2 x 4 grid of them
(a braille cell). Layers are composed per cell with a fixed priority (station over observer
over tracks over footprint over grid over land), and each cell gets a small integer style id;
the widget turns ids into colours from the theme. The dots become characters last, through a
glyph encoder (`issdash.model.map.glyphs`): braille, or block elements on the Linux console. Kept
apart from the widget so it can be timed and tested alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from issdash.model.map.frame import CellFrame
from issdash.model.map.glyphs import BRAILLE, MapGlyphs
from issdash.model.map.land_mask import load_land_mask

STATION_GLYPH = BRAILLE.station
# Elements a few days old: the marker is hollow, a place to look near rather than a fix.
APPROXIMATE_STATION_GLYPH = BRAILLE.station_approximate
OBSERVER_GLYPH = BRAILLE.observer
# The ring of dots around the station marker, as (x, y) dot offsets from the marker cell's
# top-left dot: the outer column of the cells beside it, the near row of the cells above and
# below, and the nearest dot of each corner cell. A rounded box (⢀⣀⡀ ⡇◉⢸ ⠈⠉⠁ in braille,
# ._. │■│ '¯' on the console): the station is a 3 x 3 cell target, not one cell.
_RING = np.array(
    [(-2, y) for y in range(4)]
    + [(3, y) for y in range(4)]
    + [(0, -1), (1, -1), (0, 4), (1, 4)]
    + [(-1, -1), (2, -1), (-1, 4), (2, 4)]
)
# A launch pad with a launch coming (the launch card's pad).
PAD_GLYPH = BRAILLE.pad

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
Run = tuple[FloatArray, FloatArray]


class Layer(IntEnum):
    """What a cell shows, lowest priority first. Style id = layer * 2 + (1 if night)."""

    OCEAN = 0
    LAND = 1
    GRID = 2
    FOOTPRINT = 3
    PAST = 4
    FUTURE = 5
    OBSERVER = 6
    PAD = 7
    STATION = 8


STYLE_COUNT = len(Layer) * 2


@dataclass(frozen=True)
class MapScene:
    """Everything drawn on the map at one moment, in degrees. Runs never cross the
    antimeridian (see `issdash.model.orbit.split_at_antimeridian`)."""

    subsolar: tuple[float, float] | None = None
    past_track: tuple[Run, ...] = ()
    future_track: tuple[Run, ...] = ()
    footprint: tuple[Run, ...] = ()
    station: tuple[float, float] | None = None
    # Drawn as ○ instead of ◉: the elements are old enough for the position to be approximate.
    station_approximate: bool = False
    # Where along the track the station may be, drawn instead of a marker when the elements are
    # too old for any one place to be claimed (`station` is then None).
    station_region: tuple[Run, ...] = ()
    observer: tuple[float, float] | None = None
    # (latitude, longitude) of the pad of the launch coming up, or None.
    pad: tuple[float, float] | None = None
    show_night: bool = True
    show_grid: bool = False


def map_size_for(width: int, height: int) -> tuple[int, int]:
    """The largest map that fits `width` x `height` cells at the world's 2:1 shape.

    A braille cell is 2 dots wide and 4 tall and a terminal cell is about twice as tall as
    wide, so dots are near square and a 360 x 180 degree world is 4 cells wide per row.
    """
    if width <= 0 or height <= 0:
        return 0, 0
    rows = min(height, max(1, width // 4))
    cols = min(width, rows * 4)
    return cols, rows


@lru_cache(maxsize=8)
def land_bits(width: int, height: int) -> NDArray[np.uint8]:
    """Braille bits of the land layer for a map of `width` x `height` cells (cached per size).

    Each dot covers a box of the 0.25 degree mask and is land when most of the box is land;
    the box sums take one pass over the mask at any size.
    """
    mask = load_land_mask()
    rows, cols = mask.shape
    dots_x, dots_y = width * 2, height * 4
    # Box edges; a box narrower than one mask cell still takes the cell it starts in (that is
    # what reduceat does when an edge does not advance).
    ys = np.minimum(np.linspace(0, rows, dots_y + 1).round().astype(np.intp), rows - 1)
    xs = np.minimum(np.linspace(0, cols, dots_x + 1).round().astype(np.intp), cols - 1)
    ys[-1], xs[-1] = rows, cols
    # Sums over bands of rows, then over bands of columns: one pass over the mask.
    by_rows = np.add.reduceat(mask.view(np.uint8), ys[:-1], axis=0, dtype=np.int32)
    land = np.add.reduceat(by_rows, xs[:-1], axis=1)
    heights = np.maximum(ys[1:] - ys[:-1], 1)[:, None]
    widths = np.maximum(xs[1:] - xs[:-1], 1)[None, :]
    area = heights * widths
    dots = land * 2 > area
    bits = dots_to_bits(dots, width, height)
    bits.flags.writeable = False
    return bits


# Dot order inside a cell for `np.packbits(bitorder="little")`: braille dots 1-8 are
# (x, y) = (0,0) (0,1) (0,2) (1,0) (1,1) (1,2) (0,3) (1,3); index = x * 4 + y.
_BRAILLE_ORDER = np.array([0, 1, 2, 4, 5, 6, 3, 7])


def dots_to_bits(dots: BoolArray, width: int, height: int) -> NDArray[np.uint8]:
    """Fold a (4h x 2w) dot grid into (h x w) braille bit patterns."""
    cells = dots.reshape(height, 4, width, 2).transpose(0, 2, 3, 1).reshape(height, width, 8)
    return np.packbits(cells[:, :, _BRAILLE_ORDER], axis=-1, bitorder="little")[:, :, 0]


@lru_cache(maxsize=8)
def _cell_centres(width: int, height: int) -> tuple[FloatArray, FloatArray]:
    lat = 90.0 - (np.arange(height) + 0.5) * 180.0 / height
    lon = -180.0 + (np.arange(width) + 0.5) * 360.0 / width
    return np.radians(lat)[:, None], np.radians(lon)[None, :]


def night_cells(width: int, height: int, subsolar: tuple[float, float]) -> BoolArray:
    """Cells whose centre has the Sun below the horizon."""
    lat, lon = _cell_centres(width, height)
    sun_lat, sun_lon = math.radians(subsolar[0]), math.radians(subsolar[1])
    cos_zenith = np.sin(lat) * math.sin(sun_lat) + np.cos(lat) * math.cos(sun_lat) * np.cos(
        lon - sun_lon
    )
    return np.asarray(cos_zenith < 0.0)


@lru_cache(maxsize=8)
def grid_bits(width: int, height: int) -> NDArray[np.uint8]:
    """A dotted graticule every 30 degrees (a dot every other position)."""
    dots_x, dots_y = width * 2, height * 4
    dots = np.zeros((dots_y, dots_x), dtype=bool)
    for lat in range(-60, 61, 30):
        y = round((90 - lat) / 180 * dots_y - 0.5)
        if 0 <= y < dots_y:
            dots[y, ::3] = True
    for lon in range(-150, 180, 30):
        x = round((lon + 180) / 360 * dots_x - 0.5)
        if 0 <= x < dots_x:
            dots[::3, x] = True
    bits = dots_to_bits(dots, width, height)
    bits.flags.writeable = False
    return bits


def _to_dots(
    lat: FloatArray, lon: FloatArray, width: int, height: int
) -> tuple[FloatArray, FloatArray]:
    x = (lon + 180.0) / 360.0 * (width * 2) - 0.5
    y = (90.0 - lat) / 180.0 * (height * 4) - 0.5
    return x, y


# The braille bit of the dot at (x % 2, y % 4) of a cell, indexed [y % 4, x % 2]: dots 1-3
# and 7 are the left column, 4-6 and 8 the right (the same order as _BRAILLE_ORDER).
_DOT_BIT = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], dtype=np.uint8)


def line_bits(runs: tuple[Run, ...], width: int, height: int) -> NDArray[np.uint8]:
    """Braille bits of polylines, interpolated so consecutive samples join up at any map
    size. Lines are sparse, so their dots are set straight into the cells rather than
    drawn on a full dot grid and packed."""
    bits = np.zeros((height, width), dtype=np.uint8)
    dots_x, dots_y = width * 2, height * 4
    xs_all: list[FloatArray] = []
    ys_all: list[FloatArray] = []
    for lat, lon in runs:
        x, y = _to_dots(lat, lon, width, height)
        if x.size == 1:
            xs_all.append(x)
            ys_all.append(y)
            continue
        steps = np.maximum(np.ceil(np.maximum(np.abs(np.diff(x)), np.abs(np.diff(y)))), 1).astype(
            np.int64
        )
        # For each segment, fractions 0, 1/n, ..., (n-1)/n; then the final point.
        seg = np.repeat(np.arange(steps.size), steps)
        offsets = np.arange(seg.size) - np.repeat(np.cumsum(steps) - steps, steps)
        frac = offsets / steps[seg]
        xs_all.append(np.concatenate([x[seg] + (x[seg + 1] - x[seg]) * frac, x[-1:]]))
        ys_all.append(np.concatenate([y[seg] + (y[seg + 1] - y[seg]) * frac, y[-1:]]))
    if xs_all:
        xi = np.rint(np.concatenate(xs_all)).astype(np.int64) % dots_x
        yi = np.clip(np.rint(np.concatenate(ys_all)).astype(np.int64), 0, dots_y - 1)
        np.bitwise_or.at(bits, (yi // 4, xi // 2), _DOT_BIT[yi % 4, xi % 2])
    return bits


def ring_bits(x: int, y: int, width: int, height: int) -> NDArray[np.uint8]:
    """Braille bits of a ring of dots around cell (x, y), that cell itself left empty (the
    marker glyph goes there). Wraps east-west like the map; cut at the poles."""
    bits = np.zeros((height, width), dtype=np.uint8)
    xi = (x * 2 + _RING[:, 0]) % (width * 2)
    yi = y * 4 + _RING[:, 1]
    keep = (yi >= 0) & (yi < height * 4)
    xi, yi = xi[keep], yi[keep]
    np.bitwise_or.at(bits, (yi // 4, xi // 2), _DOT_BIT[yi % 4, xi % 2])
    bits[y, x] = 0
    return bits


def point_cell(lat: float, lon: float, width: int, height: int) -> tuple[int, int]:
    """The (x, y) cell holding a point."""
    x = int((lon + 180.0) / 360.0 * width) % width
    y = min(height - 1, max(0, int((90.0 - lat) / 180.0 * height)))
    return x, y


def compose(scene: MapScene, width: int, height: int, glyphs: MapGlyphs = BRAILLE) -> CellFrame:
    """Compose all layers for a map of `width` x `height` cells, drawn with `glyphs`."""
    land = land_bits(width, height)
    layer = np.where(land > 0, np.uint8(Layer.LAND), np.uint8(Layer.OCEAN))
    bits = land.copy()
    if scene.show_grid:
        grid = grid_bits(width, height)
        free = (layer == Layer.OCEAN) & (grid > 0)
        layer[free] = Layer.GRID
        bits[free] = grid[free]
    for runs, kind in (
        (scene.footprint, Layer.FOOTPRINT),
        (scene.past_track, Layer.PAST),
        (scene.future_track, Layer.FUTURE),
        (scene.station_region, Layer.STATION),
    ):
        if not runs:
            continue
        line = line_bits(runs, width, height)
        hit = line > 0
        layer[hit] = kind
        bits[hit] = line[hit]
    station_cell = None
    if scene.station is not None:
        station_cell = point_cell(*scene.station, width, height)
        # The ring replaces what was under it (a clean halo; the track resumes outside it).
        ring = ring_bits(*station_cell, width, height)
        hit = ring > 0
        layer[hit] = Layer.STATION
        bits[hit] = ring[hit]
    codes = glyphs.encode(bits, layer == Layer.LAND)
    if scene.observer is not None:
        ox, oy = point_cell(*scene.observer, width, height)
        layer[oy, ox] = Layer.OBSERVER
        codes[oy, ox] = glyphs.observer
    if scene.pad is not None:
        px, py = point_cell(*scene.pad, width, height)
        layer[py, px] = Layer.PAD
        codes[py, px] = glyphs.pad
    if station_cell is not None:
        sx, sy = station_cell
        layer[sy, sx] = Layer.STATION
        codes[sy, sx] = glyphs.station_approximate if scene.station_approximate else glyphs.station
    styles = layer * 2
    if scene.show_night and scene.subsolar is not None:
        styles = styles + night_cells(width, height, scene.subsolar).astype(np.uint8)
    return CellFrame(codes=codes, styles=styles.astype(np.uint8))


def frame_runs(styles: NDArray[np.uint8]) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Where runs of equal style start, for the whole frame at once.

    Returns `(starts, row_ptr)`: `starts` are flat cell indices (row-major) where a run
    begins, and the runs of row `y` are `starts[row_ptr[y]:row_ptr[y + 1]]`.
    """
    height, width = styles.shape
    begins = np.ones((height, width), dtype=bool)
    begins[:, 1:] = styles[:, 1:] != styles[:, :-1]
    starts = np.flatnonzero(begins)
    row_ptr = np.searchsorted(starts, np.arange(height + 1) * width)
    return starts, row_ptr
