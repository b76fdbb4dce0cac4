"""Dashboards for tests, driven headless with a frozen clock, and ways to wait for and read them.

Shared by the test modules of tests/tui (and the house tests); no test module imports another.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from textual.pilot import Pilot

from issdash.config.settings import load_settings
from issdash.core.runtime import Runtime, load_demo_recording
from issdash.feeds.clock import FrozenClock
from issdash.feeds.registry import FEED_NAMES
from issdash.model.terminal.console_font import CONSOLE_CHARS
from issdash.tui.dashboard import IssDashApp
from scripts.fixtures.ms27_payloads import (
    DOCKED_BEFORE_MS27,
    ISS_CREW_BEFORE_MS27,
    MS27_CREW,
    SHENZHOU_19,
    TLE_TEXT,
    corquaid_docked,
    corquaid_people,
    ll2_dockings,
    ll2_launch,
    ll2_launches,
)

LONDON = "51.5074,-0.1278"
DEMO_START = datetime(2025, 4, 8, 5, 44, tzinfo=UTC)


def demo_app(observer: str | None = LONDON, at: datetime = DEMO_START) -> IssDashApp:
    overrides: dict[str, Any] = {"observer": observer} if observer else {}
    runtime = Runtime.for_demo(load_settings(**overrides), load_demo_recording(), FrozenClock(at))
    return IssDashApp(runtime)


async def settle(pilot: Pilot[None]) -> None:
    """Wait for the background pass search and the repaint after it."""
    app = pilot.app
    assert isinstance(app, IssDashApp)
    for _ in range(200):
        if app.passes is not None:
            break
        await pilot.pause(0.02)
    await pilot.pause()


def file_feeds_app(
    tmp_path: Path,
    at: datetime,
    observer: str | None = LONDON,
    timezone: str = "Asia/Almaty",
    **payloads: Any,
) -> IssDashApp:
    """The live dashboard reading the given payloads from files (other feeds off)."""
    feeds: dict[str, Any] = {}
    for feed in FEED_NAMES:
        if feed in payloads:
            path = tmp_path / f"{feed}.json"
            body = payloads[feed]
            path.write_text(body if isinstance(body, str) else json.dumps(body))
            feeds[feed] = {"url": path.as_uri()}
        else:
            feeds[feed] = {"enabled": False}
    overrides: dict[str, Any] = {"observer": observer} if observer else {}
    settings = load_settings(
        cache_dir=tmp_path / "cache", feeds=feeds, timezone=timezone, **overrides
    )
    return IssDashApp(Runtime(settings, FrozenClock(at), mode="live"))


async def wait_for_feeds(pilot: Pilot[None], *feeds: str) -> None:
    app = pilot.app
    assert isinstance(app, IssDashApp)
    for _ in range(250):
        state = app.runtime.store.state
        if (
            all(state.feeds[f].last_success_at is not None for f in feeds)
            and app.passes is not None
        ):
            break
        await pilot.pause(0.02)
    await pilot.pause()


def ms27_day_app(tmp_path: Path, at: datetime) -> IssDashApp:
    before_docking = at < datetime(2025, 4, 8, 8, 57, tzinfo=UTC)
    before_hatch = at < datetime(2025, 4, 8, 11, 28, tzinfo=UTC)
    crew_rows = ISS_CREW_BEFORE_MS27 + SHENZHOU_19 + ([] if before_hatch else MS27_CREW)
    # Launch Library reports the launch a success once it happened (it confirms the orbit
    # insertion, an estimate until then).
    launched = at > datetime(2025, 4, 8, 6, 0, tzinfo=UTC)
    return file_feeds_app(
        tmp_path,
        at,
        tle=TLE_TEXT,
        crew=corquaid_people(crew_rows),
        docked=corquaid_docked(DOCKED_BEFORE_MS27 if before_docking else None),
        launches=ll2_launches(
            ll2_launch(
                "Soyuz 2.1a | Soyuz MS-27",
                "2025-04-08T05:47:15Z",
                "Success" if launched else "Go",
            )
        ),
        dockings=ll2_dockings(),
    )


def screen_text(app: IssDashApp) -> str:
    """Every character on the screen as drawn (after the app's line filters)."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=False)


def foreign(text: str) -> set[str]:
    """The characters of `text` the Linux console's font cannot draw."""
    return {c for c in text if c not in CONSOLE_CHARS and c != "\n"}
