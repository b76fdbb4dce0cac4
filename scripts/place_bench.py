"""The place and zone look-ups' share of a start (issue 26): `issdash passes --place Boston
--days 10 --demo` and the same with `--observer`, interleaved, medians of N runs of wall time
and peak RSS (the OS's figures for the child: `resource.RUSAGE_CHILDREN`), warm (the gazetteer
index and the zone already in the cache dir, as on every start after the first) and cold (a
fresh cache dir each run: the index is built, the zone finder asked; a cold place's RSS is
the larger of the command's and of the child that builds the index, a process of its own).

    .venv/bin/python scripts/place_bench.py [--runs 5]

Budgets (issue 26): `passes --place` 0.8 s or less and 100 MB or less. Exits 1 when a warm
median misses one; prints the machine's load, since wall times on a busy machine say little.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ISSDASH = ROOT / ".venv" / "bin" / "issdash"
BUDGET_S = 0.8
BUDGET_MB = 100.0
CASES = {
    "place": ["passes", "--place", "Boston", "--days", "10", "--demo"],
    "observer": ["passes", "--observer", "42.36,-71.06", "--days", "10", "--demo"],
}


def run_once(args: list[str], cache_home: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS MB) of one run; its own RUSAGE_CHILDREN through a wrapper
    process, since this process's figure is the largest of all its children so far."""
    code = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
        "print(time.perf_counter() - t, "
        "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)"
    )
    # The bench measures the defaults: none of this shell's ISSDASH_* settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith("ISSDASH_")}
    env["XDG_CACHE_HOME"] = str(cache_home)
    out = subprocess.run(
        [sys.executable, "-c", code, str(ISSDASH), *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(out[0]), float(out[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; {runs} runs each")
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        warm = Path(tmp) / "warm"
        for args in CASES.values():
            run_once(args, warm)  # lays the index and the zone in the cache dir
        figures: dict[str, list[tuple[float, float]]] = {
            f"{k} {w}": [] for k in CASES for w in ("warm", "cold")
        }
        for i in range(runs):
            for name, args in CASES.items():
                figures[f"{name} warm"].append(run_once(args, warm))
                figures[f"{name} cold"].append(run_once(args, Path(tmp) / f"cold-{name}-{i}"))
    for label, values in figures.items():
        wall_s = statistics.median(v[0] for v in values)
        rss_mb = statistics.median(v[1] for v in values)
        verdict = ""
        if label == "place warm":
            ok = wall_s <= BUDGET_S and rss_mb <= BUDGET_MB
            failed |= not ok
            verdict = f"  budget {BUDGET_S} s, {BUDGET_MB:.0f} MB: {'ok' if ok else 'MISSED'}"
        print(f"{label:15} {wall_s:6.2f} s {rss_mb:7.1f} MB{verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    start = time.perf_counter()
    code = main()
    print(f"({time.perf_counter() - start:.0f} s)")
    sys.exit(code)
