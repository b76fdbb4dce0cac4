"""The shipped land mask: its format, that it puts land and sea where they are, and lookups."""

from __future__ import annotations

import numpy as np
import pytest

from issdash.model.map.land_mask import MASK_SHAPE, RESOLUTION_DEG, load_land_mask, sample_land

LAND_POINTS = {
    "Sahara": (23.0, 10.0),
    "central Australia": (-25.0, 133.0),
    "Siberia": (62.0, 100.0),
    "Antarctica": (-80.0, 0.0),
    "Baikonur": (45.9, 63.3),
    "Amazon basin": (-5.0, -60.0),
    "Canadian Shield": (55.0, -100.0),
    "Greenland ice sheet": (72.0, -40.0),
}

OCEAN_POINTS = {
    "mid Pacific": (0.0, -150.0),
    "mid Atlantic": (30.0, -40.0),
    "Southern Ocean": (-60.0, 90.0),
    "Indian Ocean": (-20.0, 80.0),
    "Gulf of Guinea at 0,0": (0.0, 0.0),
    "Arctic Ocean near the pole": (88.0, 0.0),
}


def _sample_one(lat: float, lon: float) -> bool:
    return bool(sample_land(np.array([lat]), np.array([lon]))[0])


def test_shape_and_dtype() -> None:
    mask = load_land_mask()
    assert mask.shape == MASK_SHAPE == (720, 1440)
    assert mask.dtype == np.bool_


def test_mask_is_cached_and_read_only() -> None:
    mask = load_land_mask()
    assert load_land_mask() is mask
    with pytest.raises(ValueError):
        mask[0, 0] = not mask[0, 0]


@pytest.mark.parametrize(("lat", "lon"), LAND_POINTS.values(), ids=LAND_POINTS.keys())
def test_known_land_is_land(lat: float, lon: float) -> None:
    assert _sample_one(lat, lon)


@pytest.mark.parametrize(("lat", "lon"), OCEAN_POINTS.values(), ids=OCEAN_POINTS.keys())
def test_known_ocean_is_ocean(lat: float, lon: float) -> None:
    assert not _sample_one(lat, lon)


def test_land_fraction_by_area_is_earthlike() -> None:
    mask = load_land_mask()
    row_lats = 90.0 - (np.arange(mask.shape[0]) + 0.5) * RESOLUTION_DEG
    weights = np.cos(np.radians(row_lats))
    fraction = float((mask.mean(axis=1) * weights).sum() / weights.sum())
    assert 0.27 < fraction < 0.31


def test_north_is_up_and_west_is_left() -> None:
    # A flipped or mirrored grid still has an Earth-like land fraction; this catches it.
    mask = load_land_mask()
    assert mask[-1].all(), "southernmost row should be all Antarctica"
    assert not mask[0].any(), "northernmost row should be all Arctic Ocean"
    # Column 0 is just east of the antimeridian: open Pacific at the equator.
    assert not mask[360, 0]


def test_longitude_wraps() -> None:
    lats = np.linspace(-89.0, 89.0, 357)
    east = sample_land(lats, np.full_like(lats, 180.1))
    west = sample_land(lats, np.full_like(lats, -179.9))
    np.testing.assert_array_equal(east, west)
    # The wrap must be compared over land too, or two all-ocean columns would pass trivially.
    assert east.any() and not east.all()
    # And a whole turn is the same place, either way round.
    for lat, lon in LAND_POINTS.values():
        assert _sample_one(lat, lon + 360.0) == _sample_one(lat, lon - 360.0) is True


def test_latitude_clamps() -> None:
    assert _sample_one(-95.0, 0.0) == _sample_one(-90.0, 0.0) is True
    assert _sample_one(95.0, 0.0) == _sample_one(90.0, 0.0) is False


def test_lookup_is_vectorised_and_matches_cells() -> None:
    mask = load_land_mask()
    rng = np.random.default_rng(1234)
    rows = rng.integers(0, MASK_SHAPE[0], size=(50, 40))
    cols = rng.integers(0, MASK_SHAPE[1], size=(50, 40))
    # Cell centres, nudged within the cell so the lookup cannot rely on landing exactly there.
    lats = 90.0 - (rows + 0.5) * RESOLUTION_DEG + rng.uniform(-0.1, 0.1, rows.shape)
    lons = -180.0 + (cols + 0.5) * RESOLUTION_DEG + rng.uniform(-0.1, 0.1, cols.shape)
    result = sample_land(lats, lons)
    assert result.shape == (50, 40)
    assert result.dtype == np.bool_
    np.testing.assert_array_equal(result, mask[rows, cols])


@pytest.mark.parametrize("size", [(16, 4), (41, 10), (76, 19), (200, 50)])
def test_map_land_dots_are_the_majority_of_their_mask_box(size: tuple[int, int]) -> None:
    # The map's land layer, checked dot by dot against a plain loop over the mask: a dot is
    # land when more than half of the 0.25-degree cells in its box are land.
    from issdash.model.map.raster import _BRAILLE_ORDER, land_bits

    width, height = size
    mask = load_land_mask()
    rows, cols = MASK_SHAPE
    ys = np.linspace(0, rows, height * 4 + 1).round().astype(int)
    xs = np.linspace(0, cols, width * 2 + 1).round().astype(int)
    expected = np.zeros((height * 4, width * 2), dtype=bool)
    for j in range(height * 4):
        for i in range(width * 2):
            box = mask[ys[j] : max(ys[j + 1], ys[j] + 1), xs[i] : max(xs[i + 1], xs[i] + 1)]
            expected[j, i] = box.sum() * 2 > box.size
    bits = land_bits(width, height)
    # Unfold the braille bytes back into dots (bit k of a cell is dot _BRAILLE_ORDER[k]).
    unpacked = np.unpackbits(bits[:, :, None], axis=-1, bitorder="little")
    cells = np.zeros((height, width, 8), dtype=bool)
    cells[:, :, _BRAILLE_ORDER] = unpacked.astype(bool)
    dots = cells.reshape(height, width, 2, 4).transpose(0, 3, 1, 2).reshape(height * 4, width * 2)
    assert np.array_equal(dots, expected)
    assert 0.15 < dots.mean() < 0.45  # land, not all ocean or all land


def test_line_dots_land_in_the_right_braille_bit() -> None:
    # Tracks are set dot by dot straight into the cells; every dot must light the same bit
    # that packing a full dot grid gives (the land and grid layers are packed that way).
    from issdash.model.map.raster import dots_to_bits, line_bits

    width, height = 16, 4
    rng = np.random.default_rng(7)
    xs = rng.integers(0, width * 2, 60)
    ys = rng.integers(0, height * 4, 60)
    runs = tuple(
        (
            np.array([90.0 - (y + 0.5) / (height * 4) * 180.0]),
            np.array([(x + 0.5) / (width * 2) * 360.0 - 180.0]),
        )
        for x, y in zip(xs, ys, strict=True)
    )
    grid = np.zeros((height * 4, width * 2), dtype=bool)
    grid[ys, xs] = True
    assert np.array_equal(line_bits(runs, width, height), dots_to_bits(grid, width, height))
