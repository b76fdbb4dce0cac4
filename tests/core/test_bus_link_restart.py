"""A dashboard's Redis bus link that ends (a bug the watchdog restarts it for) stops the
pollers it started: one poller per feed, always (issue 24 case 3: the old leader's pollers
were never stopped, and two dashboards polled upstream)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis.asyncio as redis

from issdash.config.settings import FEED_NAMES
from issdash.core import bus_link
from issdash.feeds.bus import encode
from issdash.feeds.bus_redis import CHANNEL
from issdash.feeds.clock import SystemClock
from issdash.feeds.recording import Entry
from scripts.fixtures.faultserver import FaultServer
from scripts.fixtures.fleet import bus_dashboard
from tests.support.redisproc import RedisProcess, redis_process

__all__ = ["redis_process"]  # the fixture, used by name

# A real redis-server: `make check` skips it, `make test` runs it.
pytestmark = pytest.mark.slow


async def until(predicate: Callable[[], bool], timeout_s: float = 20) -> bool:
    """The deadline is for a loaded machine; the wait ends as soon as it holds."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.02)
    return predicate()


async def test_a_bus_link_that_ends_stops_the_pollers_it_started(
    redis_process: RedisProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FaultServer() as upstream:
        runtime = bus_dashboard(upstream, redis_process.port, tmp_path)
        try:
            first = runtime.bus_member
            assert first is not None
            assert await until(lambda: first.leading and len(runtime.pollers) == len(FEED_NAMES))

            # A bug in what the link does with an answer ends its task.
            async def broken(*_: object) -> None:
                raise RuntimeError("a bug")

            monkeypatch.setattr(bus_link, "apply_entry", broken)
            client = redis.from_url(f"redis://127.0.0.1:{redis_process.port}/0")
            entry = Entry("crew", "u", SystemClock().now(), 200, "", "{}")
            message = json.dumps({"from": "another", "entry": encode(entry).decode()})
            await client.publish(CHANNEL, message)
            await client.aclose()
            assert await until(lambda: runtime.watchdog() == ["bus"])
            # Its pollers went with it, before the watchdog started a new link.
            assert runtime.bus_member is not first
            assert runtime.pollers == {}
        finally:
            await runtime.stop()
