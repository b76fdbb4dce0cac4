"""Event-loop lag and peak RSS while hostile answers arrive through the real HTTP stack.

    python -m tests.hostile_probe [--rounds 2] [--bomb-mb 256] [--timeout 3]

Serves every hostile kind (tests/faultserver.py) on 127.0.0.1 and polls each of the seven
feeds through the program's own client, `HttpSource` and `Poller` (the path the dashboard
uses), while a task sleeps 10 ms in a loop and records how late it wakes. Prints one JSON
object: the worst lag in seconds (idle, before any answer, and under the hostile answers),
peak RSS (VmHWM) in MB, and what each answer became. Run in its own process so the peak RSS
is this work's alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import time
from typing import Any

from app.runtime import ADAPTERS
from feeds.clock import SystemClock
from feeds.poller import FeedSpec, Poller
from feeds.sources import FeedError, FileSource, HttpSource, SourceRouter, make_http_client
from tests.faultserver import FEEDS, HOSTILE_FAULTS, FaultServer


def peak_rss_mb() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class LagMeter:
    """Sleeps `step_s` in a loop; the worst overshoot is how long the loop was blocked."""

    def __init__(self, step_s: float = 0.01) -> None:
        self.step_s = step_s
        self.worst_s = 0.0

    async def run(self) -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(self.step_s)
            self.worst_s = max(self.worst_s, time.perf_counter() - started - self.step_s)


async def probe(rounds: int, bomb_bytes: int, timeout_s: float) -> dict[str, Any]:
    outcomes: dict[str, str] = {}
    lag_by_fault: dict[str, float] = {}
    with FaultServer("good", bomb_bytes=bomb_bytes, drip_s=0.01) as server:
        # The server shares this process: its big bodies are built before measuring, so
        # the lag measured is the client's.
        server.prepare_hostile()
        client = make_http_client()
        source = SourceRouter(HttpSource(client, SystemClock()), FileSource(SystemClock()))
        meter = LagMeter()
        lag_task = asyncio.create_task(meter.run())
        await asyncio.sleep(0.5)
        idle_s = meter.worst_s
        meter.worst_s = 0.0
        clock = SystemClock()
        for _ in range(rounds):
            for fault in HOSTILE_FAULTS:
                for feed in FEEDS:
                    server.set(feed, fault)
                before, meter.worst_s = meter.worst_s, 0.0
                spec = {
                    feed: FeedSpec(feed, server.url(feed), ADAPTERS[feed], 60.0, timeout_s, 60.0)
                    for feed in FEEDS
                }
                results = await asyncio.gather(
                    *(Poller(spec[f], source, clock, lambda e: None).poll_once() for f in FEEDS),
                    return_exceptions=True,
                )
                lag_by_fault[fault] = max(lag_by_fault.get(fault, 0.0), round(meter.worst_s, 4))
                meter.worst_s = max(before, meter.worst_s)
                for feed, result in zip(FEEDS, results, strict=True):
                    if isinstance(result, FeedError):
                        outcomes[f"{fault}/{feed}"] = result.reason
                    elif isinstance(result, BaseException):
                        outcomes[f"{fault}/{feed}"] = f"UNEXPECTED {type(result).__name__}"
                    else:
                        outcomes[f"{fault}/{feed}"] = f"value {type(result).__name__}"
        lag_task.cancel()
        await client.aclose()
    return {
        "idle_lag_s": round(idle_s, 4),
        "worst_lag_s": round(meter.worst_s, 4),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "lag_by_fault_s": lag_by_fault,
        "outcomes": outcomes,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.hostile_probe")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--bomb-mb", type=int, default=256)
    parser.add_argument("--timeout", type=float, default=3.0)
    args = parser.parse_args(argv)
    report = asyncio.run(probe(args.rounds, args.bomb_mb * 1024 * 1024, args.timeout))
    json.dump(report, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
