"""`make bench`: timings that carry a budget, printed as a table and written to JSON.

Measured now: a full redraw of the ground-track panel at 160x45 cells, in-process. A redraw is
everything that happens when the station moves: composing the cells from a new scene (land from
the per-size cache, night, tracks, footprint, markers) and building every row's strip. Scene
building (propagation) is timed separately, since it is not part of the panel's drawing.
"""

from __future__ import annotations

import asyncio
import json
import platform
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from textual.app import App, ComposeResult  # noqa: E402

from app.map_scene import MapToggles, build_scene  # noqa: E402
from app.runtime import Runtime, bundled_elements_response, load_demo_recording  # noqa: E402
from app.settings import load_settings  # noqa: E402
from feeds.clock import FrozenClock  # noqa: E402
from feeds.orbit import OrbitEngine  # noqa: E402
from feeds.tle import parse_elements  # noqa: E402
from widgets.ground_track import GroundTrackMap  # noqa: E402
from widgets.map_raster import MapScene  # noqa: E402

RUNS = 300
DEMO_START = datetime(2025, 4, 8, 5, 44, tzinfo=UTC)
BUDGET_MS = 5.0


class MapOnly(App[None]):
    CSS = "GroundTrackMap { width: 160; height: 45; }"

    def compose(self) -> ComposeResult:
        yield GroundTrackMap()


def scenes(count: int) -> list[MapScene]:
    settings = load_settings(observer="51.5074,-0.1278")
    runtime = Runtime.for_demo(settings, load_demo_recording(), FrozenClock(DEMO_START))
    runtime.load_fallbacks()
    state = runtime.store.state
    engine = OrbitEngine(parse_elements(bundled_elements_response(), DEMO_START))
    out = []
    for i in range(count):
        now = DEMO_START + timedelta(seconds=20 * i)  # the station moves about a cell each step
        station = engine.state_at(now)
        out.append(build_scene(engine, state, station, now, settings.map, MapToggles(grid=True)))
    return out


def time_scene_building(count: int) -> list[float]:
    settings = load_settings(observer="51.5074,-0.1278")
    runtime = Runtime.for_demo(settings, load_demo_recording(), FrozenClock(DEMO_START))
    runtime.load_fallbacks()
    engine = OrbitEngine(parse_elements(bundled_elements_response(), DEMO_START))
    times = []
    for i in range(count):
        now = DEMO_START + timedelta(seconds=i)
        t0 = time.perf_counter()
        station = engine.state_at(now)
        build_scene(engine, runtime.store.state, station, now, settings.map, MapToggles())
        times.append((time.perf_counter() - t0) * 1000)
    return times


async def time_map_redraw() -> list[float]:
    app = MapOnly()
    all_scenes = scenes(RUNS + 1)
    times: list[float] = []
    async with app.run_test(size=(170, 50)) as pilot:
        widget = app.query_one(GroundTrackMap)
        assert widget.size.width == 160 and widget.size.height == 45, widget.size
        widget.scene = all_scenes[0]
        widget.build_strips()  # first frame: fills the per-size land cache
        await pilot.pause()
        for scene in all_scenes[1:]:
            t0 = time.perf_counter()
            widget.scene = scene  # composes the frame
            strips = widget.build_strips()  # and every row of the panel
            times.append((time.perf_counter() - t0) * 1000)
            assert len(strips) == 45
    return times


def summary(name: str, values: list[float], budget: float | None) -> dict[str, Any]:
    q = statistics.quantiles(values, n=20)
    return {
        "figure": name,
        "median_ms": round(statistics.median(values), 3),
        "p5_ms": round(q[0], 3),
        "p95_ms": round(q[-1], 3),
        "runs": len(values),
        "budget_ms": budget,
        "pass": None if budget is None else statistics.median(values) <= budget,
    }


def main() -> int:
    rows = [
        summary(
            "ground-track panel full redraw, 160x45", asyncio.run(time_map_redraw()), BUDGET_MS
        ),
        summary("scene build (propagate + tracks), per tick", time_scene_building(RUNS), None),
    ]
    machine = (
        f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}"
    )
    print(f"issdash bench on {machine}")
    print(f"{'figure':<46} {'median':>9} {'p5':>8} {'p95':>8} {'budget':>8}  result")
    for r in rows:
        budget = f"{r['budget_ms']:.1f}" if r["budget_ms"] is not None else "-"
        result = "-" if r["pass"] is None else ("PASS" if r["pass"] else "FAIL")
        spread = f"{r['median_ms']:>7.2f}ms {r['p5_ms']:>6.2f}ms {r['p95_ms']:>6.2f}ms"
        print(f"{r['figure']:<46} {spread} {budget:>8}  {result}")
    out = ROOT / "bench-results.json"
    out.write_text(json.dumps({"machine": machine, "results": rows}, indent=2))
    print(f"wrote {out.name}")
    return 0 if all(r["pass"] in (None, True) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
