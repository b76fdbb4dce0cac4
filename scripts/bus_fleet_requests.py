"""Requests per feed from a fleet of dashboards on one Redis bus, against local servers.

Three dashboards (`Runtime`s on the Redis bus, the code a kiosk runs) point at a local
redis-server and at a counting upstream (scripts/fixtures/faultserver.py), for 60 s; the
requests each feed's upstream got are printed next to one poller's worth (what a single
dashboard polling alone would ask in that time). Issue 24 case 4: on a Redis that refuses
writes, the fleet must ask at most one poller's worth.

    .venv/bin/python -m scripts.bus_fleet_requests [--redis read-only|writable|refusing]
        [--dashboards 3] [--seconds 60]

read-only: a replica of a master that is not there (answers PING, reads and its channel,
refuses writes); writable: a plain Redis; refusing: answers PING and takes the lease but
refuses its channel (no way to share: each dashboard polls for itself, the figure to compare
with).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from issdash.config.settings import FEED_NAMES, Settings
from scripts.browser_check import free_port, wait_for_port
from scripts.fixtures.faultserver import FaultServer
from scripts.fixtures.fleet import bus_dashboard

REDIS_FLAGS = {
    "read-only": lambda: ["--replicaof", "127.0.0.1", str(free_port())],
    "writable": lambda: [],
    "refusing": lambda: ["--user", "default", "on", "nopass", "~*", "&*", "+@all", "-@pubsub"],
}


async def measure(kind: str, count: int, seconds: float, folder: Path) -> dict[str, int]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    flags = ["--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    redis = subprocess.Popen(
        [binary, *flags, "--dir", str(folder), *REDIS_FLAGS[kind]()], stdout=subprocess.DEVNULL
    )
    try:
        wait_for_port(port, 10)
        with FaultServer() as upstream:
            runtimes = [bus_dashboard(upstream, port, folder / f"d{i}") for i in range(count)]
            try:
                await asyncio.sleep(seconds)
            finally:
                for runtime in runtimes:
                    await runtime.stop()
            return {name: upstream.count(name) for name in FEED_NAMES}
    finally:
        redis.kill()
        redis.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--redis", choices=sorted(REDIS_FLAGS), default="read-only")
    parser.add_argument("--dashboards", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        counts = asyncio.run(measure(args.redis, args.dashboards, args.seconds, Path(folder)))
    intervals = {n: Settings().feeds.get(n).interval_s for n in FEED_NAMES}
    print(f"{args.dashboards} dashboards, {args.redis} Redis, {args.seconds:g} s")
    print(f"{'feed':<10} {'interval s':>10} {'requests':>9} {'one poller':>11}")
    worst = 0.0
    for name in FEED_NAMES:
        # A poller asks at start, then once per interval.
        one = 1 + math.floor(args.seconds / intervals[name])
        worst = max(worst, counts[name] / one)
        print(f"{name:<10} {intervals[name]:>10g} {counts[name]:>9} {one:>11}")
    print(f"most requests of any feed, in pollers' worth: {worst:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
