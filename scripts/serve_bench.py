"""What N browser sessions of `issdash serve` cost, against a counting upstream on 127.0.0.1.

    python scripts/serve_bench.py [--sessions 10] [--steady 20] [--json out.json]

Starts scripts.fixtures.faultserver (good answers, every request counted), `issdash serve` with
every feed pointed at it (so the serve process hosts the collector), opens N websocket sessions at
once as browsers would, and reports:

- the time until every session has its first frame (the crew list drawn, which only the
  upstream knows);
- RSS of the server and of the dashboards (total and per session), from /proc;
- CPU of all those processes together over `--steady` seconds once every session is drawn,
  as a percentage of one core;
- upstream requests per feed, against a second run with one session for the same time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from scripts.fixtures.faultserver import FEEDS, FaultServer  # noqa: E402
from scripts.fixtures.serve_harness import dashboards_of, open_session, running_serve  # noqa: E402

EXPECT = "Aleksey Ovchinin"
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mb(pid: int) -> float:
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except OSError:
        return 0.0
    return pages * PAGE / 1e6


class Viewer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.tail = ""
        self.first_frame_s: float | None = None

    async def run(self, stop: asyncio.Event) -> None:
        started = time.monotonic()
        session, ws = await open_session(self.port)
        try:
            while not stop.is_set():
                try:
                    message = await ws.receive(timeout=0.5)
                except TimeoutError:
                    continue
                if message.type != aiohttp.WSMsgType.BINARY:
                    if message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                        return
                    continue
                self.tail = (self.tail + message.data.decode("utf-8", "replace"))[-100_000:]
                if self.first_frame_s is None and EXPECT in self.tail:
                    self.first_frame_s = time.monotonic() - started
        finally:
            await ws.close()
            await session.close()


async def run(sessions: int, steady_s: float, settle_s: float, total_s: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, FaultServer() as upstream:
        env = {"ISSDASH_CACHE_DIR": tmp, "ISSDASH_LOG_FILE": f"{tmp}/log"}
        for feed in FEEDS:
            env[f"ISSDASH_FEEDS__{feed.upper()}__URL"] = upstream.url(feed)
        env["ISSDASH_FEEDS__TELEMETRY__ENABLED"] = "false"  # no stream server here
        with running_serve(env=env) as (port, proc):
            stop = asyncio.Event()
            viewers = [Viewer(port) for _ in range(sessions)]
            started = time.monotonic()
            tasks = [asyncio.create_task(v.run(stop)) for v in viewers]
            while time.monotonic() - started < 60 and any(v.first_frame_s is None for v in viewers):
                await asyncio.sleep(0.1)
            frames = [v.first_frame_s for v in viewers]
            await asyncio.sleep(settle_s)
            pids = [proc.pid, *dashboards_of(proc.pid)]
            cpu_before = sum(cpu_s(p) for p in pids)
            t0 = time.monotonic()
            await asyncio.sleep(steady_s)
            cpu_pct = 100 * (sum(cpu_s(p) for p in pids) - cpu_before) / (time.monotonic() - t0)
            dashboards = dashboards_of(proc.pid)
            server_rss = rss_mb(proc.pid)
            session_rss = [rss_mb(p) for p in dashboards]
            await asyncio.sleep(max(0.0, total_s - (time.monotonic() - started)))
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            drawn = [f for f in frames if f is not None]
            return {
                "sessions": sessions,
                "drawn": len(drawn),
                "all_drawn_s": round(max(drawn), 2) if len(drawn) == sessions else None,
                "server_rss_mb": round(server_rss, 1),
                "session_rss_mb": round(sum(session_rss) / max(1, len(session_rss)), 1),
                "total_rss_mb": round(server_rss + sum(session_rss), 1),
                "steady_cpu_pct_of_core": round(cpu_pct, 1),
                "upstream": {feed: upstream.count(feed) for feed in FEEDS},
                "seconds": round(time.monotonic() - started, 1),
            }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--steady", type=float, default=20.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    load_before = os.getloadavg()
    total_s = 60.0
    many = asyncio.run(run(args.sessions, args.steady, 5.0, total_s))
    one = asyncio.run(run(1, args.steady, 5.0, total_s))
    result = {"load_before": [round(x, 2) for x in load_before], "many": many, "one": one}
    print(f"machine load before: {result['load_before']} ({os.cpu_count()} cores)")
    print(f"| measure | {args.sessions} sessions | 1 session |")
    print("|---|---|---|")
    for key, label in (
        ("all_drawn_s", "every session drawn (s)"),
        ("total_rss_mb", "total RSS (MB)"),
        ("server_rss_mb", "serve + collector RSS (MB)"),
        ("session_rss_mb", "RSS per session (MB)"),
        ("steady_cpu_pct_of_core", "steady CPU, all processes (% of a core)"),
    ):
        print(f"| {label} | {many[key]} | {one[key]} |")
    for feed in FEEDS:
        print(f"| upstream `{feed}` requests in {total_s:.0f} s | {many['upstream'][feed]} | "
              f"{one['upstream'][feed]} |")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
