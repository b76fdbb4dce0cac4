"""Build `app/model/data/land_mask.npz`, the coarse world land mask behind the ground-track map.

This is a developer-time tool, not part of the app. It needs the PyPI package
`global-land-mask`, which decompresses a ~1 GB, 1 km-resolution mask when imported, so the app
must never depend on or import it. Run it from a throwaway virtual environment:

    python3 -m venv /tmp/lmvenv
    /tmp/lmvenv/bin/pip install global-land-mask numpy
    /tmp/lmvenv/bin/python scripts/build_landmask.py

The output is an equirectangular grid at 0.25 degrees: 720 rows by 1440 columns. Row 0 is
centred on latitude 90 - 0.125 and rows go south; column 0 is centred on longitude
-180 + 0.125 and columns go east. Each cell is land when most of a regular SUBSAMPLES x
SUBSAMPLES grid of points inside it is land, so a cell is judged by what covers it rather than
by whatever happens to lie under its single centre point. The result is deterministic.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from global_land_mask import globe

RESOLUTION_DEG = 0.25
ROWS = round(180 / RESOLUTION_DEG)
COLS = round(360 / RESOLUTION_DEG)
# Odd, so a majority vote can never tie.
SUBSAMPLES = 5
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "app" / "model" / "data" / "land_mask.npz"


def subsample_offsets() -> np.ndarray:
    """Offsets, in degrees from a cell's north-west corner, of the points sampled in each cell.

    They sit at the centres of a SUBSAMPLES x SUBSAMPLES split of the cell, so none lies on a
    cell edge, where it would be shared with (and could be decided by) the neighbouring cell.
    """
    return (np.arange(SUBSAMPLES) + 0.5) * (RESOLUTION_DEG / SUBSAMPLES)


def build_mask() -> np.ndarray:
    """Return the (ROWS, COLS) boolean land mask, north row first, west column first."""
    offsets = subsample_offsets()
    # Fine-grid coordinates: every sub-sample of every cell, in row/column order.
    lats = (90.0 - (np.arange(ROWS)[:, None] * RESOLUTION_DEG + offsets[None, :])).ravel()
    lons = (-180.0 + (np.arange(COLS)[:, None] * RESOLUTION_DEG + offsets[None, :])).ravel()

    votes = np.zeros((ROWS, COLS), dtype=np.int32)
    # One band of cell rows at a time keeps peak memory at a few hundred MB, not several GB.
    band = 60
    for start in range(0, ROWS, band):
        band_lats = lats[start * SUBSAMPLES : (start + band) * SUBSAMPLES]
        lat_grid, lon_grid = np.meshgrid(band_lats, lons, indexing="ij")
        fine = np.asarray(globe.is_land(lat_grid, lon_grid), dtype=bool)
        n_rows = fine.shape[0] // SUBSAMPLES
        blocks = fine.reshape(n_rows, SUBSAMPLES, COLS, SUBSAMPLES)
        votes[start : start + n_rows] = blocks.sum(axis=(1, 3))
    return votes * 2 > SUBSAMPLES * SUBSAMPLES


def main() -> None:
    """Build the mask, write it compressed and print a short summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()

    mask = build_mask()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.output,
        bits=np.packbits(mask, axis=1),
        shape=np.array(mask.shape),
        resolution_deg=np.array(RESOLUTION_DEG),
    )

    row_lats = 90.0 - (np.arange(ROWS) + 0.5) * RESOLUTION_DEG
    weights = np.cos(np.radians(row_lats))
    land_fraction = float((mask.mean(axis=1) * weights).sum() / weights.sum())
    print(
        f"wrote {args.output} ({args.output.stat().st_size} bytes), "
        f"shape {mask.shape}, land fraction by area {land_fraction:.4f}"
    )


if __name__ == "__main__":
    main()
