"""Dashboards sharing one poller through a real Redis (Debian's `redis-server`, installed
when absent, started on a free loopback port), against a counting upstream on 127.0.0.1.

Each dashboard here is a `Runtime` (what the dashboard runs on) in this test's event loop:
the same bus code as in a kiosk, with its state visible to the test.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from issdash.core.runtime import Runtime
from scripts.fixtures.faultserver import FaultServer
from scripts.fixtures.fleet import bus_dashboard
from tests.support.redisproc import RedisProcess, redis_process

__all__ = ["redis_process"]  # the fixture, used by name

# Real processes and servers, many seconds each: `make check` skips them, `make test` runs them.
pytestmark = pytest.mark.slow


POSITION_INTERVAL_S = 2.0


def dashboard(upstream: FaultServer, redis_port: int, cache: Path) -> Runtime:
    return bus_dashboard(upstream, redis_port, cache, POSITION_INTERVAL_S)


async def until(predicate: object, timeout_s: float) -> bool:
    assert callable(predicate)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.1)
    return bool(predicate())


def leading(runtime: Runtime) -> bool:
    return bool(runtime.bus_member is not None and runtime.bus_member.leading)


def bus_notices(runtime: Runtime) -> list[str]:
    return [n for n in runtime.store.state.notices if n.startswith("bus: ")]


async def test_dashboards_share_one_poller_hand_over_and_fall_back(
    redis_process: RedisProcess, tmp_path: Path
) -> None:
    with FaultServer() as upstream:
        first = dashboard(upstream, redis_process.port, tmp_path / "a")
        # The second starts once the first holds the lease (it was a fixed 0.5 s): either may
        # lead below, this only keeps their starts apart as they were meant to be.
        await until(lambda: leading(first), 60)
        second = dashboard(upstream, redis_process.port, tmp_path / "b")
        try:
            # Both have the crew; one of them asked for it, once.
            assert await until(
                lambda: first.store.state.crew is not None and second.store.state.crew is not None,
                15,
            )
            await asyncio.sleep(3 * POSITION_INTERVAL_S)
            assert [leading(first), leading(second)].count(True) == 1
            assert upstream.count("crew") == 1
            assert upstream.count("tle") == 1
            positions = upstream.count("position")
            await asyncio.sleep(5 * POSITION_INTERVAL_S)
            # One poller's worth of position requests, not two.
            assert upstream.count("position") - positions <= 5 + 1
            assert first.store.state.feeds["position"].last_success_at is not None
            assert second.store.state.feeds["position"].last_success_at is not None

            # The leader dies (no goodbye: its lease just stops being renewed).
            leader, follower = (first, second) if leading(first) else (second, first)
            await leader.stop()
            # The lease runs out after about two intervals; the deadlines are for a loaded machine.
            assert await until(lambda: leading(follower), 60)
            before = upstream.count("position")
            assert await until(lambda: upstream.count("position") > before, 60)
            # The new poller does not ask again what the shared answers already hold.
            assert upstream.count("crew") == 1
            assert upstream.count("tle") == 1

            # Redis goes away: the dashboard says so and polls upstream itself.
            redis_process.stop()
            assert await until(lambda: bus_notices(follower) != [], 15)
            assert "polling upstream directly" in bus_notices(follower)[0]
            before = upstream.count("position")
            assert await until(lambda: upstream.count("position") > before + 1, 15)

            # Redis is back: the notice goes, and the dashboard is on the bus again.
            redis_process.start()
            assert await until(lambda: bus_notices(follower) == [] and leading(follower), 40)
            before = upstream.count("position")
            assert await until(lambda: upstream.count("position") > before, 10)
        finally:
            await first.stop()
            await second.stop()
