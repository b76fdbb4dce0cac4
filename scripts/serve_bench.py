"""What N browser sessions of `issdash serve` cost, against a counting upstream on 127.0.0.1.

    python scripts/serve_bench.py [--sessions 10] [--steady 20] [--runs 1] [--plain]
                                  [--warm 0] [--total 60] [--check] [--json out.json]

Starts scripts.fixtures.faultserver (good answers, every request counted), `issdash serve` with
every feed pointed at it (so the serve process hosts the collector), opens N websocket sessions at
once as browsers would, and, in a second server, one session; for each it reports:

- the time until every session has its first frame (the crew list drawn, which only the
  upstream knows);
- RSS and PSS (/proc/PID/smaps_rollup: shared pages split between the processes sharing them)
  of the server, of the warm parent the sessions are forked from (issdash.commands.zygote) and
  of the sessions;
- CPU of all those processes together over `--steady` seconds once every session is drawn,
  as a percentage of one core;
- upstream requests per feed.

and the goal rows of issue 26, each against its budget:

- PSS per extra session: (total PSS with N sessions - with 1) / (N - 1), every process of the
  server counted (what one more browser costs the machine);
- CPU per extra session: (CPU with N - CPU with 1) / (N - 1), in % of a core;
- N sessions opened at once, all drawn, / one session drawn.

`--runs R` repeats both (1 session, then N) and reports medians; `--warm S` opens the
sessions S seconds after the server listens (by default at once, the warm parent still
loading, as issue 26 measured each session's own process); `--plain` starts every session
as its own process (ISSDASH_SERVE__FORK=false), as before the warm parent, for comparison; `--check`
exits 1 when a budget is missed. Each server runs `--total` seconds (60: the upstream counts of
the two servers compare over the same time; 0: as short as the measurement allows).
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
from statistics import median
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from scripts.fixtures.faultserver import FEEDS, FaultServer  # noqa: E402
from scripts.fixtures.serve_harness import (  # noqa: E402
    dashboards_of,
    open_session,
    running_serve,
    zygote_of,
)
from scripts.process_bench import proc_cpu_s as cpu_s  # noqa: E402
from scripts.process_bench import proc_pss_mb as pss_mb  # noqa: E402

EXPECT = "Aleksey Ovchinin"
# Issue 26's budgets for the serve rows.
PSS_PER_EXTRA_SESSION_MB = 25.0
CPU_PER_EXTRA_SESSION_PCT = 1.5
ALL_DRAWN_RATIO = 3.0
PAGE = os.sysconf("SC_PAGE_SIZE")


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


async def run(
    sessions: int, steady_s: float, settle_s: float, total_s: float, plain: bool, warm_s: float
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, FaultServer() as upstream:
        env = {"ISSDASH_CACHE_DIR": tmp, "ISSDASH_LOG_FILE": f"{tmp}/log"}
        for feed in FEEDS:
            env[f"ISSDASH_FEEDS__{feed.upper()}__URL"] = upstream.url(feed)
        env["ISSDASH_FEEDS__TELEMETRY__ENABLED"] = "false"  # no stream server here
        env["ISSDASH_SERVE__FORK"] = "false" if plain else "true"
        with running_serve(env=env) as (port, proc):
            await asyncio.sleep(warm_s)
            stop = asyncio.Event()
            viewers = [Viewer(port) for _ in range(sessions)]
            started = time.monotonic()
            tasks = [asyncio.create_task(v.run(stop)) for v in viewers]
            while time.monotonic() - started < 60 and any(v.first_frame_s is None for v in viewers):
                await asyncio.sleep(0.1)
            frames = [v.first_frame_s for v in viewers]
            await asyncio.sleep(settle_s)
            zygote = zygote_of(proc.pid)
            servers = [proc.pid] if zygote is None else [proc.pid, zygote]
            pids = [*servers, *dashboards_of(proc.pid)]
            cpu_before = sum(cpu_s(p) for p in pids)
            t0 = time.monotonic()
            await asyncio.sleep(steady_s)
            cpu_pct = 100 * (sum(cpu_s(p) for p in pids) - cpu_before) / (time.monotonic() - t0)
            dashboards = dashboards_of(proc.pid)
            server_rss = rss_mb(proc.pid)
            session_rss = [rss_mb(p) for p in dashboards]
            session_pss = [pss_mb(p) for p in dashboards]
            zygote_pss = pss_mb(zygote) if zygote is not None else 0.0
            server_pss = pss_mb(proc.pid)
            await asyncio.sleep(max(0.0, total_s - (time.monotonic() - started)))
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            drawn = [f for f in frames if f is not None]
            return {
                "sessions": sessions,
                "forked": zygote is not None,
                "drawn": len(drawn),
                "all_drawn_s": round(max(drawn), 2) if len(drawn) == sessions else None,
                "server_rss_mb": round(server_rss, 1),
                "session_rss_mb": round(sum(session_rss) / max(1, len(session_rss)), 1),
                "total_rss_mb": round(server_rss + sum(session_rss), 1),
                "server_pss_mb": round(server_pss, 1),
                "zygote_pss_mb": round(zygote_pss, 1),
                "session_pss_mb": round(sum(session_pss) / max(1, len(session_pss)), 1),
                "total_pss_mb": round(server_pss + zygote_pss + sum(session_pss), 1),
                "steady_cpu_pct_of_core": round(cpu_pct, 2),
                "upstream": {feed: upstream.count(feed) for feed in FEEDS},
                "seconds": round(time.monotonic() - started, 1),
            }


def goal_rows(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[dict[str, Any]]:
    """Issue 26's serve rows from (one session, N sessions) runs: medians over the runs."""
    extra = [many["sessions"] - 1 for _one, many in pairs]
    pss = [
        (many["total_pss_mb"] - one["total_pss_mb"]) / n
        for (one, many), n in zip(pairs, extra, strict=True)
    ]
    cpu = [
        (many["steady_cpu_pct_of_core"] - one["steady_cpu_pct_of_core"]) / n
        for (one, many), n in zip(pairs, extra, strict=True)
    ]
    ratio = [
        many["all_drawn_s"] / one["all_drawn_s"]
        if many["all_drawn_s"] and one["all_drawn_s"]
        else float("inf")
        for one, many in pairs
    ]
    return [
        {"row": "serve: PSS per extra session (MB)", "value": round(median(pss), 1),
         "budget": PSS_PER_EXTRA_SESSION_MB},
        {"row": "serve: CPU per extra session (% of a core)", "value": round(median(cpu), 2),
         "budget": CPU_PER_EXTRA_SESSION_PCT},
        {"row": f"serve: {pairs[0][1]['sessions']} sessions at once, all drawn / 1 session",
         "value": round(median(ratio), 2), "budget": ALL_DRAWN_RATIO},
    ]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--steady", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--total", type=float, default=60.0)
    parser.add_argument("--plain", action="store_true", help="each session its own process")
    parser.add_argument(
        "--warm",
        type=float,
        default=0.0,
        help="seconds between the server listening and"
        " the first browser (0: at once, as issue 26 measured; the warm parent still loading)",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a budget is missed")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    load_before = os.getloadavg()
    pairs = []
    for _ in range(args.runs):
        one = asyncio.run(run(1, args.steady, 5.0, args.total, args.plain, args.warm))
        many = asyncio.run(run(args.sessions, args.steady, 5.0, args.total, args.plain, args.warm))
        pairs.append((one, many))
    goals = goal_rows(pairs)
    one, many = pairs[-1]
    result = {
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "forked": many["forked"],
        "runs": [{"one": o, "many": m} for o, m in pairs],
        "goals": goals,
    }
    print(
        f"machine load before: {result['load_before']}, after: {result['load_after']}"
        f" ({os.cpu_count()} cores); sessions "
        + ("forked from a warm parent" if many["forked"] else "each its own process")
    )
    print(f"| measure (last of {args.runs} runs) | {args.sessions} sessions | 1 session |")
    print("|---|---|---|")
    for key, label in (
        ("all_drawn_s", "every session drawn (s)"),
        ("total_pss_mb", "total PSS, every process (MB)"),
        ("session_pss_mb", "PSS per session (MB)"),
        ("zygote_pss_mb", "PSS of the warm parent (MB)"),
        ("server_pss_mb", "serve + collector PSS (MB)"),
        ("total_rss_mb", "total RSS, server and sessions (MB)"),
        ("session_rss_mb", "RSS per session (MB)"),
        ("steady_cpu_pct_of_core", "steady CPU, all processes (% of a core)"),
    ):
        print(f"| {label} | {many[key]} | {one[key]} |")
    for feed in FEEDS:
        counts = f"{many['upstream'][feed]} | {one['upstream'][feed]}"
        print(f"| upstream `{feed}` requests in {many['seconds']:.0f} s | {counts} |")
    print()
    print(f"| goal (median of {args.runs} runs) | measured | budget | |")
    print("|---|---|---|---|")
    missed = False
    for goal in goals:
        ok = goal["value"] <= goal["budget"]
        missed = missed or not ok
        verdict = "ok" if ok else "MISSED"
        print(f"| {goal['row']} | {goal['value']} | {goal['budget']} | {verdict} |")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
