"""Budgets that used to be asserted inside the test suite, measured by `make bench` instead.

A wall-clock or CPU budget asserted in a test fails at random on a loaded machine (a CI host
shared with other jobs, a laptop compiling): the tests now check only the behaviour (the right
answer, the right refusal, a clean stop) and these figures are measured here, where a missed
budget makes `make bench` fail. Each measurement keeps the test's old method and figure.

    python scripts/suite_budgets.py        # just these (about a minute), exit 1 on a miss
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from issdash.feeds.adapters.crew import CrewMember, dedupe_people, parse_corquaid  # noqa: E402
from issdash.feeds.adapters.schedule import parse_dockings, parse_launches  # noqa: E402
from issdash.feeds.adapters.tle import parse_elements  # noqa: E402
from issdash.feeds.poller import FeedUpdate  # noqa: E402
from issdash.feeds.sources import FeedError, RawResponse  # noqa: E402
from issdash.feeds.values import Observer  # noqa: E402
from issdash.model.orbit import OrbitEngine  # noqa: E402
from issdash.model.passes.upcoming import PASS_PLANNER_DAYS, passes_between  # noqa: E402
from issdash.model.state import MissionState  # noqa: E402
from issdash.model.visits.timeline import build_timelines, next_event  # noqa: E402
from scripts.fixtures.faultserver import START, huge_document, letters  # noqa: E402
from scripts.fixtures.ms27_payloads import TLE_TEXT  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Budget:
    figure: str
    unit: str
    values: list[float]
    budget: str
    ok: bool


def best_of(fn: Callable[[], Any], repeat: int = 3) -> float:
    """The fastest of `repeat` runs, in seconds (the least disturbed by other work)."""
    best = math.inf
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


# -- in-process: work per answer -----------------------------------------------------------


def _people(n: int) -> list[CrewMember]:
    return [
        CrewMember(name=f"{letters(i)} {letters(i * 7919 % 10007)}son", on_iss=True, station="ISS")
        for i in range(n)
    ]


def crew_dedupe_ratio() -> Budget:
    """10,000 names froze the UI for six minutes (1,000: 2.3 s). Eight times the names must
    cost well under the 64 times a quadratic merge would."""
    small, large = _people(250), _people(2000)
    ratio = best_of(lambda: dedupe_people(large)) / best_of(lambda: dedupe_people(small))
    return Budget(
        "crew de-duplication, 2000 names / 250 names", "x", [ratio], "< 24x (64x = quadratic)",
        ratio < 24,
    )  # fmt: skip


def crew_refusal_time() -> Budget:
    """10,000 crew names are refused (implausible) in about the time a few are parsed."""
    many = RawResponse("x", 200, "application/json", huge_document("crew"), START)
    few = RawResponse("x", 200, "application/json", huge_document("crew", 20), START)

    def refuse() -> None:
        try:
            parse_corquaid(many, START)
        except FeedError:
            return
        raise AssertionError("10,000 crew names were not refused")

    elapsed = best_of(refuse, repeat=1)
    baseline = best_of(lambda: parse_corquaid(few, START))
    limit = 0.5 + 50 * baseline
    return Budget(
        "10,000 crew names refused", "s", [elapsed], f"< 0.5 s + 50x 20 names ({limit:.2f} s)",
        elapsed < limit,
    )  # fmt: skip


def schedule_items_ratio() -> Budget:
    """10,000 launches and dockings kept a core 59 % busy; the lists are capped at parse, so
    ten ticks with them cost about what ten with 20 do."""

    def work(count: int) -> Callable[[], None]:
        launches = RawResponse("x", 200, "", huge_document("launches", count), START)
        dockings = RawResponse("x", 200, "", huge_document("dockings", count), START)
        state = MissionState(mode="live")
        state = state.apply(FeedUpdate("launches", parse_launches(launches, START), START))
        state = state.apply(FeedUpdate("dockings", parse_dockings(dockings, START), START))

        def ticks() -> None:
            for second in range(10):
                now = START + timedelta(seconds=second)
                next_event(build_timelines(state, now), now)

        return ticks

    ratio = best_of(work(10_000)) / best_of(work(20))
    return Budget("10 ticks, 10,000 schedule items / 20 items", "x", [ratio], "< 15x", ratio < 15)


def pass_search_time() -> Budget:
    """The planner's search of ten days for one observer (README gives the figure)."""
    launch = datetime(2025, 4, 8, 5, 47, 15, tzinfo=UTC)
    boston = Observer(latitude_deg=42.35843, longitude_deg=-71.05977)
    engine = OrbitEngine(parse_elements(RawResponse("x", 200, "", TLE_TEXT, launch), launch))
    passes_between(engine, boston, launch, launch + timedelta(hours=3), 10.0)  # warm caches
    end = launch + timedelta(days=PASS_PLANNER_DAYS)
    best = best_of(lambda: passes_between(engine, boston, launch, end, 10.0))
    return Budget("pass search, ten days, one observer", "s", [best], "< 0.5 s", best < 0.5)


# -- whole processes -----------------------------------------------------------------------


def hostile_loop_lag() -> list[Budget]:
    """The event loop's worst lag (a 10 ms sleep waking late) while every hostile answer
    arrives through the real HTTP stack (scripts/fixtures/hostile_probe.py), beyond what the
    loop already suffers idle on this machine."""
    probe = ["-m", "scripts.fixtures.hostile_probe", "--bomb-mb", "64", "--timeout", "2"]
    done = subprocess.run(
        [sys.executable, *probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    report = json.loads(done.stdout)
    lag = report["worst_lag_s"] - report["idle_lag_s"]
    return [
        Budget(
            "event-loop lag under hostile answers, beyond idle", "s", [lag], "< 0.1 s", lag < 0.1
        )
    ]


def _catches_sigterm(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    mask = next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:"))
    return bool(int(mask, 16) >> (signal.SIGTERM - 1) & 1)


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def devnull_stdin_cpu(window_s: float = 4.0) -> Budget:
    """`issdash --demo < /dev/null` once spun in a busy loop reading end of file (~100 % of a
    core); a 1x replay is a few percent."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISSDASH_")}
    env.update(TERM="xterm-256color", COLUMNS="100", LINES="30")
    env["ISSDASH_FEEDS__TELEMETRY__ENABLED"] = "false"
    process = subprocess.Popen(
        [sys.executable, "-m", "issdash", "--demo"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 60
        while not _catches_sigterm(process.pid):  # up and running
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the dashboard did not start with stdin at /dev/null")
            time.sleep(0.05)
        time.sleep(2.0)  # past start-up
        before, started = _cpu_s(process.pid), time.monotonic()
        time.sleep(window_s)
        share = (_cpu_s(process.pid) - before) / (time.monotonic() - started)
    finally:
        process.terminate()
        process.wait(30)
    percent = 100 * share
    return Budget(
        "CPU, --demo with stdin at /dev/null", "% core", [percent], "< 35 %", share < 0.35
    )


def big_recording_status() -> list[Budget]:
    """Issue 24 case 7: a 256 MB recording answered by `status --demo FILE --at T` in 5 s or
    less at 150 MB RSS or less (a 120 MB one took up to 52 s and 930 MB). Figures: CPU
    seconds (checked), wall seconds, peak MB (checked); see scripts/big_recording.py."""
    from scripts.big_recording import BUDGET_RSS_MB, BUDGET_S, bench

    return [
        Budget(label, "s, s, MB", [cpu_s, wall_s, peak],
               f"<= {BUDGET_S:g} s CPU, <= {BUDGET_RSS_MB:g} MB",
               cpu_s <= BUDGET_S and peak <= BUDGET_RSS_MB)
        for label, cpu_s, wall_s, peak in bench()
    ]  # fmt: skip


def hook_time_limit() -> Budget:
    """A pass-alert hook that closes its stderr, then hangs, is stopped after its limit once
    (the limit was applied to reading stderr, then again to the wait: twice the limit)."""
    from issdash.tui.passes.alert_effects import run_hook

    script = "import os, time; time.sleep(4); os.close(2); time.sleep(60)"
    started = time.monotonic()
    problem = asyncio.run(run_hook([sys.executable, "-c", script], "x", 5.0))
    elapsed = time.monotonic() - started
    stopped = problem is not None and "was stopped" in problem
    # Twice the limit would be 9 s at least (4 s, then 5 s again).
    return Budget(
        "hook closing stderr then hanging, 5 s limit", "s", [elapsed], "< 8.5 s, stopped",
        stopped and elapsed < 8.5,
    )  # fmt: skip


def measure_all() -> list[Budget]:
    return [
        crew_dedupe_ratio(),
        crew_refusal_time(),
        schedule_items_ratio(),
        pass_search_time(),
        *hostile_loop_lag(),
        devnull_stdin_cpu(),
        *big_recording_status(),
        hook_time_limit(),
    ]


def main() -> int:
    budgets = measure_all()
    for b in budgets:
        value = ", ".join(f"{v:.3f}" for v in b.values)
        print(f"{b.figure:<52} {value:>10} {b.unit:<7} {b.budget:<34} {'PASS' if b.ok else 'FAIL'}")
    return 0 if all(b.ok for b in budgets) else 1


if __name__ == "__main__":
    sys.exit(main())
