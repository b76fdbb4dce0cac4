"""One collector, many viewers: `issdash serve` polls each upstream once however many
browser sessions it serves.

Two real `issdash serve` processes run side by side for the same time, each against its own
counting upstream (scripts.fixtures.faultserver on 127.0.0.1): one with a single session, one with
ten. Every feed must have been asked as often by the ten-session server as by the one-session one.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import aiohttp
import pytest

from scripts.fixtures.faultserver import FEEDS, FaultServer
from scripts.fixtures.serve_harness import dashboards_of, open_session, running_serve

# Real processes and servers, many seconds each: `make check` skips them, `make test` runs them.
pytestmark = pytest.mark.slow


# Half a minute at the fastest position interval allowed but one: about fifteen position polls
# for one session's server, where ten pollers would make over a hundred (the difference looked
# for). It ran 120 s, then 60 s, the longest test of the suite; the count, not the time, is what
# tells one poller from ten, and ten sessions are drawn well inside it even on a loaded machine.
RUN_S = float(os.environ.get("ISSDASH_TEST_SERVE_RUN_S", "30"))
POSITION_INTERVAL_S = 2.0


def feed_env(server: FaultServer, cache_dir: Path) -> dict[str, str]:
    env = {"ISSDASH_CACHE_DIR": str(cache_dir), "ISSDASH_LOG_FILE": str(cache_dir / "log")}
    for feed in FEEDS:
        env[f"ISSDASH_FEEDS__{feed.upper()}__URL"] = server.url(feed)
    env["ISSDASH_FEEDS__POSITION__INTERVAL_S"] = str(POSITION_INTERVAL_S)
    # The telemetry stream has no server here (the bus carries it: tests/test_bus.py).
    env["ISSDASH_FEEDS__TELEMETRY__ENABLED"] = "false"
    return env


class Viewer:
    """One browser session that keeps reading its screen, as a browser does."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.text = ""
        self.first_frame_s: float | None = None

    async def run(self, seconds: float, expect: str) -> None:
        started = time.monotonic()
        session, ws = await open_session(self.port)
        try:
            async with asyncio.timeout(seconds):
                async for message in ws:
                    if message.type != aiohttp.WSMsgType.BINARY:
                        continue
                    self.text = (self.text + message.data.decode("utf-8", "replace"))[-200_000:]
                    if self.first_frame_s is None and expect in self.text:
                        self.first_frame_s = time.monotonic() - started
        except TimeoutError:
            pass
        finally:
            await ws.close()
            await session.close()


async def watch(port: int, viewers: int, seconds: float) -> list[Viewer]:
    sessions = [Viewer(port) for _ in range(viewers)]
    await asyncio.gather(*(v.run(seconds, "Aleksey Ovchinin") for v in sessions))
    return sessions


async def test_ten_sessions_ask_the_upstreams_no_more_than_one(tmp_path: Path) -> None:
    with (
        FaultServer() as one_upstream,
        FaultServer() as ten_upstream,
        running_serve(env=feed_env(one_upstream, tmp_path / "one")) as (one_port, one_proc),
        running_serve(env=feed_env(ten_upstream, tmp_path / "ten")) as (ten_port, ten_proc),
    ):
        one, ten = await asyncio.gather(watch(one_port, 1, RUN_S), watch(ten_port, 10, RUN_S))
        counts_one = {feed: one_upstream.count(feed) for feed in FEEDS}
        counts_ten = {feed: ten_upstream.count(feed) for feed in FEEDS}
        # Every session drew the collector's data (a crew name only the upstream knows).
        for viewer in one + ten:
            assert viewer.first_frame_s is not None, viewer.text[-500:]
        for feed in FEEDS:
            assert counts_one[feed] >= 1, feed
            # Position is asked every 2 s: the two servers started at different moments
            # (seconds apart on a loaded machine), so a few polls either way; ten pollers would
            # ask ten times as often (over a hundred more).
            slack = 3 if feed == "position" else 0
            assert abs(counts_ten[feed] - counts_one[feed]) <= slack, (counts_one, counts_ten)
        assert counts_one["position"] >= RUN_S / POSITION_INTERVAL_S / 2
        # Sessions closed: their processes go.
        for proc in (one_proc, ten_proc):
            deadline = time.monotonic() + 60  # generous, for a loaded machine
            while dashboards_of(proc.pid) and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            assert dashboards_of(proc.pid) == []
