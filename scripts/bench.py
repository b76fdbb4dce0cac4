"""`make bench`: every budget of issue 26 and the earlier ones, measured, printed as a table
and written to bench-results.json; exit status 1 when a budget is missed.

    make bench                    # 5 runs of each, 60 s idle windows (about 15 minutes)
    make bench ARGS=--quick       # 1 run of each, 15 s windows (3-4 minutes)
    make bench ARGS="--only frames,status"

Whole processes (scripts/process_bench.py), each figure against its floor measured in the
same run, runs interleaved with the floor so that a machine slowing down hits both:

- frames: time to the first full frame in a 120x40 pseudo-terminal (the markers in
  process_bench.py) of `--demo`, `--demo` with ISSDASH_OBSERVER, `--demo` with
  ISSDASH_PLACE=Boston, and live with every feed refused and a fresh feed cache, against
  `scripts/floor_app.py` (a Textual app with one static line); rounds of floor, demo,
  observer, place, live (in turn first), floor, ...: each case's ratio is to the mean of the
  floors before and after its round. A first untimed round warms the disk cache and builds
  the gazetteer index and the zones in the bench's cache dir, as any start after a machine's
  first finds.
- idle: demo, live, place and the floor at 1x, and the demo at 60x, side by side (each idles
  at about 1 % of a core; CPU time is the OS's ticks of each process, which other processes
  do not inflate): CPU over the window after a 10 s settle, RSS at the window's end. The
  recovery probe (upstream back after 60 s down) runs alongside (it waits on timers).
- status: `python -c 'import numpy'`, `status --json --demo --at T` and `status --json`
  offline, interleaved.
- passes: `passes --place Boston --days 10 --demo` warm (the index and zone cached) and cold
  (a fresh cache dir), with `--observer` for comparison (scripts/place_bench.py).
- serve: `issdash serve` with 10 sessions opened at once, then 1, interleaved: all drawn,
  CPU and PSS of the server and every process under it; per extra session = (10 - 1) / 9.

In-process: the ground-track panel's full redraw at 160x45 and the scene build per tick. From
`make soak`'s results: the 24 h RSS growth. scripts/suite_budgets.py: the budgets the test
suite used to assert.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts.bench_table import (  # noqa: E402
    Row,
    exit_code,
    floors_between,
    load_text,
    missed,
    render_markdown,
    render_table,
    results_json,
)

if TYPE_CHECKING:
    from issdash.model.map.raster import MapScene

GROUPS = ("frames", "idle", "status", "passes", "serve", "inproc", "soak", "suite")
INF = float("inf")
REDRAWS = 300
DEMO_START = datetime(2025, 4, 8, 5, 44, tzinfo=UTC)
FIRST_FRAME_TIMEOUT_S = 30.0


def say(text: str) -> None:
    print(text, flush=True)


# -- first frames --------------------------------------------------------------------------


def first_frame(
    argv: list[str], env: dict[str, str], markers: list[bytes], then: list[bytes] | None = None
) -> tuple[float, float]:
    """Seconds to the first frame with every marker, and (with `then`) to a later one with
    those too; infinite when not within the time-out."""
    from scripts.process_bench import PtyProcess

    proc = PtyProcess(argv, env=env, inherit_env=False)
    try:
        first = proc.wait_for(markers, FIRST_FRAME_TIMEOUT_S)
        later = proc.wait_for(then, FIRST_FRAME_TIMEOUT_S) if then and first else first
        return (INF if first is None else first), (INF if later is None else later)
    finally:
        proc.stop()


def frames(runs: int, cache_home: Path) -> list[Row]:
    from scripts import process_bench as pb

    def case(name: str) -> tuple[float, float]:
        with pb.fresh_dir() as tmp:
            env = pb.dashboard_env(cache_home, tmp)
            if name == "floor":
                return first_frame(pb.floor_argv(), env, pb.FLOOR_MARKERS)
            if name == "libraries":
                return first_frame(pb.floor_argv("--libraries"), env, pb.FLOOR_MARKERS)
            if name == "demo":
                return first_frame(pb.dashboard_argv(), env, pb.DASHBOARD_MARKERS)
            if name in ("observer", "place"):
                env.update(
                    {"ISSDASH_OBSERVER": pb.OBSERVER}
                    if name == "observer"
                    else {"ISSDASH_PLACE": pb.PLACE}
                )
                argv = pb.dashboard_argv()
                return first_frame(argv, env, pb.OBSERVER_MARKERS, pb.PASS_SHOWN_MARKERS)
            env = pb.offline_env(cache_home, tmp)  # a fresh feed cache every run
            return first_frame(pb.live_argv(), env, pb.LIVE_MARKERS)

    cases = ("demo", "observer", "place", "live", "libraries")
    say("first frames: a warm-up round (builds the gazetteer index and zones), then timed")
    for name in ("floor", *cases):
        case(name)
    floors = [case("floor")[0]]
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for i in range(runs):
        # Each round in another order: no case is always the one right after the floor.
        for name in cases[i % len(cases) :] + cases[: i % len(cases)]:
            times[name].append(case(name))
        floors.append(case("floor")[0])
        shown = ", ".join(f"{n} {times[n][-1][0]:.2f}" for n in cases)
        say(f"  round {i + 1}/{runs}: floor {floors[-2]:.2f}/{floors[-1]:.2f}, {shown} s")
    # Each round against the mean of the floors measured just before and just after it.
    per_round = floors_between(floors)
    labels = {
        "demo": "first full frame, --demo",
        "observer": "first full frame, --demo, ISSDASH_OBSERVER set",
        "place": "first full frame, --demo, ISSDASH_PLACE=Boston",
        "live": "first full frame, live (feeds refused, fresh cache)",
    }
    rows = []
    for name in cases:
        first = [t[0] for t in times[name]]
        if name == "libraries":
            # Context, not a budget: the bare app after importing only the libraries the
            # dashboard's first frame cannot do without (scripts/floor_app.py --libraries).
            rows.append(
                Row(
                    "  bare app importing numpy, pydantic(-settings), skyfield first",
                    "s",
                    first,
                    floors=per_round,
                    floor_name="bare app",
                )
            )
            continue
        rows.append(
            Row(labels[name], "s", first, "<= 2.0x floor", 2.0, "ratio", per_round, "bare app")
        )
        if name in ("observer", "place"):
            shown = [t[1] for t in times[name]]
            rows.append(
                Row(
                    f"  ... next pass shown (EDT), {name}",
                    "s",
                    shown,
                    floors=per_round,
                    floor_name="bare app",
                )
            )
    return rows


# -- idle CPU and memory -----------------------------------------------------------------------


def idle(runs: int, window_s: float, settle_s: float, cache_home: Path) -> list[Row]:
    from scripts import process_bench as pb

    names = ("floor", "demo", "live", "place", "demo 60x")
    cpu: dict[str, list[float]] = {n: [] for n in names}
    rss: dict[str, list[float]] = {n: [] for n in names}
    peak: dict[str, list[float]] = {n: [] for n in names}
    # The recovery probe waits on timers; it runs alongside the windows and uses none of
    # the measured processes' CPU time.
    recovery_s = 60.0 if window_s >= 60 else 30.0
    probe = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "scripts" / "recovery_probe.py"),
            "--json",
            "--outage-s",
            f"{recovery_s:g}",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    for i in range(runs):
        say(
            f"  idle run {i + 1}/{runs}: {', '.join(names)} side by side, "
            f"{settle_s:g} s settle, {window_s:g} s window"
        )
        with pb.fresh_dir() as tmp:
            env = pb.dashboard_env(cache_home, tmp)
            starts: dict[str, tuple[list[str], dict[str, str], list[bytes]]] = {
                "floor": (pb.floor_argv(), env, pb.FLOOR_MARKERS),
                "demo": (pb.dashboard_argv(), env, pb.DASHBOARD_MARKERS),
                "live": (pb.live_argv(), pb.offline_env(cache_home, tmp), pb.LIVE_MARKERS),
                "place": (
                    pb.dashboard_argv(),
                    {**env, "ISSDASH_PLACE": pb.PLACE},
                    pb.OBSERVER_MARKERS,
                ),
                "demo 60x": (pb.dashboard_argv("--speed", "60"), env, pb.DASHBOARD_MARKERS),
            }
            started = {
                n: pb.PtyProcess(a, env=e, inherit_env=False) for n, (a, e, _) in starts.items()
            }
            procs = dict(started)
            try:
                # One that never draws (or exits) fails its rows; the others are measured.
                drawn = {n: p.wait_for(starts[n][2], 60) is not None for n, p in procs.items()}
                procs = {n: p for n, p in procs.items() if drawn[n]}
                for n in names:
                    if not drawn[n]:
                        say(f"  {n} drew no first frame within 60 s")
                        for figures in (cpu, rss, peak):
                            figures[n].append(INF)
                time.sleep(settle_s)
                t0, c0 = time.monotonic(), {n: p.cpu_ticks() for n, p in procs.items()}
                time.sleep(window_s)
                t1, c1 = time.monotonic(), {n: p.cpu_ticks() for n, p in procs.items()}
                for n, p in procs.items():
                    cpu[n].append(100.0 * (c1[n] - c0[n]) / pb.CLK_TCK / (t1 - t0))
                    rss[n].append(p.rss_mb())
                    peak[n].append(p.peak_rss_mb())
            finally:
                for p in started.values():
                    p.stop()
    after = settle_s + window_s
    rows = [
        Row(
            "idle CPU at 1x, demo",
            "% core",
            cpu["demo"],
            "<= 1.0 %",
            1.0,
            floors=cpu["floor"],
            floor_name="bare app",
        ),
        Row(
            "idle CPU at 1x, live (feeds refused)",
            "% core",
            cpu["live"],
            "<= 1.0 %",
            1.0,
            floors=cpu["floor"],
            floor_name="bare app",
        ),
        Row("idle CPU at 1x, place set", "% core", cpu["place"]),
        Row("CPU at 60x, demo", "% core", cpu["demo 60x"], "<= 10 %", 10.0),
    ]
    for n, label in (("demo", "demo"), ("live", "live"), ("place", "place set")):
        rows.append(
            Row(
                f"RSS after {after:g} s, {label}",
                "MB",
                rss[n],
                "<= 100 MB",
                100.0,
                floors=rss["floor"],
                floor_name="bare app",
                note=f"peak {statistics.median(peak[n]):.1f} MB",
            )
        )
    out, _ = probe.communicate(timeout=900)
    try:
        seconds = json.loads(out)["all_ok_after_s"]
    except (ValueError, KeyError):
        seconds = None
    rows.append(
        Row(
            f"upstream back after {recovery_s:g} s down: every feed ok after",
            "s",
            [INF if seconds is None else float(seconds)],
            "<= 60 s",
            60.0,
        )
    )
    return rows


# -- commands ----------------------------------------------------------------------------------


def status(runs: int, cache_home: Path) -> list[Row]:
    from scripts import process_bench as pb

    pb.numpy_seconds(), pb.status_seconds(cache_home), pb.offline_status_seconds(cache_home)
    numpy, demo, offline = [], [], []
    for i in range(runs):
        numpy.append(pb.numpy_seconds())
        demo.append(pb.status_seconds(cache_home))
        offline.append(pb.offline_status_seconds(cache_home))
        say(
            f"  status round {i + 1}/{runs}: numpy {numpy[-1]:.2f}, --demo {demo[-1]:.2f}, "
            f"offline {offline[-1]:.2f} s"
        )
    return [
        Row(
            "status --json --demo --at T",
            "s",
            demo,
            "<= 3x import numpy",
            3.0,
            "ratio",
            numpy,
            "import numpy",
        ),
        Row("status --json offline (every feed refused)", "s", offline, "<= 1.0 s", 1.0),
    ]


def passes(runs: int) -> list[Row]:
    from scripts.place_bench import CASES, run_once
    from scripts.process_bench import fresh_dir

    warm: list[tuple[float, float]] = []
    observer: list[tuple[float, float]] = []
    cold: list[tuple[float, float]] = []
    with fresh_dir() as tmp:
        run_once(CASES["place"], tmp / "warm")  # lays the index and the zone in the cache dir
        run_once(CASES["observer"], tmp / "warm")
        for i in range(runs):
            observer.append(run_once(CASES["observer"], tmp / "warm"))
            warm.append(run_once(CASES["place"], tmp / "warm"))
            cold.append(run_once(CASES["place"], tmp / f"cold-{i}"))
            say(
                f"  passes round {i + 1}/{runs}: warm {warm[-1][0]:.2f} s {warm[-1][1]:.0f} MB, "
                f"cold {cold[-1][0]:.2f} s {cold[-1][1]:.0f} MB"
            )
    figure = "passes --place Boston --days 10 --demo"
    return [
        Row(
            f"{figure}, warm",
            "s",
            [w[0] for w in warm],
            "<= 0.8 s",
            0.8,
            floors=[o[0] for o in observer],
            floor_name="--observer",
        ),
        Row(
            f"{figure}, warm, peak RSS",
            "MB",
            [w[1] for w in warm],
            "<= 100 MB",
            100.0,
            floors=[o[1] for o in observer],
            floor_name="--observer",
        ),
        Row(f"{figure}, cold (fresh cache dir)", "s", [c[0] for c in cold]),
        Row(f"{figure}, cold, peak RSS", "MB", [c[1] for c in cold]),
    ]


# -- serve -----------------------------------------------------------------------------------


async def _serve_once(
    sessions: int, settle_s: float, steady_s: float, cache_home: Path
) -> tuple[float, float, float]:
    """(seconds until every session has drawn, CPU % of a core of the server and everything
    under it over `steady_s` once drawn, their PSS in MB)."""
    import aiohttp

    from scripts.fixtures.faultserver import FEEDS, FaultServer
    from scripts.fixtures.serve_harness import dashboards_of, open_session, running_serve
    from scripts.process_bench import descendants, fresh_dir, proc_cpu_s, proc_pss_mb

    expect = "Aleksey Ovchinin"  # the crew, which only the upstream knows
    drawn: list[float] = []

    async def viewer(port: int, stop: asyncio.Event) -> None:
        """A browser: reads everything sent (as a page would), notes its first frame."""
        started = time.monotonic()
        session, ws = await open_session(port)
        tail: str | None = ""
        try:
            while not stop.is_set():
                try:
                    message = await ws.receive(timeout=0.5)
                except TimeoutError:
                    continue
                if message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    return
                if message.type == aiohttp.WSMsgType.BINARY and tail is not None:
                    tail = (tail + message.data.decode("utf-8", "replace"))[-100_000:]
                    if expect in tail:
                        drawn.append(time.monotonic() - started)
                        tail = None
        finally:
            await ws.close()
            await session.close()

    with fresh_dir() as tmp, FaultServer() as upstream:
        env = {
            "ISSDASH_CACHE_DIR": str(tmp / "cache"),
            "ISSDASH_LOG_FILE": str(tmp / "log"),
            "XDG_CACHE_HOME": str(cache_home),
            "ISSDASH_FEEDS__TELEMETRY__ENABLED": "false",
        }
        for feed in FEEDS:
            env[f"ISSDASH_FEEDS__{feed.upper()}__URL"] = upstream.url(feed)
        with running_serve(env=env) as (port, proc):
            stop = asyncio.Event()
            started = time.monotonic()
            tasks = [asyncio.create_task(viewer(port, stop)) for _ in range(sessions)]
            while time.monotonic() - started < 60 and len(drawn) < sessions:
                if all(t.done() for t in tasks):
                    break
                await asyncio.sleep(0.02)
            drawn_s = max(drawn) if len(drawn) == sessions else INF
            await asyncio.sleep(settle_s)
            # Everything serving these sessions: the server, whatever it started (a warmed
            # parent and its forks, or one process per session) and any session found by
            # its marker after leaving the tree.
            pids = sorted({proc.pid, *descendants(proc.pid), *dashboards_of(proc.pid)})
            c0, t0 = sum(proc_cpu_s(p) for p in pids), time.monotonic()
            await asyncio.sleep(steady_s)
            cpu = 100 * (sum(proc_cpu_s(p) for p in pids) - c0) / (time.monotonic() - t0)
            pss = sum(proc_pss_mb(p) for p in pids)
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
    return drawn_s, cpu, pss


def serve(runs: int, settle_s: float, steady_s: float, cache_home: Path) -> list[Row]:
    many, one = [], []
    for i in range(runs):
        many.append(asyncio.run(_serve_once(10, settle_s, steady_s, cache_home)))
        one.append(asyncio.run(_serve_once(1, settle_s, steady_s, cache_home)))
        say(
            f"  serve round {i + 1}/{runs}: 10 drawn {many[-1][0]:.2f} s, 1 drawn "
            f"{one[-1][0]:.2f} s; CPU {many[-1][1]:.1f} / {one[-1][1]:.1f} %; "
            f"PSS {many[-1][2]:.0f} / {one[-1][2]:.0f} MB"
        )
    cpu_extra = [(m[1] - o[1]) / 9 for m, o in zip(many, one, strict=True)]
    pss_extra = [(m[2] - o[2]) / 9 for m, o in zip(many, one, strict=True)]
    return [
        Row("serve: CPU per extra session ((10 - 1) / 9)", "% core", cpu_extra, "<= 1.5 %", 1.5),
        Row(
            "serve: PSS per extra session ((10 - 1) / 9)",
            "MB",
            pss_extra,
            "<= 25 MB",
            25.0,
            note=f"1 session in all {statistics.median(o[2] for o in one):.0f} MB",
        ),
        Row(
            "serve: 10 sessions opened at once, all drawn",
            "s",
            [m[0] for m in many],
            "<= 3x one session",
            3.0,
            "ratio",
            [o[0] for o in one],
            "1 session",
        ),
    ]


# -- in-process and earlier budgets -----------------------------------------------------------


def scenes(count: int) -> list[MapScene]:
    from issdash.config.settings import load_settings
    from issdash.core.runtime import Runtime, bundled_elements_response, load_demo_recording
    from issdash.feeds.adapters.tle import parse_elements
    from issdash.feeds.clock import FrozenClock
    from issdash.model.map.scene import MapToggles, build_scene
    from issdash.model.orbit import OrbitEngine

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
    from issdash.config.settings import load_settings
    from issdash.core.runtime import Runtime, bundled_elements_response, load_demo_recording
    from issdash.feeds.adapters.tle import parse_elements
    from issdash.feeds.clock import FrozenClock
    from issdash.model.map.scene import MapToggles, build_scene
    from issdash.model.orbit import OrbitEngine

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
    """A full redraw of the ground-track panel at 160x45: everything that happens when the
    station moves (composing the cells from a new scene and building every row's strip)."""
    from textual.app import App, ComposeResult

    from issdash.widgets.ground_track import GroundTrackMap

    class MapOnly(App[None]):
        CSS = "GroundTrackMap { width: 160; height: 45; }"

        def compose(self) -> ComposeResult:
            yield GroundTrackMap()

    app = MapOnly()
    all_scenes = scenes(REDRAWS + 1)
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


def inproc() -> list[Row]:
    redraw = asyncio.run(time_map_redraw())
    return [
        Row("ground-track panel full redraw, 160x45, in-process", "ms", redraw, "<= 5 ms", 5.0),
        Row(
            "scene build per tick (propagate, slide track), in-process",
            "ms",
            time_scene_building(REDRAWS),
        ),
    ]


def soak_growth() -> list[Row]:
    figure = "24 h simulated replay: RSS growth after warm-up"
    path = ROOT / "soak-results.json"
    if not path.exists():
        return [Row(figure, "MB", [], "<= 5 MB", note="not measured: run `make soak` first")]
    growth = json.loads(path.read_text())["rss_mb"]["growth_after_warm_up"]
    # The file's date says whether it measured the code being benched.
    made = datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")
    note = f"soak-results.json of {made}"
    return [Row(figure, "MB", [float(growth)], "<= 5 MB", 5.0, note=note)]


def suite() -> list[Row]:
    from scripts.suite_budgets import measure_all

    # Budgets the test suite used to assert (it checks the behaviour only, see that module);
    # their verdicts are the module's own (some compare to a figure measured alongside).
    rows = []
    for b in measure_all():
        if len(b.values) == 1:
            rows.append(Row(b.figure, b.unit, b.values, b.budget, decided=b.ok))
        else:  # several figures of different units: shown, not summarised
            shown = ", ".join(f"{v:.2f}" for v in b.values)
            rows.append(Row(b.figure, b.unit, [], b.budget, decided=b.ok, note=shown))
    return rows


def machine() -> str:
    python = f"{platform.python_implementation()} {platform.python_version()}"
    return f"{platform.machine()}, {os.cpu_count()} cores, {python}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each figure (5)")
    parser.add_argument("--window", type=float, default=60.0, help="idle window, s (60)")
    parser.add_argument("--quick", action="store_true", help="1 run of each, 15 s windows")
    parser.add_argument(
        "--only", default=",".join(GROUPS), help=f"comma-separated groups, of: {','.join(GROUPS)}"
    )
    parser.add_argument("--suite-only", action="store_true", help="same as --only suite")
    args = parser.parse_args()
    groups = ["suite"] if args.suite_only else [g.strip() for g in args.only.split(",")]
    unknown = set(groups) - set(GROUPS)
    if unknown:
        parser.error(f"unknown groups: {', '.join(sorted(unknown))}")
    runs, window = (1, 15.0) if args.quick else (args.runs, args.window)
    serve_steady = 5.0 if args.quick else 10.0
    # The bench measures the defaults, not this shell's settings.
    for key in [k for k in os.environ if k.startswith("ISSDASH_")]:
        del os.environ[key]
    load_before = os.getloadavg()
    say(f"issdash bench on {machine()}; load {load_text(load_before)}")
    say(f"{runs} run(s) of each, {window:g} s idle windows; groups: {', '.join(groups)}")
    started = time.monotonic()
    from scripts.process_bench import fresh_dir

    steps: dict[str, Callable[[Path], list[Row]]] = {
        "frames": lambda cache: frames(runs, cache),
        "idle": lambda cache: idle(runs, window, 10.0, cache),
        "status": lambda cache: status(runs, cache),
        "passes": lambda _: passes(runs),
        "serve": lambda cache: serve(runs, 3.0, serve_steady, cache),
        "inproc": lambda _: inproc(),
        "soak": lambda _: soak_growth(),
        "suite": lambda _: suite(),
    }
    rows: list[Row] = []
    # One cache dir for the whole bench (the gazetteer index and zones, built once).
    with fresh_dir() as cache_home:
        for group in GROUPS:
            if group not in groups:
                continue
            say(f"{group} ({time.monotonic() - started:.0f} s)")
            try:
                rows += steps[group](cache_home)
            except Exception as error:  # the other groups still run; this one fails
                traceback.print_exc()
                rows.append(
                    Row(
                        f"{group}: not measured",
                        "",
                        [],
                        "no error",
                        decided=False,
                        note=f"{type(error).__name__}: {error}"[:120],
                    )
                )
    load_after = os.getloadavg()
    elapsed_s = time.monotonic() - started
    say("\n" + render_table(rows))
    say(
        f"\nload before {load_text(load_before)}; after {load_text(load_after)}; "
        f"{elapsed_s / 60:.1f} min"
    )
    say("\nMarkdown (docs/performance.md):\n" + render_markdown(rows))
    settings = {
        "runs": runs,
        "window_s": window,
        "groups": groups,
        "elapsed_s": round(elapsed_s, 1),
    }
    out = ROOT / "bench-results.json"
    out.write_text(results_json(machine(), load_before, load_after, settings, rows))
    say(f"wrote {out.name}")
    if missed(rows):
        say("MISSED: " + "; ".join(missed(rows)))
    return exit_code(rows)


if __name__ == "__main__":
    sys.exit(main())
