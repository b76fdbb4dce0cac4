"""What the best-source orbit (issue 25) costs a 1 Hz dashboard: `orbit_at` every second with a
15-day NASA trajectory (4-min steps, a reboost, the one before it kept) and CelesTrak segments,
against the same ticks on elements alone; and the vectorised calls the map and the planner make.

    .venv/bin/python scripts/orbit_source_tick.py

Figures, not a test: wall-clock budgets never go in the suite.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from issdash.feeds.adapters.oem import parse_oem  # noqa: E402
from issdash.feeds.adapters.supgp import SupGp, SupGpSegment  # noqa: E402
from issdash.feeds.adapters.tle import parse_elements  # noqa: E402
from issdash.feeds.elements import ElementsInfo  # noqa: E402
from issdash.feeds.poller import FeedUpdate  # noqa: E402
from issdash.feeds.sources import RawResponse  # noqa: E402
from issdash.feeds.values import Observer  # noqa: E402
from issdash.model.passes.finder import find_passes  # noqa: E402
from issdash.model.state import MissionState  # noqa: E402
from issdash.model.telemetry import EngineCache, orbit_at  # noqa: E402
from scripts.fixtures.elements import tle_text  # noqa: E402
from scripts.fixtures.oem import START, build_trajectory, write_kvn  # noqa: E402

TICKS = 120


def _elements(epoch: datetime) -> ElementsInfo:
    raw = RawResponse("x", 200, "text/plain", tle_text(epoch=epoch), epoch)
    return ElementsInfo(parse_elements(raw, epoch), "feed", epoch)


def _ms(action: Callable[[], object], repeat: int = 1) -> float:
    began = time.perf_counter()
    for _ in range(repeat):
        action()
    return (time.perf_counter() - began) * 1000 / repeat


def main() -> int:
    truth = build_trajectory(hours=15 * 24)
    bodies = [write_kvn(truth, created=START - timedelta(hours=h)) for h in (30, 6)]
    oems = [
        parse_oem(RawResponse("file:///oem", 200, "text/plain", b, START), None) for b in bodies
    ]
    elements = _elements(START - timedelta(hours=10))
    segments = tuple(
        SupGpSegment(_elements(truth.epochs[-1] + timedelta(hours=6 * i)).elements, 0.3)
        for i in range(4)
    )
    plain = MissionState().with_elements(elements)
    full = plain
    for oem in oems:
        full = full.apply(FeedUpdate("oem", oem, START))
    full = full.apply(FeedUpdate("supgp", SupGp(segments), START))
    now = START + timedelta(days=2, hours=3)
    kept = full.previous_oem is not None
    print(f"trajectory: {len(oems[-1].states)} states, previous kept: {kept}")
    for name, state in (("elements alone", plain), ("OEM + previous + SupGP", full)):
        engines = EngineCache()
        build_ms = _ms(lambda: orbit_at(engines, state, now))  # noqa: B023
        ticks = [
            _ms(lambda k=k: orbit_at(engines, state, now + timedelta(seconds=k)))  # noqa: B023
            for k in range(1, TICKS + 1)
        ]
        orbit = orbit_at(engines, state, now)
        assert orbit is not None and orbit.telemetry is not None
        source = orbit.telemetry.source
        engine = orbit.engine
        track_ms = _ms(lambda: engine.ground_track(now, now + timedelta(hours=3)))  # noqa: B023
        observer = Observer(latitude_deg=51.5, longitude_deg=-0.13)
        passes_ms = _ms(
            lambda: find_passes(engine, observer, now, now + timedelta(days=10))  # noqa: B023
        )
        print(
            f"{name:24s} source {source.kind if source else None:16s} first tick {build_ms:7.1f} ms"
            f"  tick median {statistics.median(ticks):6.2f} ms (max {max(ticks):6.2f})"
            f"  3 h track {track_ms:6.1f} ms  10-day passes {passes_ms:7.1f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
