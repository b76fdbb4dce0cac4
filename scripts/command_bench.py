"""The one-off commands against their floor (issue 26): `status --json --demo --at T`, `status
--json` offline (every feed refused, a fresh cache) and `passes --place Boston --days 10
--demo` (a warm gazetteer index), each run interleaved with `python -c 'import numpy'`, the
floor the issue's `status` budget is a multiple of. Medians of wall time, CPU time (user +
system, less sensitive to other work on the machine) and peak RSS; the load average before
and after, since wall times on a busy machine say little.

    .venv/bin/python scripts/command_bench.py [--runs 5] [--tree PATH ...]

`--tree PATH` also measures another tree of the package (a link tree as scripts/link_tree.py
lays it, e.g. of an older commit) in the same interleaved runs, for a before and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts.process_bench import offline_env  # noqa: E402

AT = "2025-04-08T08:00:00Z"
CASES = {
    "status demo": ["status", "--json", "--demo", "--at", AT],
    "status offline": ["status", "--json"],
    "passes place": ["passes", "--place", "Boston", "--days", "10", "--demo"],
}


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB) of one run, through a wrapper process whose own children
    are only this one (RUSAGE_CHILDREN is the largest of all of a process's children)."""
    code = (
        "import resource, subprocess, sys, time; t = time.perf_counter(); "
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); "
        "w = time.perf_counter() - t; r = resource.getrusage(resource.RUSAGE_CHILDREN); "
        "print(w, r.ru_utime + r.ru_stime, r.ru_maxrss / 1024)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *argv],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(out[0]), float(out[1]), float(out[2])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--tree", type=Path, action="append", default=[])
    options = parser.parse_args()
    trees: dict[str, str | None] = {"this tree": None}
    trees.update({str(t): str(t.resolve()) for t in options.tree})
    figures: dict[str, list[tuple[float, float, float]]] = {"numpy": []}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="issdash-bench-") as tmp:
        for i in range(options.runs):
            figures["numpy"].append(
                run_once([sys.executable, "-c", "import numpy"], dict(os.environ))
            )
            for tree, path in trees.items():
                for case, args in CASES.items():
                    env = dict(os.environ)
                    if case == "status offline":
                        run_dir = Path(tmp) / f"{len(figures)}-{i}"
                        env = offline_env(run_dir / "xdg", run_dir)
                    if path is not None:
                        env["PYTHONPATH"] = path
                    argv = [sys.executable, "-m", "issdash", *args]
                    figures.setdefault(f"{case} ({tree})", []).append(run_once(argv, env))
    floor = statistics.median(w for w, _, _ in figures["numpy"])
    print(
        f"load {load_before:.2f} -> {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores;"
        f" {options.runs} runs each, interleaved; medians"
    )
    for label, values in figures.items():
        wall = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        rss = statistics.median(v[2] for v in values)
        print(
            f"{label:40} wall {wall:5.3f} s ({wall / floor:4.1f}x numpy)"
            f"  cpu {cpu:5.3f} s  peak {rss:5.1f} MB"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
