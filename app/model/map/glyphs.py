"""The map's cells as characters: braille, or block elements for the Linux console (pure numpy).

The raster (`issdash.model.map.raster`) composes every layer as braille dot patterns, 2 x 4 dots
a cell. An encoder turns each cell's pattern into a character:

- `BRAILLE`: the pattern is the braille character itself (U+2800 + bits).
- `CONSOLE`: the Linux console's fonts have no braille, and of the block elements only the
  full block and two shades (see `issdash.model.terminal.console_font`): no quadrants, no half
  blocks. Areas (land) are drawn by how many of the 8 dots are set (░ ▒ █); lines (tracks,
  footprint, grid, the station's ring) by which quarters of the cell hold a dot, 2 x 2 a cell, with
  the line-like glyphs the console has: ' . ¯ _ │ ╱ ╲.

One raster, two encoders: nothing about the map is drawn twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

GlyphMode = Literal["braille", "console"]

BRAILLE_BASE = 0x2800
SPACE = 0x20

# Braille bits by dot (x, y) in the cell: left column 0x01 0x02 0x04 0x40 (top to bottom),
# right column 0x08 0x10 0x20 0x80. Each quarter of the cell is two of them.
_TOP_LEFT = 0x01 | 0x02
_TOP_RIGHT = 0x08 | 0x10
_BOTTOM_LEFT = 0x04 | 0x40
_BOTTOM_RIGHT = 0x20 | 0x80


def _quarters(bits: int) -> int:
    """Which quarters of a cell hold a dot: 1 top left, 2 top right, 4 bottom left, 8 bottom
    right."""
    return (
        (1 if bits & _TOP_LEFT else 0)
        | (2 if bits & _TOP_RIGHT else 0)
        | (4 if bits & _BOTTOM_LEFT else 0)
        | (8 if bits & _BOTTOM_RIGHT else 0)
    )


# A line through a cell, by its quarters. Three quarters is a bend; ▒ keeps it solid.
_LINE_BY_QUARTERS = (
    " ",  # none
    "'",  # top left
    "'",  # top right
    "¯",  # top half
    ".",  # bottom left
    "│",  # left half
    "╱",  # top right, bottom left
    "▒",
    ".",  # bottom right
    "╲",  # top left, bottom right
    "│",  # right half
    "▒",
    "_",  # bottom half
    "▒",
    "▒",
    "█",  # all four
)


def _area_glyph(bits: int) -> str:
    dots = bits.bit_count()
    return " " if dots == 0 else "░" if dots <= 2 else "▒" if dots <= 5 else "█"


_CONSOLE_LINE = np.array([ord(_LINE_BY_QUARTERS[_quarters(b)]) for b in range(256)], np.uint32)
_CONSOLE_AREA = np.array([ord(_area_glyph(b)) for b in range(256)], np.uint32)


@dataclass(frozen=True, slots=True)
class MapGlyphs:
    """How cells become characters, and the markers drawn on top."""

    mode: GlyphMode
    station: int
    station_approximate: int  # elements a few days old: a place to look near, not a fix
    observer: int
    pad: int  # a launch pad with a launch coming

    def encode(self, bits: NDArray[np.uint8], area: NDArray[np.bool_]) -> NDArray[np.uint32]:
        """Code points for braille bit patterns; `area` marks cells of filled layers (land),
        the rest are lines."""
        if self.mode == "braille":
            return np.where(bits > 0, BRAILLE_BASE + bits.astype(np.uint32), np.uint32(SPACE))
        return np.where(area, _CONSOLE_AREA[bits], _CONSOLE_LINE[bits]).astype(np.uint32)


BRAILLE = MapGlyphs(
    "braille", station=ord("◉"), station_approximate=ord("○"), observer=ord("⌂"), pad=ord("▲")
)
# ■ (the console's own square), o, + and ^: glyphs every console font has.
CONSOLE = MapGlyphs(
    "console", station=ord("■"), station_approximate=ord("o"), observer=ord("+"), pad=ord("^")
)

GLYPHS: dict[GlyphMode, MapGlyphs] = {"braille": BRAILLE, "console": CONSOLE}
