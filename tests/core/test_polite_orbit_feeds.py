"""The orbit feeds ask politely: NASA's trajectory at most every 6 h, CelesTrak's GP and its
supplemental GP each at most every 2 h, neither waiting for the other, across restarts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from issdash.config.settings import load_settings
from issdash.core import runtime as runtime_module
from issdash.core.runtime import Runtime
from issdash.feeds.clock import FrozenClock, SystemClock
from issdash.feeds.registry import FEED_NAMES, OEM, SUPGP, TLE, gate_key, shared_limits_by_host
from scripts.fixtures.faultserver import FaultServer

AT = datetime(2025, 4, 8, 6, 0, tzinfo=UTC)


def test_the_shipped_spacing_of_the_orbit_feeds() -> None:
    limits = shared_limits_by_host()
    assert limits[gate_key(OEM.url, OEM.spacing_per_path)] == 6 * 3600.0 == OEM.interval_s
    # One CelesTrak host, two resources: each spaced 2 h on its own.
    tle, supgp = gate_key(TLE.url, True), gate_key(SUPGP.url, True)
    assert tle != supgp and limits[tle] == limits[supgp] == 7200.0
    assert "celestrak.org" not in limits


async def _start_once(
    server: FaultServer, cache: Path, wait: Callable[[], bool], deadline_s: float
) -> None:
    feeds: dict[str, Any] = {n: {"enabled": False} for n in FEED_NAMES}
    for name in ("tle", "supgp"):
        feeds[name] = {"url": server.url(name), "timeout_s": 5.0}
    runtime = Runtime(load_settings(cache_dir=cache, feeds=feeds), SystemClock(), mode="live")
    runtime.load_fallbacks()
    runtime.start()
    deadline = time.monotonic() + deadline_s
    while not wait() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.3)  # time for any request that should not be made
    await runtime.stop()


@pytest.mark.parametrize("per_path", [True, False], ids=["per path", "one host"])
async def test_two_feeds_on_one_host_are_spaced_each_on_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, per_path: bool
) -> None:
    """Per path (CelesTrak's GP and supplemental GP): both asked at once, and neither again
    after a restart within the spacing. One gate for the host (Launch Library's kind) would
    have the second wait the whole spacing for the first: the difference is the point."""
    with FaultServer("good") as server:
        host = f"127.0.0.1:{server.port}"
        keys = [f"127.0.0.1/{n}" for n in ("tle", "supgp")] if per_path else ["127.0.0.1"]
        monkeypatch.setattr(runtime_module, "SHARED_LIMITS_BY_HOST", dict.fromkeys(keys, 600.0))
        assert server.url("tle").startswith(f"http://{host}/")
        for _ in range(2):
            both = lambda: server.count("tle") + server.count("supgp") >= 2  # noqa: E731
            # One host: the second never comes within the test; a second is enough to see it.
            await _start_once(server, tmp_path / "cache", both, 5.0 if per_path else 1.0)
        counts = (server.count("tle"), server.count("supgp"))
    if per_path:
        assert counts == (1, 1)
    else:
        assert sorted(counts) == [0, 1]


def _oem_runtime(url: str, cache: Path, clock: FrozenClock) -> Runtime:
    feeds: dict[str, Any] = {n: {"enabled": False} for n in FEED_NAMES}
    feeds["oem"] = {"url": url}
    return Runtime(load_settings(cache_dir=cache, feeds=feeds), clock)


async def test_conditional_requests_keep_the_trajectory_on_a_304_across_restarts(
    tmp_path: Path,
) -> None:
    """The server answers 304 (no body) when the request holds its validators: the feed is
    ok, its fetch time moves, the trajectory and its age stay; after a restart the validators
    come from the cache, so the first request is conditional too."""
    clock = FrozenClock(AT)
    with FaultServer("good") as server:
        url = server.url("oem")
        runtime = _oem_runtime(url, tmp_path / "cache", clock)
        await runtime.gather_once(10.0)
        first = runtime.store.state.latest(OEM)
        assert first is not None and (server.count("oem"), server.not_modified("oem")) == (1, 0)

        clock.advance(7 * 3600)
        await runtime.gather_once(10.0)
        again = runtime.store.state.latest(OEM)
        assert (server.count("oem"), server.not_modified("oem")) == (2, 1)
        assert again is not None and again.value == first.value
        assert again.received_at == AT + timedelta(hours=7)  # fetched now
        health = runtime.store.state.feeds["oem"]
        assert health.state(clock.now()) == "ok" and health.last_error is None
        assert health.data_time == first.value.header.created  # as old as it was
        await runtime.stop()

        # A restart: the cached answer's validators make the first request conditional.
        clock.advance(7 * 3600)
        restarted = _oem_runtime(url, tmp_path / "cache", clock)
        restarted.load_fallbacks()
        await restarted.gather_once(10.0)
        assert (server.count("oem"), server.not_modified("oem")) == (3, 2)
        latest = restarted.store.state.latest(OEM)
        assert latest is not None and latest.value == first.value and not latest.from_cache
        assert latest.received_at == AT + timedelta(hours=14)
        await restarted.stop()
