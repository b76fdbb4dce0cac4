"""One collector, many viewers: `issdash serve` polls each upstream once however many
browser sessions it serves.

Two real `issdash serve` processes run side by side for the same time, each against its own
counting upstream (scripts.fixtures.faultserver on 127.0.0.1): one with a single session, one with
ten. Every feed must have been asked as often by the ten-session server as by the one-session one.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest

from scripts.fixtures.faultserver import FEEDS, FaultServer
from scripts.fixtures.serve_harness import dashboards_of, open_session, running_serve

# Real processes and servers, many seconds each: `make check` skips them, `make test` runs them.
pytestmark = pytest.mark.slow


# The fastest position interval allowed but one. The count, not the time, tells one poller from
# ten: the run ends once every session has drawn the collector's data and the one-session server
# has since been asked for the position WINDOW_POLLS more times (about ten seconds, in which ten
# pollers would ask some fifty times), and at least MIN_POSITION_POLLS in all. It ran a fixed
# 120 s, then 60 s, then 30 s: the longest test of the suite, and on a loaded machine a fixed
# run could end before ten sessions had drawn.
POSITION_INTERVAL_S = 2.0
WINDOW_POLLS = 5
MIN_POSITION_POLLS = 8
# Bounds a hang only: on a quiet machine the run ends after ~20 s.
HANG_S = 240.0


def feed_env(server: FaultServer, cache_dir: Path) -> dict[str, str]:
    env = {"ISSDASH_CACHE_DIR": str(cache_dir), "ISSDASH_LOG_FILE": str(cache_dir / "log")}
    for feed in FEEDS:
        env[f"ISSDASH_FEEDS__{feed.upper()}__URL"] = server.url(feed)
    env["ISSDASH_FEEDS__POSITION__INTERVAL_S"] = str(POSITION_INTERVAL_S)
    # The telemetry stream has no server here (the bus carries it: tests/test_bus.py).
    env["ISSDASH_FEEDS__TELEMETRY__ENABLED"] = "false"
    return env


class Viewer:
    """One browser session that keeps reading its screen, as a browser does, until `stop`."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.text = ""
        self.first_frame_s: float | None = None

    async def run(self, stop: asyncio.Event, expect: str) -> None:
        started = time.monotonic()
        session, ws = await open_session(self.port)

        async def read() -> None:
            async for message in ws:
                if message.type != aiohttp.WSMsgType.BINARY:
                    continue
                self.text = (self.text + message.data.decode("utf-8", "replace"))[-200_000:]
                if self.first_frame_s is None and expect in self.text:
                    self.first_frame_s = time.monotonic() - started

        reading = asyncio.create_task(read())
        try:
            await stop.wait()
        finally:
            reading.cancel()
            await asyncio.gather(reading, return_exceptions=True)
            await ws.close()
            await session.close()


async def watch_until_counted(
    one: list[Viewer], ten: list[Viewer], upstream_of_one: FaultServer
) -> None:
    """Every session reads its screen until all have drawn the collector's data and the
    one-session server has polled the position WINDOW_POLLS more times since (and at least
    MIN_POSITION_POLLS in all), or HANG_S passed (the assertions then say what was missing)."""
    stop = asyncio.Event()
    watching = asyncio.gather(*(v.run(stop, "Aleksey Ovchinin") for v in one + ten))
    deadline = time.monotonic() + HANG_S
    polls_when_all_drawn: int | None = None
    try:
        while time.monotonic() < deadline and not watching.done():
            polls = upstream_of_one.count("position")
            if polls_when_all_drawn is None:
                if all(v.first_frame_s is not None for v in one + ten):
                    polls_when_all_drawn = polls
            elif polls >= max(polls_when_all_drawn + WINDOW_POLLS, MIN_POSITION_POLLS):
                break
            await asyncio.sleep(0.2)
    finally:
        stop.set()
        await watching


async def test_ten_sessions_ask_the_upstreams_no_more_than_one(tmp_path: Path) -> None:
    with (
        FaultServer() as one_upstream,
        FaultServer() as ten_upstream,
        running_serve(env=feed_env(one_upstream, tmp_path / "one")) as (one_port, one_proc),
        running_serve(env=feed_env(ten_upstream, tmp_path / "ten")) as (ten_port, ten_proc),
    ):
        one, ten = [Viewer(one_port)], [Viewer(ten_port) for _ in range(10)]
        await watch_until_counted(one, ten, one_upstream)
        counts_one = {feed: one_upstream.count(feed) for feed in FEEDS}
        counts_ten = {feed: ten_upstream.count(feed) for feed in FEEDS}
        # Every session drew the collector's data (a crew name only the upstream knows).
        for viewer in one + ten:
            assert viewer.first_frame_s is not None, viewer.text[-500:]
        for feed in FEEDS:
            assert counts_one[feed] >= 1, feed
            # Position is asked every 2 s: the two servers started at different moments
            # (seconds apart on a loaded machine), so a few polls either way; ten pollers would
            # ask ten times as often (some fifty more).
            slack = 3 if feed == "position" else 0
            assert abs(counts_ten[feed] - counts_one[feed]) <= slack, (counts_one, counts_ten)
        assert counts_one["position"] >= MIN_POSITION_POLLS
        # Sessions closed: their processes go.
        for proc in (one_proc, ten_proc):
            deadline = time.monotonic() + 60  # generous, for a loaded machine
            while dashboards_of(proc.pid) and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            assert dashboards_of(proc.pid) == []
