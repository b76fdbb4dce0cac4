"""The dashboard's start (issue 26): what its first frame does not draw is not loaded, looked up
or started before it. The pass planner (its screen, table, sky chart and their models) loads
when first shown; a live dashboard's feeds, and with them the network clients, start once the
first frame is laid out from the cache and the bundled elements; the observer's zone is looked up
in the pass search's thread, never on the event loop. Import checks run in a fresh interpreter
(tests.support.processes.run_isolated), where nothing else has loaded those modules."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from issdash.feeds.values import Observer
from tests.support.dashboards import demo_app, settle
from tests.support.processes import run_isolated

# The planner's own modules: nothing on the dashboard's first screen needs them.
PLANNER_MODULES = (
    "issdash.widgets.passes.planner",
    "issdash.widgets.passes.sky_chart",
    "issdash.model.passes.planner",
    "issdash.model.passes.sky_chart",
    "textual.widgets._data_table",
)


def test_the_planner_loads_when_its_screen_is_first_opened() -> None:
    result = run_isolated(
        f"""
        import asyncio, json, sys
        from tests.support.dashboards import demo_app, settle, screen_text

        PLANNER = {PLANNER_MODULES!r}

        async def main():
            app = demo_app()
            async with app.run_test(size=(120, 40)) as pilot:
                await settle(pilot)  # the first frame, and the pass search's passes
                drawn = "Crew aboard the ISS" in screen_text(app)
                before = [m for m in PLANNER if m in sys.modules]
                await pilot.press("p")
                await pilot.pause()
                opened = type(app.screen).__name__
                after = [m for m in PLANNER if m in sys.modules]
            return {{"drawn": [str(drawn)], "before": before, "opened": [opened], "after": after}}

        print(json.dumps(asyncio.run(main())))
        """
    )
    assert result["drawn"] == ["True"]
    assert result["before"] == []
    assert result["opened"] == ["PassPlannerScreen"]
    assert result["after"] == list(PLANNER_MODULES)


def test_live_feeds_and_their_clients_start_after_the_first_frame() -> None:
    """Every feed at a closed local port and a fresh cache: the first frame is the bundled
    elements' map; only then do the pollers and the telemetry stream start, and the HTTP and
    Lightstreamer clients load."""
    result = run_isolated(
        """
        import asyncio, json, sys, tempfile
        from datetime import UTC, datetime
        from pathlib import Path
        from issdash.config.settings import FEED_NAMES, load_settings
        from issdash.core.runtime import Runtime
        from issdash.feeds.clock import FrozenClock
        from issdash.tui.dashboard import IssDashApp
        from issdash.widgets.mission_bar import MissionBar

        CLIENTS = ("httpx", "lightstreamer")
        feeds = {name: {"url": "http://127.0.0.1:9/x"} for name in FEED_NAMES}
        feeds["telemetry"] = {"url": "http://127.0.0.1:9"}
        cache = Path(tempfile.mkdtemp()) / "cache"
        settings = load_settings(cache_dir=cache, feeds=feeds)
        runtime = Runtime(settings, FrozenClock(datetime(2025, 4, 8, 6, tzinfo=UTC)), "live")
        app = IssDashApp(runtime)
        seen = {}
        start = runtime.start

        def started():
            # The first tick's views are drawn (the top bar's, from the bundled elements and
            # the clock) and the screen laid out around them.
            seen["views drawn"] = [str(app.query_one(MissionBar).view is not None)]
            seen["map laid out"] = [str(app.query_one("#map").size.width > 0)]
            seen["clients then"] = [m for m in CLIENTS if m in sys.modules]
            seen["pollers then"] = sorted(runtime.pollers)
            start()

        runtime.start = started

        async def main():
            async with app.run_test(size=(120, 40)) as pilot:
                await pilot.pause()
                seen["clients after"] = [m for m in CLIENTS if m in sys.modules]
                seen["pollers after"] = sorted(runtime.pollers)
            return seen

        print(json.dumps(asyncio.run(main())))
        """
    )
    assert result["views drawn"] == ["True"]
    assert result["map laid out"] == ["True"]
    assert result["clients then"] == []
    assert result["pollers then"] == []
    # Then it did start: every polled feed, and the HTTP client with them.
    assert "tle" in result["pollers after"]
    assert "httpx" in result["clients after"]


async def test_the_observers_zone_is_looked_up_off_the_event_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """From coordinates the lookup builds a TimezoneFinder (~145 ms): done in the pass
    search's thread, and only then are pass times said in it."""
    import issdash.config.place as place

    looked_up: list[bool] = []
    real = place.with_timezone

    def recorded(observer: Observer, *args: Any, **kwargs: Any) -> Observer:
        looked_up.append(threading.current_thread() is threading.main_thread())
        return real(observer, *args, **kwargs)

    monkeypatch.setattr(place, "with_timezone", recorded)
    app = demo_app()  # an observer in London, given by coordinates
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.passes
        zone = app.passes_control.zone(app.clock.now())
    assert looked_up == [False]  # once, in the search's thread
    assert str(zone) == "Europe/London"
