"""The world land mask behind the braille ground-track map.

The mask is a 0.25 degree equirectangular grid shipped as package data and built once, at
development time, by `scripts/build_landmask.py`. Row 0 is the northernmost band (centred on
latitude 89.875) and rows go south; column 0 is centred on longitude -179.875 and columns go
east. It is stored bit-packed, so it costs tens of kilobytes on disk and about 1 MB unpacked.

Pure numpy: nothing here imports Textual, so the map geometry can be tested without a terminal.
"""

from __future__ import annotations

import functools
from importlib.resources import files

import numpy as np
from numpy.typing import NDArray

MASK_SHAPE: tuple[int, int] = (720, 1440)
"""(rows, columns) of the mask: 180 and 360 degrees at RESOLUTION_DEG."""

RESOLUTION_DEG: float = 0.25
"""Size of one mask cell, in degrees of latitude and of longitude."""


@functools.cache
def load_land_mask() -> NDArray[np.bool_]:
    """Return the land mask, True for land, shape MASK_SHAPE, north row and west column first.

    Loaded once per process and shared: callers must treat it as read-only, which is enforced
    by clearing the array's writeable flag.

    Raises:
        ValueError: if the data file does not describe the grid this module assumes, which
            would otherwise put every coastline in the wrong place without any error.
    """
    resource = files("issdash.model.data") / "land_mask.npz"
    with resource.open("rb") as handle, np.load(handle) as data:
        bits = data["bits"]
        shape = tuple(int(n) for n in data["shape"])
        resolution = float(data["resolution_deg"])
    if shape != MASK_SHAPE or resolution != RESOLUTION_DEG:
        raise ValueError(
            f"land_mask.npz is {shape} at {resolution} deg, expected {MASK_SHAPE} at "
            f"{RESOLUTION_DEG} deg"
        )
    # packbits pads each row to whole bytes; `count` drops that padding.
    mask = np.unpackbits(bits, axis=1, count=shape[1]).astype(np.bool_)
    mask.flags.writeable = False
    return mask


def sample_land(lat_deg: NDArray[np.float64], lon_deg: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Return, for each point, whether the mask cell containing it is land.

    `lat_deg` and `lon_deg` must broadcast together; the result has their broadcast shape.
    Longitudes wrap, so 180.1 and -179.9 are the same place and a ground track may be
    unwrapped past the antimeridian. Latitudes outside [-90, 90] are clamped to the polar rows
    rather than rejected, so rounding at the edge of a projection cannot raise.
    """
    rows, cols = MASK_SHAPE
    lat = np.asarray(lat_deg, dtype=np.float64)
    lon = np.asarray(lon_deg, dtype=np.float64)
    # Flooring the offset from the grid's north-west corner finds the cell containing the
    # point, which is the cell whose centre is nearest to it.
    row = np.floor((90.0 - lat) / RESOLUTION_DEG).astype(np.intp)
    col = np.floor((lon + 180.0) / RESOLUTION_DEG).astype(np.intp)
    # Latitude 90 exactly lands one past the last index from the other side (-90), hence clip.
    row = np.clip(row, 0, rows - 1)
    col = np.mod(col, cols)
    result: NDArray[np.bool_] = load_land_mask()[row, col]
    return result
