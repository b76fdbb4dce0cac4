"""Regenerate the SVG screenshots in screenshots/ (run by `make screenshots`).

The dashboard replays the bundled Soyuz MS-27 recording headless, with the clock frozen at
chosen moments of the day and an observer in London, so the pictures are reproducible (a
moment's banner is kept up for the shot). One more
is the live dashboard with no network and an empty cache (every feed pointed where nothing
listens), on the same day: what it says when it knows nothing.
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from issdash.config.settings import ALL_FEEDS, load_settings  # noqa: E402
from issdash.core.runtime import Runtime, bundled_path, load_demo_recording  # noqa: E402
from issdash.feeds.clock import FrozenClock  # noqa: E402
from issdash.model.kiosk import KioskController  # noqa: E402
from issdash.model.visits.moments import MomentTracker  # noqa: E402
from issdash.tui.dashboard import IssDashApp  # noqa: E402

DAY = datetime(2025, 4, 8, tzinfo=UTC)
SHOTS: list[tuple[str, tuple[int, int], datetime, list[str]]] = [
    # Waiting for docking: the countdown, the timeline, the crew of seven.
    ("dashboard-120x40", (120, 40), DAY.replace(hour=8), []),
    ("dashboard-80x24", (80, 24), DAY.replace(hour=8), []),
    # Three minutes before launch, where the replay starts.
    ("launch-120x40", (120, 40), DAY.replace(hour=5, minute=44), []),
    # Docking: the moment's banner, the timeline moving on (once the docked list lists the
    # vehicle, at 09:05: before it only the schedule says it docked).
    ("docking-120x40", (120, 40), DAY.replace(hour=9, minute=5, second=5), []),
    # After the hatches opened: ten aboard, and Open Notify not caught up yet.
    ("hatch-open-120x40", (120, 40), DAY.replace(hour=11, minute=45), []),
    ("help-120x40", (120, 40), DAY.replace(hour=8), ["question_mark"]),
]


async def shoot(
    name: str, size: tuple[int, int], at: datetime, keys: list[str], out: Path, **settings_: Any
) -> Path:
    settings = load_settings(observer="51.5074,-0.1278", timezone="Europe/London", **settings_)
    app = IssDashApp(Runtime.for_demo(settings, load_demo_recording(), FrozenClock(at)))
    # A moment's banner lasts seconds of real time; the shot may take longer to set up.
    app.moments = MomentTracker(show_for_s=3600.0)
    async with app.run_test(size=size) as pilot:
        state = app.runtime.store.state
        for _ in range(250):  # feeds answer and the pass search runs in a thread: wait
            state = app.runtime.store.state
            enabled = [h for h in state.feeds.values() if h.enabled]
            if app.passes is not None and all(h.last_attempt_at for h in enabled):
                break
            await pilot.pause(0.02)
        for key in keys:
            await pilot.press(key)
        await pilot.pause()
        path = out / f"{name}.svg"
        app.save_screenshot(str(path.name), path=str(out))
    return path


# The Linux console's 80x25 (what TERM=linux chooses): the map in block elements and every
# character one the console font has (docs/kiosk.md). The SVG shows the characters in its own
# font and in truecolour; on the console they are its 8x16 glyphs in 16 colours.
CONSOLE_SHOT = ("console-80x25", (80, 25), DAY.replace(hour=8), [])

OFFLINE_SHOT = ("offline-120x40", (120, 40), DAY.replace(hour=12))
FEED_NAMES = ALL_FEEDS  # polled and streamed

# The Station panel on the bundled ISSLIVE sample (real NASA values, 2018-10-13), near the end
# of a yaw maneuver; at 80x24 in its own view (key s).
STATION = bundled_path("isslive-2018-10-13.jsonl.gz")
STATION_SHOTS: list[tuple[str, tuple[int, int], datetime, list[str]]] = [
    ("station-120x40", (120, 40), datetime(2018, 10, 13, 0, 40, tzinfo=UTC), []),
    ("station-80x24", (80, 24), datetime(2018, 10, 13, 0, 40, tzinfo=UTC), ["s"]),
]


async def shoot_station(
    name: str, size: tuple[int, int], at: datetime, keys: list[str], out: Path
) -> Path:
    settings = load_settings(timezone="UTC")
    recording = load_demo_recording(STATION)
    app = IssDashApp(Runtime.for_demo(settings, recording, FrozenClock(at)))
    async with app.run_test(size=size) as pilot:
        for _ in range(250):
            if app.runtime.store.state.station is not None:
                break
            await pilot.pause(0.02)
        for key in keys:
            await pilot.press(key)
        app._tick()
        await pilot.pause()
        path = out / f"{name}.svg"
        app.save_screenshot(str(path.name), path=str(out))
    return path


async def shoot_offline(name: str, size: tuple[int, int], at: datetime, out: Path) -> Path:
    """Live mode, every feed refused, nothing cached: the screen says what it does not know."""
    random.seed(0)  # the retry jitter shown in the feed strip
    with tempfile.TemporaryDirectory() as cache:
        settings = load_settings(
            observer="51.5074,-0.1278",
            timezone="Europe/London",
            cache_dir=Path(cache),
            # The telemetry stream too: left at its public server it would still be
            # "connecting" (no DNS here) when the shot is taken, and the screen would not be
            # the all-feeds-down one the README describes.
            feeds={
                **{f: {"url": f"http://127.0.0.1:9/{f}"} for f in FEED_NAMES},
                "telemetry": {"url": "http://127.0.0.1:9", "timeout_s": 1.0},
            },
        )
        app = IssDashApp(Runtime(settings, FrozenClock(at), mode="live"))
        async with app.run_test(size=size) as pilot:
            for _ in range(1000):
                state = app.runtime.store.state
                failed = all(h.last_error for h in state.feeds.values() if h.enabled)
                if app.passes is not None and failed:
                    break
                await pilot.pause(0.02)
            app._tick()
            await pilot.pause()
            path = out / f"{name}.svg"
            app.save_screenshot(str(path.name), path=str(out))
    return path


# The pass planner (issue 17) over Cairns, Australia, where the MS-27 day has a visible pass
# at 09:25 UTC (19:25 AEST): up to 71 degrees, magnitude -4.4, fading into Earth's shadow at
# 09:29 mid-sky. Two minutes in, so the sky chart shows the station now.
CAIRNS = "-16.92,145.77"
CAIRNS_PASS = datetime(2025, 4, 8, 9, 27, 26, tzinfo=UTC)
PASS_SHOTS: list[tuple[str, tuple[int, int], datetime, list[str]]] = [
    ("passes-120x40", (120, 40), CAIRNS_PASS, ["p"]),
    ("passes-80x24", (80, 24), CAIRNS_PASS, ["p"]),
    # Visible passes only, the first one's chart large (the README's sky chart).
    ("sky-chart-120x40", (120, 40), CAIRNS_PASS, ["p", "v"]),
]
# The kiosk's banner six minutes before it.
KIOSK_PASS_SHOT = (
    "kiosk-pass-banner-120x40",
    (120, 40),
    datetime(2025, 4, 8, 9, 19, 26, tzinfo=UTC),
)


async def shoot_passes(
    name: str, size: tuple[int, int], at: datetime, keys: list[str], out: Path, kiosk: bool = False
) -> Path:
    settings = load_settings(observer=CAIRNS)
    runtime = Runtime.for_demo(settings, load_demo_recording(), FrozenClock(at))
    app = IssDashApp(runtime, kiosk=KioskController(settings.kiosk) if kiosk else None)
    async with app.run_test(size=size) as pilot:
        for _ in range(1500):
            if app.passes is not None:
                break
            await pilot.pause(0.02)
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        for _ in range(1500):  # the selected pass's sky path is computed in a thread
            screen = app.screen
            chart = getattr(getattr(screen, "planner", None), "chart", None)
            if not keys or (chart is not None and chart.path):
                break
            await pilot.pause(0.02)
        app._tick()
        await pilot.pause()
        path = out / f"{name}.svg"
        app.save_screenshot(str(path.name), path=str(out))
    return path


async def main() -> None:
    out = ROOT / "screenshots"
    out.mkdir(exist_ok=True)
    for name, size, at, keys in SHOTS:
        print(await shoot(name, size, at, keys, out))
    print(await shoot(*CONSOLE_SHOT, out, glyphs="console"))
    print(await shoot_offline(*OFFLINE_SHOT, out))
    for name, size, at, keys in STATION_SHOTS:
        print(await shoot_station(name, size, at, keys, out))
    for name, size, at, keys in PASS_SHOTS:
        print(await shoot_passes(name, size, at, keys, out))
    print(await shoot_passes(*KIOSK_PASS_SHOT, [], out, kiosk=True))


if __name__ == "__main__":
    asyncio.run(main())
