"""The short soak (2 h simulated, in a few seconds): the long one is `make soak`."""

from __future__ import annotations

import pytest

from scripts.soak import MAX_PEAK_RSS_MB, soak

# Simulated hours of feeds, many seconds each: `make check` skips them, `make test` runs them.
pytestmark = pytest.mark.slow


async def test_short_soak_runs_clean() -> None:
    report = await soak(hours=2.0, speed=1000.0, seed=7)
    assert report["unhandled_exceptions"] == 0, report["error_samples"]
    # No kind of task more numerous at the end than after warm-up (a leak), counted by kind
    # over two end snapshots: the total alone flickered by one with a task that came and went.
    assert report["asyncio_tasks"]["grown"] == {}, report["asyncio_tasks"]
    assert report["timers"]["warm_up"] == report["timers"]["end"]
    for feed, polls in report["http_polls"].items():
        assert polls["requests"] >= 2, feed  # the faulty feeds were really polled
        if polls["shortest_gap_s"] is not None:
            # Never faster than the feed's interval, whatever the faults and retries.
            assert polls["shortest_gap_s"] >= 0.98 * polls["interval_s"], (feed, polls)


async def test_short_hostile_soak_runs_clean() -> None:
    """Every feed but the elements answered by the fault server's hostile scenario (stacked
    and unknown encodings, a 64 MB gzip bomb, exotic charsets, endless bodies, off-site
    redirects, 10,000-entry lists): nothing unhandled, memory bounded."""
    report = await soak(
        hours=1.0, speed=1000.0, seed=11, scenario="hostile", bomb_bytes=256 * 1024 * 1024
    )
    assert report["unhandled_exceptions"] == 0, report["error_samples"]
    # In a test session the process already holds everything earlier tests built: what the
    # soak adds is what counts (scripts/soak.py, alone, checks the absolute peak).
    rss = report["rss_mb"]
    assert rss["peak"] - rss["at_start"] < MAX_PEAK_RSS_MB / 2, rss
    assert report["timers"]["warm_up"] == report["timers"]["end"]
    assert sum(p["requests"] for p in report["http_polls"].values()) >= 6
