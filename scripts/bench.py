"""`make bench`: the performance budgets, measured, printed as a table and written to JSON.

Whole-process figures run the real program in a pseudo-terminal, side by side with a floor (a
Textual app with one static line), several times (median and min-max). In-process figures time
the ground-track panel's redraw. The 24 h RSS growth comes from `make soak`'s results.

Measured now: a full redraw of the ground-track panel at 160x45 cells, in-process. A redraw is
everything that happens when the station moves: composing the cells from a new scene (land from
the per-size cache, night, tracks, footprint, markers) and building every row's strip. Scene
building (propagation) is timed separately, since it is not part of the panel's drawing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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

from issdash.config.settings import load_settings  # noqa: E402
from issdash.core.runtime import Runtime, bundled_elements_response, load_demo_recording  # noqa: E402
from issdash.feeds.adapters.tle import parse_elements  # noqa: E402
from issdash.feeds.clock import FrozenClock  # noqa: E402
from issdash.model.map.raster import MapScene  # noqa: E402
from issdash.model.map.scene import MapToggles, build_scene  # noqa: E402
from issdash.model.orbit import OrbitEngine  # noqa: E402
from issdash.widgets.ground_track import GroundTrackMap  # noqa: E402

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
        await pilot.pause()  # first frame: fills the per-size land cache
        for scene in all_scenes[1:]:
            t0 = time.perf_counter()
            widget.scene = scene  # composes the frame
            # A full redraw: every row's strip is rebuilt (normally only changed rows are).
            widget.redraw_all_rows()
            strips = [widget.render_line(y) for y in range(widget.size.height)]
            times.append((time.perf_counter() - t0) * 1000)
            assert len(strips) == 45 and all(s.cell_length == 160 for s in strips)
    return times


def row(
    figure: str,
    unit: str,
    values: list[float],
    budget: str,
    ok: bool | None,
    floor: float | None = None,
) -> dict[str, Any]:
    """One line of the table: median and spread (min-max) of several runs."""
    return {
        "figure": figure,
        "unit": unit,
        "median": round(statistics.median(values), 3) if values else None,
        "min": round(min(values), 3) if values else None,
        "max": round(max(values), 3) if values else None,
        "runs": len(values),
        "floor": round(floor, 3) if floor is not None else None,
        "budget": budget,
        "pass": ok,
    }


def whole_process(runs: int, window_s: float, settle_s: float) -> list[dict[str, Any]]:
    """The figures measured on the real program in a real pseudo-terminal, side by side with
    the floor (a Textual app showing one static line) in the same run."""
    from scripts.process_bench import (
        DASHBOARD_MARKERS,
        FLOOR_MARKERS,
        dashboard_argv,
        floor_argv,
        measure,
        offline_status_seconds,
        status_seconds,
    )

    floor_start, start, cpu1, cpu60, rss = [], [], [], [], []
    for i in range(runs):
        print(
            f"  run {i + 1}/{runs}: floor, --demo, --demo --speed 60 ({window_s:g} s windows)",
            flush=True,
        )
        f = measure(floor_argv(), FLOOR_MARKERS, 0, 0)
        d1 = measure(dashboard_argv(), DASHBOARD_MARKERS, settle_s, window_s)
        d60 = measure(dashboard_argv("--speed", "60"), DASHBOARD_MARKERS, settle_s, window_s)
        floor_start.append(f.first_frame_s or float("nan"))
        start.append(d1.first_frame_s or float("nan"))
        cpu1.append(d1.cpu_pct or 0.0)
        cpu60.append(d60.cpu_pct or 0.0)
        rss.append(max(d1.peak_rss_mb, d60.peak_rss_mb))
    status = [status_seconds() for _ in range(max(3, runs))]
    offline = [offline_status_seconds() for _ in range(max(5, runs))]
    floor_median = statistics.median(floor_start)
    start_median = statistics.median(start)
    return [
        row(
            "start to first complete frame, --demo, 120x40",
            "s",
            start,
            "<= 1.0 s and <= 2x floor",
            start_median <= 1.0 and start_median <= 2 * floor_median,
            floor_median,
        ),
        row(
            "CPU over the window, --demo --speed 1",
            "% core",
            cpu1,
            "<= 2 %",
            statistics.median(cpu1) <= 2.0,
        ),
        row(
            "CPU over the window, --demo --speed 60",
            "% core",
            cpu60,
            "<= 10 %",
            statistics.median(cpu60) <= 10.0,
        ),
        row("peak RSS during the above", "MB", rss, "<= 100 MB", max(rss) <= 100.0),
        row(
            "status --json --demo --at ..., whole process",
            "s",
            status,
            "<= 1.0 s",
            statistics.median(status) <= 1.0,
        ),
        row(
            "status --json offline (every feed refused), whole process",
            "s",
            offline,
            "<= 1.0 s",
            statistics.median(offline) <= 1.0,
        ),
    ]


def recovery_row(outage_s: float) -> dict[str, Any]:
    """Seconds from the upstream's return to every feed ok (scripts/recovery_probe.py)."""
    from scripts.recovery_probe import BUDGET_S, measure

    result = asyncio.run(measure(outage_s))
    seconds = result.all_ok_after_s
    return row(
        f"upstream back after {outage_s:g} s down: every feed ok after",
        "s",
        [seconds if seconds is not None else float("inf")],
        f"<= {BUDGET_S:g} s",
        seconds is not None and seconds <= BUDGET_S,
    )


def soak_growth() -> dict[str, Any]:
    path = ROOT / "soak-results.json"
    if not path.exists():
        return {
            "figure": "24 h simulated replay: RSS growth after warm-up",
            "unit": "MB",
            "median": None,
            "budget": "<= 5 MB",
            "pass": None,
            "note": "run `make soak` first",
        }
    growth = json.loads(path.read_text())["rss_mb"]["growth_after_warm_up"]
    return row(
        "24 h simulated replay: RSS growth after warm-up", "MB", [growth], "<= 5 MB", growth <= 5.0
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="runs of each whole-process figure")
    parser.add_argument("--window", type=float, default=60.0, help="CPU window, seconds")
    parser.add_argument("--quick", action="store_true", help="1 run, 15 s windows")
    parser.add_argument(
        "--suite-only",
        action="store_true",
        help="only the budgets moved out of the test suite (scripts/suite_budgets.py)",
    )
    args = parser.parse_args()
    runs, window = (1, 15.0) if args.quick else (args.runs, args.window)
    python = f"{platform.python_implementation()} {platform.python_version()}"
    machine = f"{platform.machine()}, {os.cpu_count()} cores, {python}"
    print(f"issdash bench on {machine}")
    from scripts.suite_budgets import measure_all

    # Budgets the test suite used to assert (it checks the behaviour only, see that module).
    suite = [row(b.figure, b.unit, b.values, b.budget, b.ok) for b in measure_all()]
    if args.suite_only:
        return report(machine, suite)
    redraw = asyncio.run(time_map_redraw())
    rows = [
        *whole_process(runs, window, settle_s=10.0),
        row(
            "ground-track panel full redraw, 160x45, in-process",
            "ms",
            redraw,
            "<= 5 ms median",
            statistics.median(redraw) <= BUDGET_MS,
        ),
        row(
            "scene build per tick (propagate, slide track), in-process",
            "ms",
            time_scene_building(RUNS),
            "-",
            None,
        ),
        soak_growth(),
        recovery_row(30.0 if args.quick else 60.0),
        *suite,
    ]
    return report(machine, rows)


def report(machine: str, rows: list[dict[str, Any]]) -> int:
    """Print the table, write bench-results.json; 1 when any budget was missed."""
    print(f"\n{'figure':<58} {'median':>9} {'min-max':>17} {'floor':>7}  {'budget':<26} result")
    for r in rows:
        median = "-" if r["median"] is None else f"{r['median']:.2f} {r['unit']}"
        spread = "" if r.get("min") is None else f"{r['min']:.2f}-{r['max']:.2f}"
        floor = "" if r.get("floor") is None else f"{r['floor']:.2f}"
        result = "-" if r["pass"] is None else ("PASS" if r["pass"] else "FAIL")
        print(f"{r['figure']:<58} {median:>9} {spread:>17} {floor:>7}  {r['budget']:<26} {result}")
    out = ROOT / "bench-results.json"
    out.write_text(json.dumps({"machine": machine, "results": rows}, indent=2))
    print(f"wrote {out.name}")
    return 0 if all(r["pass"] in (None, True) for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
