"""Replay controls in the dashboard: restart after the end, next event at the end, the
command palette, and the keys every interactive session expects (ctrl+c)."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from app.runtime import Runtime, load_demo_recording
from app.settings import load_settings
from app.tui.dashboard import IssDashApp
from feeds.clock import ScaledClock
from feeds.replay import PacedClock
from widgets.mission_bar import MissionBar


async def test_after_the_end_r_restarts_with_the_position_feed_current() -> None:
    """The end reached at 1000x, `r`, then slowed down to watch: the position feed answers
    within one poll interval of replay time (it slept 500 s of mission time, minutes of real
    time once slowed, and was marked stale all along)."""
    recording = load_demo_recording()
    clock = ScaledClock(recording.end - timedelta(seconds=400), 1000)
    app = IssDashApp(Runtime.for_demo(load_settings(), recording, clock))
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(100):
            if app.replay.ended:
                break
            await pilot.pause(0.05)
        assert app.replay.ended and "END OF RECORDING" in app.query_one(MissionBar).render().plain
        await pilot.press("r")
        await pilot.pause(0.3)
        await pilot.press("minus", "minus", "minus")  # 300, 60, 10x
        assert clock.speed == 10
        slowed_at = clock.now()
        interval_s = app.runtime.settings.feeds.position.interval_s
        while (clock.now() - slowed_at).total_seconds() < interval_s + 5:
            await pilot.pause(0.1)
        health = app.runtime.store.state.feeds["position"]
        now = clock.now()
        assert health.state(now) == "ok", (now, health.last_success_at)
        assert (age := health.age_s(now)) is not None and age <= interval_s + 5


async def test_the_paced_clock_follows_a_slow_down_at_once() -> None:
    """A poller's wait asked at 1000x ends within about a second of real time once the
    replay is slowed to 1x, not after the 500 s of mission time it used to stretch to."""
    clock = ScaledClock(load_demo_recording().start, 1000)
    paced = PacedClock(clock)
    started = time.monotonic()
    waiting = asyncio.create_task(paced.sleep(30))
    await asyncio.sleep(0.1)
    clock.set_speed(1)
    await asyncio.wait_for(waiting, timeout=5)
    assert time.monotonic() - started < 2.0
    # And it still never polls faster than twice a second of real time.
    started = time.monotonic()
    await paced.sleep(0.001)
    assert time.monotonic() - started >= PacedClock.MIN_REAL_WAIT_S * 0.9
