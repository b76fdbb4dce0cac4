"""The feeds bar in a replay: a feed its recording never answered (the MS-27 day predates NASA's
trajectory and CelesTrak's fitted elements) is not replayed, so it is left out, neither down
nor "off"; live, a feed switched off is still said to be off."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from issdash.config.settings import load_settings
from issdash.core.runtime import Runtime
from issdash.feeds.clock import FrozenClock
from issdash.feeds.registry import FEED_NAMES
from issdash.widgets.feed_health import FeedHealthStrip
from tests.support.dashboards import demo_app

AT = datetime(2025, 4, 8, 6, 0, tzinfo=UTC)


async def test_a_replay_leaves_out_the_feeds_it_never_recorded() -> None:
    app = demo_app()
    assert {"oem", "supgp"} <= app.runtime.not_recorded
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        text = app.query_one(FeedHealthStrip).render().plain
    recorded = [n for n in FEED_NAMES if n not in ("oem", "supgp")]
    assert all(f" {n}" in text for n in recorded), text
    assert "oem" not in text and "supgp" not in text and "off" not in text


async def test_live_a_feed_switched_off_is_said_to_be_off(tmp_path: Path) -> None:
    from issdash.tui.dashboard import IssDashApp

    feeds = {n: {"enabled": n != "oem", "url": "http://127.0.0.1:9/x"} for n in FEED_NAMES}
    runtime = Runtime(load_settings(cache_dir=tmp_path, feeds=feeds), FrozenClock(AT))
    assert runtime.not_recorded == frozenset()
    app = IssDashApp(runtime, start_feeds=False)
    async with app.run_test(size=(200, 60)) as pilot:
        await pilot.pause()
        text = app.query_one(FeedHealthStrip).render().plain
    assert "off: oem" in text and " supgp" in text
