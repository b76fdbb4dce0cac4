"""`make soak`: the demo recording plus random faults, for a day of simulated time, headless.

    python scripts/soak.py [--hours 24] [--speed 600] [--seed 1] [--scenario flaky|hostile]
                           [--json out.json]

The dashboard replays the bundled MS-27 recording in a loop at high speed while three of its
feeds (position, crew, astros) are served instead by the fault server's `flaky` scenario over
real HTTP on 127.0.0.1. At the end it reports: unhandled exceptions (must be 0), peak and final
RSS and the growth after warm-up, asyncio tasks and Textual timers at warm-up and at the end
(must be equal), and polls per feed against each feed's rate limit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import resource
import sys
import time
from collections import Counter
from itertools import pairwise
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from issdash.config.settings import load_settings  # noqa: E402
from issdash.core.runtime import Runtime, demo_settings, load_demo_recording  # noqa: E402
from issdash.feeds.clock import ScaledClock  # noqa: E402
from issdash.feeds.sources import FETCH_TASK_PREFIX  # noqa: E402
from issdash.tui.dashboard import IssDashApp  # noqa: E402
from issdash.widgets import guard  # noqa: E402
from scripts.fixtures.faultserver import SCENARIOS, FaultServer  # noqa: E402
from scripts.fixtures.hostile_probe import LagMeter  # noqa: E402

FAULTY_FEEDS = ("position", "crew", "astros")
# The hostile scenario replaces every feed but the elements (whose nonsense the elements
# checks own) with hostile answers: encodings, bombs, charsets, endless bodies, redirects off
# the site, 10,000-entry lists.
HOSTILE_FEEDS = ("position", "crew", "astros", "docked", "launches", "dockings")
# Peak RSS a soak may reach (the dashboard itself is ~90 MB).
MAX_PEAK_RSS_MB = 200.0


class ErrorCounter(logging.Handler):
    """Counts ERROR and worse log records: every swallowed failure is logged at that level."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        detail = ""
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            tb = exc.__traceback__
            while tb is not None and tb.tb_next is not None:
                tb = tb.tb_next
            where = f" at {tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb else ""
            detail = f" ({type(exc).__name__}: {exc}{where})"
        self.records.append(f"{record.name}: {record.getMessage()}{detail}")


def _window(samples: list[tuple[float, float]], lo: float, hi: float) -> float:
    """Median RSS over a fraction of the run."""
    values = sorted(
        m for i, (_, m) in enumerate(samples) if lo <= i / max(1, len(samples)) < hi + 1e-9
    )
    return values[len(values) // 2] if values else 0.0


def reset_peak_rss() -> None:
    """Start VmHWM afresh (Linux): the peak reported is then this soak's, not that of whatever
    ran before in the process (a test session, say)."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def timers(app: IssDashApp) -> int:
    """Active Textual timers on the app and every widget (a leak would grow this)."""
    nodes = [app, app.screen, *app.screen.query("*")]
    return sum(
        len(
            [
                t
                for t in getattr(n, "_timers", ())
                if not getattr(t, "_task", None) or not t._task.done()
            ]
        )
        for n in nodes
    )


async def snapshot(app: IssDashApp) -> dict[str, Any]:
    """Memory, tasks and timers, counted between bursts of work: a pass search or a poll in
    flight is a task that comes and goes, not a leak."""
    await app.workers.wait_for_complete()
    tasks = [t for t in asyncio.all_tasks() if not t.get_name().startswith(FETCH_TASK_PREFIX)]
    kinds = Counter(getattr(t.get_coro(), "__qualname__", "?") for t in tasks)
    return {"rss_mb": rss_mb(), "tasks": len(tasks), "kinds": kinds, "timers": timers(app)}


def grown_tasks(warm: dict[str, Any], ends: list[dict[str, Any]]) -> dict[str, int]:
    """Kinds of task (by coroutine) more numerous at the end than after warm-up, in every one
    of the end snapshots: a leak stays, where a task that happened to be alive at one snapshot
    (a toast's timer, a screen refresh) comes and goes and made the total flicker by one."""
    grown: dict[str, int] = {}
    for kind in set().union(*(e["kinds"] for e in ends)):
        extra = min(e["kinds"][kind] for e in ends) - warm["kinds"][kind]
        if extra > 0:
            grown[kind] = extra
    return grown


async def soak(
    hours: float,
    speed: float,
    seed: int = 1,
    fault_timeout_s: float = 2.0,
    scenario: str = "flaky",
    bomb_bytes: int = 256 * 1024 * 1024,
) -> dict[str, Any]:
    errors = ErrorCounter()
    logging.getLogger().addHandler(errors)
    loop_errors: list[str] = []
    asyncio.get_running_loop().set_exception_handler(
        lambda _, ctx: loop_errors.append(str(ctx.get("message")))
    )
    recording = load_demo_recording()
    reset_peak_rss()
    rss_at_start = rss_mb()
    faulty = HOSTILE_FEEDS if scenario == "hostile" else FAULTY_FEEDS
    with FaultServer(
        scenario, seed=seed, stall_s=fault_timeout_s * 2, drip_s=0.02, bomb_bytes=bomb_bytes
    ) as faults:
        if scenario == "hostile":
            faults.prepare_hostile()
        settings = demo_settings(load_settings(observer="51.5074,-0.1278"), recording)
        for feed in faulty:
            feed_settings = settings.feeds.get(feed)
            feed_settings.url = faults.url(feed)
            feed_settings.timeout_s = fault_timeout_s
        clock = ScaledClock(recording.start, speed)
        runtime = Runtime(settings, clock, mode="demo", recording=recording)
        app = IssDashApp(runtime, loop=True)
        failures_before = guard.failures
        simulated_s = hours * 3600.0
        real_s = simulated_s / speed
        warm_up_s = real_s * 0.1
        samples: list[tuple[float, float]] = []
        async with app.run_test(size=(120, 40)) as pilot:
            # How late a 10 ms sleep wakes: feed work and drawing both count.
            lag = LagMeter()
            lag_task = asyncio.create_task(lag.run())
            started = time.monotonic()
            warm: dict[str, Any] | None = None
            while (elapsed := time.monotonic() - started) < real_s:
                await pilot.pause(0.5)
                samples.append((elapsed * speed / 3600.0, rss_mb()))
                if warm is None and elapsed >= warm_up_s:
                    warm = await snapshot(app)
            assert warm is not None
            lag_task.cancel()
            ends = [await snapshot(app)]
            await pilot.pause(0.5)
            ends.append(await snapshot(app))
            end = ends[-1]
            hits = {feed: [h.at for h in faults.hits(feed)] for feed in faulty}
    logging.getLogger().removeHandler(errors)
    hours_run = hours

    # Gaps between a feed's requests, in simulated seconds. A replay that loops back to its
    # start begins afresh (as a restarted dashboard would), so that one gap is left out.
    def gaps(times: list[float]) -> list[float]:
        return [(b - a) * speed for a, b in pairwise(times)]

    loops = int(simulated_s // (recording.end - recording.start).total_seconds())

    return {
        "scenario": scenario,
        "simulated_hours": hours_run,
        "speed": speed,
        "real_seconds": round(real_s, 1),
        "unhandled_exceptions": len(errors.records)
        + len(loop_errors)
        + (guard.failures - failures_before),
        "error_samples": (errors.records + loop_errors)[:5],
        "worst_loop_lag_s": round(lag.worst_s, 3),
        "rss_mb": {
            "at_start": round(rss_at_start, 1),
            "warm_up": round(warm["rss_mb"], 1),
            "peak": round(peak_rss_mb(), 1),
            "final": round(end["rss_mb"], 1),
            # RSS wanders by a few MB as Python's allocator and the GC work, so growth is
            # the median of the last fifth of the run against the fifth after warm-up.
            "growth_after_warm_up": round(
                _window(samples, 0.8, 1.0) - _window(samples, 0.1, 0.3), 1
            ),
        },
        "asyncio_tasks": {
            "warm_up": warm["tasks"],
            "end": end["tasks"],
            "grown": grown_tasks(warm, ends),
        },
        "timers": {"warm_up": warm["timers"], "end": end["timers"]},
        "http_polls": {
            feed: {
                "requests": len(times),
                "interval_s": settings.feeds.get(feed).interval_s,
                # smallest gap, leaving out the one restart per loop of the recording
                "shortest_gap_s": round(sorted(gaps(times))[loops], 1)
                if len(times) > loops + 1
                else None,
            }
            for feed, times in sorted(hits.items())
        },
        "rss_trace": [
            (round(h, 2), round(m, 1)) for h, m in samples[:: max(1, len(samples) // 12)]
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--speed", type=float, default=600.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scenario", default="flaky", choices=SCENARIOS)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    report = asyncio.run(soak(args.hours, args.speed, args.seed, scenario=args.scenario))
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text)
    # Under hostile answers the screen legitimately gains widgets (a scroll bar for a long
    # roster), each with its task: tasks are compared for the ordinary scenarios only.
    ok = (
        report["unhandled_exceptions"] == 0
        and (args.scenario == "hostile" or not report["asyncio_tasks"]["grown"])
        and report["timers"]["warm_up"] == report["timers"]["end"]
        and report["rss_mb"]["peak"] < MAX_PEAK_RSS_MB
    )
    print("SOAK PASS" if ok else "SOAK FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
