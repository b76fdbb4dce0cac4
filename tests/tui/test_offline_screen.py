"""The dashboard with no network: it must not look live, and what it does not know it says it
does not know (never "nothing scheduled", "none docked" or an empty roster)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.widgets import Static

from issdash.config.settings import load_settings
from issdash.core import runtime as runtime_module
from issdash.core.runtime import Runtime
from issdash.feeds.clock import FrozenClock
from issdash.feeds.registry import FEED_NAMES
from issdash.tui.dashboard import IssDashApp
from issdash.widgets.alert_banner import AlertBanner
from issdash.widgets.crew_roster import CrewRoster
from issdash.widgets.mission_bar import MissionBar
from scripts.fixtures.ms27_payloads import TLE_TEXT

AT = datetime(2025, 4, 8, 12, 0, tzinfo=UTC)
FEEDS = FEED_NAMES


def shown(app: IssDashApp, part: str) -> str:
    """The text of one part of the countdown panel."""
    content: Any = app.query_one(f"#next-event-{part}", Static).content
    return content.plain if isinstance(content, Text) else str(content)


async def wait_for(pilot: Any, condition: Any) -> None:
    for _ in range(300):
        if condition():
            return
        await pilot.pause(0.02)
    raise AssertionError("condition never met")


async def test_offline_with_a_feed_still_queued_says_offline_and_not_known(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As on a machine without network: every feed fails except one that waits its turn (a
    # shared rate limit, 10 min here too: its host answered a minute ago, said the record of
    # an earlier run; a failed attempt would not count).
    monkeypatch.setattr(runtime_module, "SHARED_LIMITS_BY_HOST", {"127.0.0.2": 600.0})
    feeds = {
        f: {"url": f"http://{'127.0.0.2' if f == 'dockings' else 'localhost'}:9/{f}"} for f in FEEDS
    }
    cache = tmp_path / "empty"
    cache.mkdir()
    (cache / runtime_module.GATE_RECORD_FILE).write_text('{"127.0.0.2": "2025-04-08T11:59:00Z"}')
    clock = FrozenClock(AT)
    runtime = Runtime(load_settings(cache_dir=cache, feeds=feeds), clock)
    app = IssDashApp(runtime)
    async with app.run_test(size=(120, 40)) as pilot:
        state = runtime.store.state
        await wait_for(
            pilot,
            lambda: (
                sum(h.last_error is not None for h in runtime.store.state.feeds.values())
                == len(FEEDS) - 1
            ),
        )
        state = runtime.store.state
        assert state.feeds["dockings"].last_attempt_at is None  # never asked yet
        clock.advance(30)  # its first answer is now overdue
        app._tick()
        await pilot.pause()
        bar = app.query_one(MissionBar).render().plain
        assert "LIVE" not in bar and "OFFLINE" in bar
        assert "nothing received · try issdash --demo" in bar
        banner = app.query_one(AlertBanner)
        assert (
            banner.has_class("-shown") and f"ALL {len(FEEDS)} FEEDS DOWN" in banner.render().plain
        )
        # Not known, in words, with the reason; never "nothing".
        assert shown(app, "head").startswith("Schedule not known")
        assert "Nothing scheduled" not in shown(app, "head")
        assert "launches: cannot connect" in shown(app, "when")
        docked = shown(app, "docked")
        assert "NOT KNOWN" in docked and "none" not in docked and "(0)" not in docked
        crew = str(app.query_one(CrewRoster).render())
        assert "NOT KNOWN" in crew and "crew: cannot connect" in crew


async def test_one_feed_down_is_live_with_the_count_in_the_badge_colour(tmp_path: Path) -> None:
    tle = tmp_path / "iss.tle"
    tle.write_text(TLE_TEXT)
    feeds: dict[str, Any] = {f: {"enabled": False} for f in FEEDS}
    feeds["tle"] = {"url": tle.as_uri()}
    feeds["position"] = {"url": "http://localhost:9/iss"}
    runtime = Runtime(load_settings(cache_dir=tmp_path / "c", feeds=feeds), FrozenClock(AT))
    app = IssDashApp(runtime)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: runtime.store.state.feeds["position"].last_error is not None)
        app._tick()
        await pilot.pause()
        widget = app.query_one(MissionBar)
        line = widget.build_lines()[0]
        assert " LIVE · 1 down " in line.plain
        start = line.plain.index(" LIVE · 1 down ")
        badge_style = next(s.style for s in line.spans if s.start == start)
        assert badge_style == widget.component_style("mission-bar--degraded")
        assert badge_style != widget.component_style("mission-bar--live")
