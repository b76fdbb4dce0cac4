"""Issue 24: a feed that sent data dated in the future says so in words on the health strip,
not only in `status` (here the telemetry feed, after a TIME_000001 dated 40 h ahead)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from issdash.config.settings import load_settings
from issdash.core.runtime import Runtime
from issdash.feeds.clock import FrozenClock
from issdash.feeds.isslive import utc_to_timestamp
from issdash.feeds.poller import FeedUpdate
from issdash.model.station import StationModel
from issdash.tui.dashboard import IssDashApp
from issdash.widgets.feed_health import FeedHealthStrip

AT = datetime(2025, 4, 8, 12, 0, tzinfo=UTC)


async def test_the_strip_says_telemetry_was_dated_in_the_future(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On, but never started (start_feeds=False): its health is there to be drawn.
    monkeypatch.setenv("ISSDASH_FEEDS__TELEMETRY__ENABLED", "true")
    monkeypatch.setenv("ISSDASH_FEEDS__TELEMETRY__URL", "http://127.0.0.1:9")
    settings = load_settings(cache_dir=tmp_path)
    runtime = Runtime(settings, FrozenClock(AT))
    assert "telemetry" in runtime.store.state.feeds
    model = StationModel()
    ahead = f"{utc_to_timestamp(AT + timedelta(hours=40)):.8f}"
    model.apply_raw("TIME_000001", {"TimeStamp": ahead, "Status.Class": "24"}, AT)
    app = IssDashApp(runtime, start_feeds=False)
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        runtime.store.publish(FeedUpdate("telemetry", model, AT))
        await pilot.pause()
        text = app.query_one(FeedHealthStrip).render().plain
        assert "telemetry stale" in text
        assert "⚠ telemetry: 1 update dated in the future set aside" in text
