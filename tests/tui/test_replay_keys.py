"""Replay controls in the dashboard: restart after the end, next event at the end, the
command palette, and the keys every interactive session expects (ctrl+c)."""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.widgets import HelpPanel

from issdash.config.settings import load_settings
from issdash.core.runtime import Runtime, load_demo_recording
from issdash.feeds.clock import ScaledClock
from issdash.feeds.replay import PacedClock
from issdash.tui.dashboard import IssDashApp
from issdash.widgets.mission_bar import MissionBar


@pytest.mark.slow
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
    waiting = asyncio.create_task(paced.sleep(30))
    await asyncio.sleep(0.1)
    clock.set_speed(1)
    # Ends at once (its 30 s of mission time passed at 1000x); the bug waited 500 s. The
    # deadline is generous for a loaded machine.
    await asyncio.wait_for(waiting, timeout=30)
    # And it still never polls faster than twice a second of real time.
    started = time.monotonic()
    await paced.sleep(0.001)
    assert time.monotonic() - started >= PacedClock.MIN_REAL_WAIT_S * 0.9


def _notices(app: IssDashApp) -> list[str]:
    return [n.message for n in app._notifications]


@pytest.mark.slow
async def test_next_event_past_the_last_says_it_goes_to_the_end() -> None:
    """The next phase (MS-26 undocking on the 19th) is beyond the recording: `n` used to say
    "Jumped to undocking" and land on END. Now it says what happens."""
    recording = load_demo_recording()
    clock = ScaledClock(datetime(2025, 4, 8, 12, 0, tzinfo=UTC), 1)
    app = IssDashApp(Runtime.for_demo(load_settings(), recording, clock))
    async with app.run_test(size=(120, 40)) as pilot:
        for _ in range(100):
            if app.runtime.store.state.dockings is not None:
                break
            await pilot.pause(0.05)
        await pilot.press("n")
        await pilot.pause(0.3)
        assert "No more events: jumped to the end of the recording" in _notices(app)
        assert not any("undocking" in n for n in _notices(app))
        assert app.replay.ended and "END OF RECORDING" in app.query_one(MissionBar).render().plain
        await pilot.press("n")
        await pilot.pause(0.1)
        assert "No more events: this is the end of the recording" in _notices(app)


@pytest.mark.slow
async def test_replay_commands_are_in_the_command_palette() -> None:
    recording = load_demo_recording()
    clock = ScaledClock(recording.start, 1)
    app = IssDashApp(Runtime.for_demo(load_settings(), recording, clock))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title in ("Replay: pause or resume", "Replay: faster", "Replay: next event"):
            assert title in titles
        await pilot.press("ctrl+p")
        await pilot.pause(0.2)
        await pilot.press(*"Replay: faster")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert clock.speed == 10
        await pilot.press("ctrl+p")
        await pilot.press(*"Replay: pause")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert clock.speed == 0


@pytest.mark.slow
async def test_escape_closes_the_keys_panel_the_palette_opens() -> None:
    recording = load_demo_recording()
    app = IssDashApp(Runtime.for_demo(load_settings(), recording, ScaledClock(recording.start)))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        await pilot.press("ctrl+p")
        await pilot.press(*"Keys")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause(0.3)
        assert app.screen.query(HelpPanel)
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert not app.screen.query(HelpPanel)
        assert app.is_running


async def test_ctrl_c_quits_an_interactive_session() -> None:
    recording = load_demo_recording()
    app = IssDashApp(Runtime.for_demo(load_settings(), recording, ScaledClock(recording.start)))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.2)
        await pilot.press("ctrl+c")
        await pilot.pause(0.2)
        assert not app.is_running
    assert app.return_code == 0


def test_version_prints_the_package_version_and_exits_0() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "issdash", "--version"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"issdash {importlib.metadata.version('issdash')}"


@pytest.mark.slow
async def test_a_replay_sleep_slowed_down_midway_ends_when_its_mission_time_is_up() -> None:
    """At 100x a 100 s wait is one real second; slowed to 1x at 0.95 s, 95 s of mission time
    have passed and 5 are left. It used to count that second as 1 s of mission time and wait
    99 s more."""
    clock = ScaledClock(load_demo_recording().start, 100)
    started = time.monotonic()
    waiting = asyncio.create_task(clock.sleep(100))
    await asyncio.sleep(0.95)
    clock.set_speed(1)
    await asyncio.wait_for(waiting, timeout=30)
    assert time.monotonic() - started < 15


@pytest.mark.slow
async def test_a_recording_of_no_length_with_loop_ends_instead_of_restarting_forever(
    tmp_path: Path,
) -> None:
    """A recording whose header says start == end (one stopped at once), replayed with
    --loop: the end was reached at every restart, so the dashboard restarted without pause,
    a core or more busy for as long as it ran. It ends there now, as without --loop."""
    from issdash.feeds.recording import FORMAT, VERSION
    from scripts.fixtures.ms27_payloads import TLE_TEXT

    at = "2025-04-08T06:00:00Z"
    lines = [
        {"format": FORMAT, "version": VERSION, "start": at, "end": at},
        {"feed": "tle", "received_at": at, "status": 200, "body": TLE_TEXT},
    ]
    path = tmp_path / "empty.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    recording = load_demo_recording(path)
    restarts = 0
    runtime = Runtime.for_demo(load_settings(), recording, ScaledClock(recording.start, 60))
    real_restart = runtime.restart

    async def counted() -> None:
        nonlocal restarts
        restarts += 1
        await real_restart()

    runtime.restart = counted  # type: ignore[method-assign]
    app = IssDashApp(runtime, loop=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(2.0)
        assert app.replay.ended and "END OF RECORDING" in app.query_one(MissionBar).render().plain
        assert restarts <= 1, f"{restarts} restarts in 2 s"
