"""The dashboard reading NASA's trajectory (a file shaped like the 2022-02-11 sample) counts
down to its reboost in the Next event panel and names it on the mission bar."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from textual.widgets import Digits, Static

from issdash.config.settings import ALL_FEEDS, load_settings
from issdash.core.runtime import Runtime
from issdash.feeds.clock import FrozenClock
from issdash.tui.dashboard import IssDashApp
from issdash.widgets.mission_bar import MissionBar
from tests.support.dashboards import screen_text
from tests.support.oem_sample import REBOOST_2022, kvn_2022

NOW = REBOOST_2022 - timedelta(days=2, hours=3, minutes=14, seconds=30)


def oem_app(tmp_path: Path) -> IssDashApp:
    path = tmp_path / "ISS.OEM_J2K_EPH.txt"
    path.write_text(kvn_2022())
    feeds: dict[str, Any] = {name: {"enabled": False} for name in ALL_FEEDS}
    feeds["oem"] = {"url": path.as_uri()}
    settings = load_settings(cache_dir=tmp_path / "cache", feeds=feeds, timezone="UTC")
    return IssDashApp(Runtime(settings, FrozenClock(NOW), mode="live"))


async def test_the_next_event_panel_counts_down_to_the_reboost(tmp_path: Path) -> None:
    app = oem_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(250):
            if app.runtime.store.state.oem is not None:
                break
            await pilot.pause(0.02)
        app._tick()
        await pilot.pause()
        head = str(app.query_one("#next-event-head", Static).content)
        when = str(app.query_one("#next-event-when", Static).content)
        digits = app.query_one("#next-event-digits", Digits).value
        assert head.startswith("REBOOST  0.4 m/s"), head
        assert "GMT057 Reboost" in head
        assert when.startswith("in 2d 03:14  01:37:00Z  planned"), when
        assert "a plan, not confirmed" in when
        assert digits == "2d 03:14:30"
        bar = app.query_one(MissionBar)
        assert bar.view is not None and bar.view.burn == "Reboost 0.4 m/s in 2d 03:14, planned"
        # On screen after the clock (and here its warning: a 2022 clock is "before 2024").
        assert "Reboost 0.4 m/s" in screen_text(app).splitlines()[0]
