"""Dashboards sharing one poller through a real Redis (Debian's `redis-server`, installed
when absent, started on a free loopback port), against a counting upstream on 127.0.0.1.

Each dashboard here is a `Runtime` (what the dashboard runs on) in this test's event loop:
the same bus code as in a kiosk, with its state visible to the test.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from issdash.config.settings import FEED_NAMES, Settings
from issdash.core.runtime import Runtime
from issdash.feeds.clock import SystemClock
from scripts.browser_check import free_port, wait_for_port
from scripts.fixtures.faultserver import FaultServer

# Real processes and servers, many seconds each: `make check` skips them, `make test` runs them.
pytestmark = pytest.mark.slow


POSITION_INTERVAL_S = 2.0


def redis_server_binary() -> str:
    path = shutil.which("redis-server")
    if path:
        return path
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("redis-server is not installed and cannot be installed (need root, apt-get)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "redis-server"]
    if subprocess.run(install, env=env, stdout=subprocess.DEVNULL, check=False).returncode:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=True)
        subprocess.run(install, env=env, stdout=subprocess.DEVNULL, check=True)
    path = shutil.which("redis-server")
    assert path, "apt-get installed redis-server but it is not on PATH"
    return path


class RedisProcess:
    def __init__(self, port: int, folder: Path) -> None:
        self.port = port
        self.folder = folder
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                redis_server_binary(),
                "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                "--appendonly", "no", "--dir", str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for_port(self.port, 10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def redis_process(tmp_path: Path) -> Iterator[RedisProcess]:
    server = RedisProcess(free_port(), tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def dashboard(upstream: FaultServer, redis_port: int, cache: Path) -> Runtime:
    feeds = {n: {"url": upstream.url(n)} for n in FEED_NAMES}
    feeds["position"]["interval_s"] = POSITION_INTERVAL_S  # type: ignore[assignment]
    feeds["telemetry"] = {"enabled": False}  # type: ignore[dict-item]  # no stream server here
    settings = Settings(
        feeds=feeds,  # type: ignore[arg-type]
        bus=f"redis://127.0.0.1:{redis_port}/0",
        cache_dir=cache,
    )
    runtime = Runtime(settings, SystemClock(), mode="live")
    runtime.load_fallbacks()
    runtime.start()
    return runtime


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
        await asyncio.sleep(0.5)
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
