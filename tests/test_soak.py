"""The short soak (2 h simulated, in a few seconds): the long one is `make soak`."""

from __future__ import annotations

from scripts.soak import soak


async def test_short_soak_runs_clean() -> None:
    report = await soak(hours=2.0, speed=1000.0, seed=7)
    assert report["unhandled_exceptions"] == 0, report["error_samples"]
    assert report["asyncio_tasks"]["warm_up"] == report["asyncio_tasks"]["end"]
    assert report["timers"]["warm_up"] == report["timers"]["end"]
    for feed, polls in report["http_polls"].items():
        assert polls["requests"] >= 2, feed  # the faulty feeds were really polled
        if polls["shortest_gap_s"] is not None:
            # Never faster than the feed's interval, whatever the faults and retries.
            assert polls["shortest_gap_s"] >= 0.98 * polls["interval_s"], (feed, polls)
