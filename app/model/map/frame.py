"""A frame of composed terminal cells: what the map's rasteriser (`issdash.model.map.raster`)
and the sky chart's (`issdash.model.passes.sky_chart`) hand their widgets. Pure numpy.

Each cell is a Unicode code point and a small integer style id (the layer it shows, which
the widget turns into a colour from the theme); the text is decoded from the code points in
one call, a row or the whole frame at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class CellFrame:
    """Composed cells: `codes` are Unicode code points, `styles` the style ids (h x w)."""

    codes: NDArray[np.uint32]
    styles: NDArray[np.uint8]

    @property
    def size(self) -> tuple[int, int]:
        height, width = self.codes.shape
        return width, height

    def text(self) -> str:
        """All cells as one string, row after row (one decode for the whole frame)."""
        return str(self.codes.astype("<u4", copy=False).tobytes().decode("utf-32-le"))

    def row_text(self, y: int) -> str:
        return str(self.codes[y].astype("<u4").tobytes().decode("utf-32-le"))

    def lines(self) -> list[str]:
        """The rows, top to bottom."""
        return [self.row_text(y) for y in range(self.size[1])]
