"""Import cost of the shared layers (issue 26): `python -X importtime` of what a start imports,
run several times in fresh interpreters; per layer, the sum of the modules' own (self) times,
and the modules that cost most, each as the minimum and the median over the runs.

    .venv/bin/python scripts/import_cost.py [--runs 11] [--engine] [--code "import ..."]

The cyclic garbage collector is off in the measured process, as it is in a real start once
`main()` has paused it (issdash.core.gc_pause): with it on, a full collection of the objects
the imports made lands in whichever module is importing at that moment and is counted as that
module's own time (e.g. ~15-25 ms charged to `pyexpat`). On a shared machine, read the minimum:
the median carries whatever else ran. `--engine` adds the orbit engine's timescale and
ephemeris (loaded before the first frame). Not part of `make bench`; nothing here is a budget.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DASHBOARD = "import issdash.commands.cli, issdash.commands.dashboard, issdash.tui.dashboard"
ENGINE = "from issdash.model.orbit import _skyfield; _skyfield()"
LAYERS = ("issdash.feeds", "issdash.config", "issdash.model", "issdash.core", "issdash")
_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|\s*(\S+)")


def one_run(code: str) -> dict[str, tuple[float, float]]:
    """Each imported module's (self, cumulative) milliseconds in one fresh interpreter."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import gc; gc.disable(); {code}"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=True,
    )
    times: dict[str, tuple[float, float]] = {}
    for match in _LINE.finditer(done.stderr):
        times[match[3]] = (int(match[1]) / 1000, int(match[2]) / 1000)
    return times


def in_layer(module: str, layer: str) -> bool:
    return module == layer or module.startswith(layer + ".")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument("--code", default=DASHBOARD, help="the import statement measured")
    parser.add_argument("--engine", action="store_true", help="and load the orbit engine")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    code = f"{args.code}; {ENGINE}" if args.engine else args.code
    runs = [one_run(code) for _ in range(args.runs)]

    def spread(values: list[float]) -> str:
        return f"{min(values):7.1f} {statistics.median(values):7.1f}"

    print(f"{args.runs} runs of: {code}")
    print(f"{'':40s} {'min':>7s} {'median':>7s}  (ms)")
    print(f"{'modules imported':40s} {spread([float(len(r)) for r in runs])}")
    print(f"{'self, all modules':40s} {spread([sum(s for s, _ in r.values()) for r in runs])}")
    for layer in LAYERS:
        own = [sum(s for m, (s, _) in r.items() if in_layer(m, layer)) for r in runs]
        print(f"{'self, ' + layer + '.*':40s} {spread(own)}")
    names = {m for r in runs for m in r}
    cheapest = {m: min(r[m][0] for r in runs if m in r) for m in names}
    print("\nthe costliest modules (min self, min cumulative, runs that imported it):")
    for module in sorted(cheapest, key=lambda m: -cheapest[m])[: args.top]:
        cumulative = min(r[module][1] for r in runs if module in r)
        seen = sum(module in r for r in runs)
        print(f"  {module:50s} {cheapest[module]:7.1f} {cumulative:7.1f}  {seen}/{args.runs}")


if __name__ == "__main__":
    main()
