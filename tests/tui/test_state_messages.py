"""State changes reach the app as one Textual message per burst (`StateChanged.can_replace`)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from issdash.config.settings import load_settings
from issdash.core.runtime import Runtime
from issdash.feeds.clock import FrozenClock
from issdash.feeds.poller import FeedFailure
from issdash.tui.dashboard import IssDashApp
from issdash.tui.messages import StateChanged
from issdash.widgets.feed_health import FeedHealthStrip

AT = datetime(2025, 4, 8, 12, 0, tzinfo=UTC)
BURST = ("position", "crew", "astros", "docked", "launches")


class CountingApp(IssDashApp):
    handled = 0

    def on_state_changed(self, message: StateChanged) -> None:
        self.handled += 1
        super().on_state_changed(message)


async def test_a_burst_of_feed_events_is_drawn_once_from_the_latest_state(tmp_path: Path) -> None:
    runtime = Runtime(load_settings(cache_dir=tmp_path), FrozenClock(AT))
    app = CountingApp(runtime, start_feeds=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        before = app.handled
        # As at start-up: several feeds publish one after another, with no await between.
        for name in BURST:
            runtime.store.publish(FeedFailure(name, f"{name} broke", AT, 60.0))
        await pilot.pause()
        assert app.handled - before == 1
        strip = app.query_one(FeedHealthStrip)
        # Drawn from the newest snapshot: every feed of the burst shows as failing.
        assert strip.view is not None
        assert all(strip.view.feeds[n].last_error for n in BURST)
