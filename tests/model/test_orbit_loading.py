"""The orbit engine loads its timescale and ephemeris from skyfield's submodules (not
`skyfield.api`, which brings skyfield's download stack): what it loads must be exactly what
skyfield's own `Loader` gives, to the last bit."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from issdash.feeds.adapters.tle import parse_elements
from issdash.feeds.sources import RawResponse
from issdash.model.orbit import OrbitEngine
from scripts.fixtures.ms27_payloads import TLE_TEXT

LAUNCH = datetime(2025, 4, 8, 5, 47, 15, tzinfo=UTC)


def test_times_are_skyfields_builtin_timescale_bit_for_bit() -> None:
    from skyfield.api import load

    engine = OrbitEngine(parse_elements(RawResponse("x", 200, "", TLE_TEXT, LAUNCH), LAUNCH))
    reference = load.timescale(builtin=True)
    # Across the table's span and past its end (the prediction), through leap seconds
    # (2016-12-31) and before the first one (1970).
    unix_s = np.linspace(-1.0e9, 3.0e9, 4000)
    for chunk in np.split(unix_s, 8):
        ours = engine.times(chunk)
        base = datetime.fromtimestamp(np.floor(chunk.min()), tz=UTC)
        theirs = reference.utc(
            base.year,
            base.month,
            base.day,
            base.hour,
            base.minute,
            base.second + chunk - np.floor(chunk.min()),
        )
        for attribute in ("whole", "tt_fraction", "ut1_fraction", "delta_t", "dut1"):
            assert np.array_equal(getattr(ours, attribute), getattr(theirs, attribute)), attribute


def test_ephemeris_is_skyfield_datas_de421() -> None:
    from skyfield.api import Loader
    from skyfield_data import get_skyfield_data_path

    engine = OrbitEngine(parse_elements(RawResponse("x", 200, "", TLE_TEXT, LAUNCH), LAUNCH))
    reference = Loader(get_skyfield_data_path(), expire=False, verbose=False)("de421.bsp")
    t = engine.times(LAUNCH.timestamp())
    ours = engine.ephemeris["sun"].at(t).position.km
    theirs = reference["sun"].at(t).position.km
    assert np.array_equal(ours, theirs)
    assert engine.ephemeris.names() == reference.names()
